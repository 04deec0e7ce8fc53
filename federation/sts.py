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
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from broker import metrics
from federation.policies import compact_text

log = logging.getLogger(__name__)

MAX_POOL_CONNECTIONS = 32  # HTTP connections per STS client; above any thread count we run
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_+=,.@-]")
_REFUSED = {
    "AccessDenied",
    "AccessDeniedException",
    "ExpiredToken",
    "InvalidClientTokenId",
    "RegionDisabledException",
    # AssumeRoleWithWebIdentity: AWS did not accept the person's ID token.
    "InvalidIdentityToken",
    "IDPRejectedClaim",
    "ExpiredTokenException",
}
_TOKEN_REASONS = {
    "InvalidIdentityToken": ": the ID token was not accepted (is the account's IAM OIDC provider set up?)",
    "IDPRejectedClaim": ": the role's trust policy does not accept this person's token (aud or sub)",
    "ExpiredTokenException": ": the ID token has expired; sign in again",
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

_SAML_REASONS = {
    "IDPRejectedClaim": ": the role's trust policy does not accept the broker's SAML provider",
    "InvalidIdentityToken": ": the IAM SAML provider does not hold the broker's signing certificate "
    "(manage.py awssamlprovider uploads it)",
}
# The same codes mean different things for the two token calls: say which token was refused.
_REASONS = {"assume_role_with_web_identity": _TOKEN_REASONS, "assume_role_with_saml": _SAML_REASONS}


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


def aws_client(service: str, credentials: Credentials | None = None, *, unsigned: bool = False) -> Any:
    """A boto3 client with the STS client's limits; the broker's own identity unless
    ``credentials`` (e.g. an account's admin role session) are given. For IAM (revocation).
    ``unsigned``: no credentials are looked up or sent (AssumeRoleWithSAML needs none)."""
    config = Config(
        **({"signature_version": UNSIGNED} if unsigned else {}),
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


@functools.cache
def unsigned_client() -> Any:
    """An STS client that signs nothing: for the calls whose proof is a token (SAML, web identity)."""
    return aws_client("sts", unsigned=True)


def _translate(exc: Exception, *, role: str, reasons: dict[str, str]) -> StsError:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        log.warning("STS refused a request for %s: %s", role, code)
        if code in _REFUSED:
            reason = (
                ": the role's trust policy does not allow the broker"
                if code.startswith("AccessDenied")
                else reasons.get(code, "")
            )
            return StsRefused(f"AWS refused the session for {role} ({code}){reason}")
        if code in _INVALID:
            return StsInvalidRequest(f"AWS rejected the request for {role} ({code}): {message}")
        if code in _UNAVAILABLE or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
            return StsUnavailable(f"AWS STS is not available right now ({code}); try again shortly")
        return StsError(f"AWS STS answered {code} for {role}")
    log.warning("STS unreachable for %s: %s", role, type(exc).__name__)
    return StsUnavailable("AWS STS could not be reached; try again shortly")


def _call(operation: str, *, role: str, unsigned: bool = False, **params: Any) -> dict[str, Any]:
    """One STS call, timed and counted, with boto3's errors turned into domain errors."""
    started = time.perf_counter()
    try:
        if unsigned:
            with _CLIENT_LOCK:
                sts = unsigned_client()
        else:
            sts = client()
        return getattr(sts, operation)(**params)
    except (ClientError, BotoCoreError) as exc:
        code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
        metrics.STS_ERRORS.labels(operation, code or type(exc).__name__).inc()
        raise _translate(exc, role=role, reasons=_REASONS.get(operation, {})) from None
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
        params["Policy"] = compact_text(policy)
    if tags:
        params["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
    answer = _call("assume_role", role=role_arn, **params)
    return _credentials(answer, arn=answer["AssumedRoleUser"]["Arn"], method="assume_role")


def assume_role_with_web_identity(
    *,
    role_arn: str,
    username: str,
    id_token: str,
    duration_seconds: int,
    policy: dict[str, Any] | None = None,
) -> Credentials:
    """The person's own ID token for a role session: unsigned, AWS checks the token itself.

    AWS takes no ``SourceIdentity`` or tags parameter here (only claims in the
    token can carry them); ``RoleSessionName`` is the username as elsewhere.
    """
    params: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name(username),
        "WebIdentityToken": id_token,
        "DurationSeconds": duration_seconds,
    }
    if policy:
        params["Policy"] = compact_text(policy)
    answer = _call("assume_role_with_web_identity", role=role_arn, unsigned=True, **params)
    return _credentials(answer, arn=answer["AssumedRoleUser"]["Arn"], method="web_identity")


def get_federation_token(*, username: str, duration_seconds: int, policy: dict[str, Any]) -> Credentials:
    params = {
        "Name": session_name(username, limit=32),
        "DurationSeconds": duration_seconds,
        "Policy": compact_text(policy),
    }
    answer = _call("get_federation_token", role=f"federated user {params['Name']}", **params)
    return _credentials(answer, arn=answer["FederatedUser"]["Arn"], method="federation_token")


def assume_role_with_saml(
    *,
    role_arn: str,
    provider_arn: str,
    assertion: str,
    duration_seconds: int,
    policy: dict[str, Any] | None = None,
) -> Credentials:
    """A saml role's session from the broker's signed assertion: an unsigned call, no AWS keys.

    ``assertion`` is a bearer secret for a few minutes: it is never logged here.
    """
    params: dict[str, Any] = {
        "RoleArn": role_arn,
        "PrincipalArn": provider_arn,
        "SAMLAssertion": assertion,
        "DurationSeconds": duration_seconds,
    }
    if policy:
        params["Policy"] = compact_text(policy)
    answer = _call("assume_role_with_saml", role=role_arn, unsigned=True, **params)
    return _credentials(answer, arn=answer["AssumedRoleUser"]["Arn"], method="saml")


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
    unsigned_client.cache_clear()
    _broker_identity.cache_clear()
