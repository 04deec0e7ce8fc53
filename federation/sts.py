"""The STS wrapper: the only module in the broker that imports boto3.

Everything boto3 can raise is turned here into one of three domain errors
whose messages are safe to show: ``StsRefused`` (AWS said no: 403),
``StsInvalidRequest`` (the request was malformed: 400) and
``StsUnavailable`` (AWS could not be reached or throttled us: 503).

Naming: ``role_arn`` is the role to assume; ``session_name`` is the
sanitised ``RoleSessionName``; ``Credentials`` never prints its secrets.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from broker import metrics

log = logging.getLogger(__name__)

MAX_POOL_CONNECTIONS = 32  # HTTP connections per STS client; above any thread count we run
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_+=,.@-]")
_REFUSED = {
    "AccessDenied",
    "AccessDeniedException",
    "ExpiredToken",
    "InvalidClientTokenId",
    "RegionDisabledException",
}
_INVALID = {"ValidationError", "MalformedPolicyDocument", "PackedPolicyTooLarge", "InvalidParameterValue"}
_UNAVAILABLE = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "InternalFailure",
    "IDPCommunicationError",
}


class StsError(Exception):
    status = 502
    code = "sts_error"


class StsRefused(StsError):
    status = 403
    code = "sts_refused"


class StsInvalidRequest(StsError):
    status = 400
    code = "invalid_request"


class StsUnavailable(StsError):
    status = 503
    code = "sts_unavailable"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime
    arn: str
    method: str


def session_name(username: str, *, limit: int = 64) -> str:
    """A ``RoleSessionName`` / federated ``Name``: AWS's charset, 2..limit characters."""
    cleaned = _NAME_CHARS.sub("-", username)[:limit]
    return cleaned if len(cleaned) >= 2 else (cleaned + "--")[:2]


def aws_client(service: str, credentials: Credentials | None = None) -> Any:
    """A boto3 client with the STS client's limits; the broker's own identity unless
    ``credentials`` (e.g. an account's admin role session) are given. For IAM (revocation)."""
    config = Config(
        retries={"mode": "standard", "max_attempts": settings.BROKER_STS_MAX_ATTEMPTS},
        connect_timeout=settings.BROKER_STS_CONNECT_TIMEOUT,
        read_timeout=settings.BROKER_STS_READ_TIMEOUT,
        # One client serves every thread of a process (gunicorn's, a refresh batch's pool).
        max_pool_connections=MAX_POOL_CONNECTIONS,
    )
    keys = (
        {
            "aws_access_key_id": credentials.access_key_id,
            "aws_secret_access_key": credentials.secret_access_key,
            "aws_session_token": credentials.session_token,
        }
        if credentials
        else {}
    )
    session = boto3.session.Session(**keys)
    return session.client(service, region_name=session.region_name or "us-east-1", config=config)


def error_code(exc: Exception) -> str | None:
    """AWS's error code for an exception from a boto3 call, ``None`` if it is not one."""
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "") or "ClientError"
    return type(exc).__name__ if isinstance(exc, BotoCoreError) else None


_CLIENT_LOCK = threading.Lock()


def client() -> Any:
    """One STS client per process; boto3 reads AWS_ENDPOINT_URL and the credential chain.

    Made under a lock: threads starting together (a refresh batch) would each build one.
    """
    with _CLIENT_LOCK:
        return _client()


@functools.cache
def _client() -> Any:
    return aws_client("sts")


def _translate(exc: Exception, *, role: str) -> StsError:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        log.warning("STS refused a request for %s: %s", role, code)
        if code in _REFUSED:
            reason = (
                ": the role's trust policy does not allow the broker"
                if code.startswith("AccessDenied")
                else ""
            )
            return StsRefused(f"AWS refused the session for {role} ({code}){reason}")
        if code in _INVALID:
            return StsInvalidRequest(f"AWS rejected the request for {role} ({code}): {message}")
        if code in _UNAVAILABLE or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
            return StsUnavailable(f"AWS STS is not available right now ({code}); try again shortly")
        return StsError(f"AWS STS answered {code} for {role}")
    log.warning("STS unreachable for %s: %s", role, type(exc).__name__)
    return StsUnavailable("AWS STS could not be reached; try again shortly")


def _call(operation: str, *, role: str, **params: Any) -> dict[str, Any]:
    """One STS call, timed and counted, with boto3's errors turned into domain errors."""
    started = time.perf_counter()
    try:
        return getattr(client(), operation)(**params)
    except (ClientError, BotoCoreError) as exc:
        code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
        metrics.STS_ERRORS.labels(operation, code or type(exc).__name__).inc()
        raise _translate(exc, role=role) from None
    finally:
        metrics.STS_SECONDS.labels(operation).observe(time.perf_counter() - started)


def _credentials(answer: dict[str, Any], *, arn: str, method: str) -> Credentials:
    body = answer["Credentials"]
    return Credentials(
        access_key_id=body["AccessKeyId"],
        secret_access_key=body["SecretAccessKey"],
        session_token=body["SessionToken"],
        expiration=body["Expiration"],
        arn=arn,
        method=method,
    )


def assume_role(
    *,
    role_arn: str,
    username: str,
    duration_seconds: int,
    policy: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> Credentials:
    params: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name(username),
        "SourceIdentity": session_name(username),
        "DurationSeconds": duration_seconds,
    }
    if policy:
        params["Policy"] = json.dumps(policy, separators=(",", ":"))
    if tags:
        params["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
    answer = _call("assume_role", role=role_arn, **params)
    return _credentials(answer, arn=answer["AssumedRoleUser"]["Arn"], method="assume_role")


def get_federation_token(*, username: str, duration_seconds: int, policy: dict[str, Any]) -> Credentials:
    params = {
        "Name": session_name(username, limit=32),
        "DurationSeconds": duration_seconds,
        "Policy": json.dumps(policy, separators=(",", ":")),
    }
    answer = _call("get_federation_token", role=f"federated user {params['Name']}", **params)
    return _credentials(answer, arn=answer["FederatedUser"]["Arn"], method="federation_token")


@functools.cache
def _broker_identity() -> dict[str, Any]:
    return _call("get_caller_identity", role="the broker's own identity")


def broker_is_role_session() -> bool:
    """Whether the broker's own credentials are a role session (``federation.chaining`` asks)."""
    return ":assumed-role/" in _broker_identity()["Arn"]


def broker_account_id() -> str:
    """The AWS account the broker's own credentials belong to."""
    return _broker_identity()["Account"]


def assume_admin_role(*, role_arn: str) -> Credentials:
    """A short session in an account's admin role, for IAM changes there (revocation)."""
    params = {"RoleArn": role_arn, "RoleSessionName": "aws-identity-broker-admin", "DurationSeconds": 900}
    answer = _call("assume_role", role=role_arn, **params)
    return _credentials(answer, arn=answer["AssumedRoleUser"]["Arn"], method="assume_role")


def reset() -> None:
    """Forget the cached client and identity (tests, or after credentials rotate)."""
    _client.cache_clear()
    _broker_identity.cache_clear()
