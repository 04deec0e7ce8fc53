"""Provision the demo AWS estate in moto: the broker's IAM user and its roles.

Used by ``make run`` and by the tests, so both exercise the same trust
policies. Two accounts: 123456789012 (moto's default, where the broker's
IAM user lives) and 111122223333, reached the way AWS Organizations does,
by assuming a role there. The saml role (Keyless) trusts the broker's SAML
provider instead, which ``manage.py awssamlprovider`` registers once the
broker's signing key exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from federation.samlidp.trust import trust_policy as saml_trust_policy

HOME_ACCOUNT = "123456789012"
SANDBOX_ACCOUNT = "111122223333"
BROKER_USER = "broker"
DEMO_ROLES = {
    HOME_ACCOUNT: [("Developer", 43200), ("ReadOnly", 3600)],
    SANDBOX_ACCOUNT: [("Admin", 3600)],
}
# Keyless (method: saml): trusted through the broker's SAML provider, not its IAM user.
SAML_PROVIDER_ARN = f"arn:aws:iam::{HOME_ACCOUNT}:saml-provider/aws-identity-broker"
SAML_ROLES = {HOME_ACCOUNT: [("Keyless", 43200)]}


@dataclass(frozen=True)
class BrokerKeys:
    access_key_id: str
    secret_access_key: str

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}


def trust_policy(broker_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": broker_arn},
                    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                }
            ],
        }
    )


def _client(service: str, endpoint: str, **credentials: Any) -> Any:
    defaults = {"aws_access_key_id": "provisioner", "aws_secret_access_key": "provisioner"}
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", **(credentials or defaults))


def account_iam(endpoint: str, account_id: str) -> Any:
    """An IAM client acting inside ``account_id`` (moto keys state by the caller's account)."""
    if account_id == HOME_ACCOUNT:
        return _client("iam", endpoint)
    answer = _client("sts", endpoint).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="provisioner"
    )["Credentials"]
    return _client(
        "iam",
        endpoint,
        aws_access_key_id=answer["AccessKeyId"],
        aws_secret_access_key=answer["SecretAccessKey"],
        aws_session_token=answer["SessionToken"],
    )


def provision(endpoint: str) -> BrokerKeys:
    """Create the broker's IAM user with keys, and the demo roles trusting it."""
    iam = _client("iam", endpoint)
    broker_arn = iam.create_user(UserName=BROKER_USER)["User"]["Arn"]
    keys = iam.create_access_key(UserName=BROKER_USER)["AccessKey"]
    for account_id, roles in DEMO_ROLES.items():
        iam_there = account_iam(endpoint, account_id)
        for name, max_seconds in roles:
            iam_there.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=trust_policy(broker_arn),
                MaxSessionDuration=max_seconds,
            )
    for account_id, roles in SAML_ROLES.items():
        document = saml_trust_policy(SAML_PROVIDER_ARN, "https://signin.aws.amazon.com/saml")
        for name, max_seconds in roles:
            account_iam(endpoint, account_id).create_role(
                RoleName=name, AssumeRolePolicyDocument=json.dumps(document), MaxSessionDuration=max_seconds
            )
    return BrokerKeys(keys["AccessKeyId"], keys["SecretAccessKey"])
