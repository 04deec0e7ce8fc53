"""The JSON shapes AWS tooling expects, built from one delivered session.

Expiration is RFC 3339 in UTC with a ``Z``: what botocore's container and
process providers parse, and what the contract promises.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from federation.access import Entitlement
from federation.delivery import Delivery


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def session(delivery: Delivery) -> dict[str, Any]:
    c = delivery.credentials
    return {
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "SessionToken": c.session_token,
        "Expiration": rfc3339(c.expiration),
        "Arn": c.arn,
    }


def container(delivery: Delivery) -> dict[str, Any]:
    c = delivery.credentials
    return {
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "Token": c.session_token,
        "Expiration": rfc3339(c.expiration),
        "RoleArn": delivery.role_arn,
    }


def process(delivery: Delivery) -> dict[str, Any]:
    c = delivery.credentials
    return {
        "Version": 1,
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "SessionToken": c.session_token,
        "Expiration": rfc3339(c.expiration),
    }


def role(entitlement: Entitlement, *, cap: int | None) -> dict[str, Any]:
    r = entitlement.role
    return {
        "alias": r.alias,
        "arn": r.arn,
        "account_id": r.account.account_id,
        "account_name": r.account.name,
        "method": r.method,
        "max_session_seconds": min(entitlement.max_seconds, cap) if cap else entitlement.max_seconds,
    }
