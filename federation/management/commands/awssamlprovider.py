"""``manage.py awssamlprovider [--account ID ...] [--print]``: AWS's trust in the broker's signing key.

Without ``--print`` it creates or updates the IAM SAML provider of each
account that has one or a saml role (or of each ``--account``) with the
broker's metadata (the only step of keyless federation that needs AWS
credentials: the broker's own, or the account's admin role) and records the
provider's ARN on the account. With ``--print`` it only prints the
metadata and the trust policy saml roles need, for an admin to apply by hand.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from broker import audit
from federation import iam
from federation.models import SAML, AwsAccount, Role
from federation.partitions import PARTITIONS
from federation.samlidp import metadata, session, trust
from federation.samlidp.keys import SigningKeyUnavailable

DEFAULT_NAME = "aws-identity-broker"


class Command(BaseCommand):
    help = "Create or update each account's IAM SAML provider with the broker's metadata (or --print it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--account", action="append", default=[], metavar="ID", help="only these accounts"
        )
        parser.add_argument(
            "--print", action="store_true", help="print metadata and a trust policy; change nothing"
        )
        parser.add_argument(
            "--name", default=DEFAULT_NAME, help=f"provider name for new ones ({DEFAULT_NAME})"
        )

    def handle(self, *args: Any, account: list[str], print: bool, name: str, **options: Any) -> None:  # noqa: A002
        accounts = list(AwsAccount.objects.order_by("account_id"))
        if account:
            unknown = sorted(set(account) - {a.account_id for a in accounts})
            if unknown:
                raise CommandError(f"no such account: {', '.join(unknown)}")
            accounts = [a for a in accounts if a.account_id in account]
        else:  # the accounts that use keyless federation: a provider ARN set, or a saml role
            saml = set(Role.objects.filter(method=SAML).values_list("account__account_id", flat=True))
            accounts = [a for a in accounts if a.saml_provider_arn or a.account_id in saml]
        try:
            document = metadata.document()
        except SigningKeyUnavailable as exc:
            raise CommandError(str(exc)) from None
        if print:
            self._print(document, accounts, name)
            return
        failed = [a.account_id for a in accounts if not self._upsert(a, document, name)]
        if failed:
            raise CommandError(f"not updated: {', '.join(failed)}")

    def _upsert(self, account: AwsAccount, document: str, name: str) -> bool:
        try:
            arn, created = iam.upsert_saml_provider(account, name=name, metadata=document)
        except iam.IamError as exc:
            self.stderr.write(f"{account.account_id}: {exc}")
            audit.record("saml_provider.updated", actor="manage.py", account=account.account_id,
                         outcome="error", error=str(exc))  # fmt: skip
            return False
        if account.saml_provider_arn != arn:
            account.saml_provider_arn = arn
            account.save(update_fields=["saml_provider_arn"])
        audit.record("saml_provider.updated", actor="manage.py", account=account.account_id, provider=arn,
                     created=created)  # fmt: skip
        self.stdout.write(f"{account.account_id}: {'created' if created else 'updated'} {arn}")
        return True

    def _print(self, document: str, accounts: list[AwsAccount], name: str) -> None:
        self.stdout.write("# Upload as an IAM SAML provider (IAM > Identity providers > Add > SAML):")
        self.stdout.write(document)
        for account in accounts or [None]:
            partition = PARTITIONS[account.partition if account else "aws"]
            account_id = account.account_id if account else "<account>"
            arn = (account and account.saml_provider_arn) or (
                f"arn:{partition.name}:iam::{account_id}:saml-provider/{name}"
            )
            self.stdout.write(f"# Trust policy for saml roles in account {account_id}:")
            self.stdout.write(json.dumps(trust.trust_policy(arn, session.endpoint(partition)), indent=2))
