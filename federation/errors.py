"""One table from domain errors to HTTP answers, shared by the portal and the API."""

from __future__ import annotations

from dataclasses import dataclass

from broker.audit import AuditUnavailable
from broker.directory.errors import DirectoryUnavailable
from broker.oidc.errors import SignInAgain
from federation.access import DurationOutOfRange, MfaRequired, RoleNotAvailable
from federation.elevation.states import RequestRefused
from federation.policies import PolicyError
from federation.samlidp.keys import SigningKeyUnavailable
from federation.samlidp.rules import AssertionRefused
from federation.signin import DestinationNotAllowed, SigninError
from federation.sts import StsError

RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class Problem:
    status: int
    code: str
    title: str
    detail: str

    @property
    def retry_after(self) -> int | None:
        return RETRY_AFTER_SECONDS if self.status == 503 else None


def describe(exc: Exception) -> Problem | None:
    """The answer for a domain error, or ``None`` for a bug (let it surface)."""
    if isinstance(exc, AuditUnavailable):
        return Problem(exc.status, exc.code, "Audit trail unavailable", str(exc))
    if isinstance(exc, RequestRefused):  # an access request's transition (federation.elevation)
        return Problem(exc.status, exc.code, exc.title, str(exc))
    if isinstance(exc, MfaRequired):  # before RoleNotAvailable, its base class
        return Problem(403, "mfa_required", "MFA needed", str(exc))
    if isinstance(exc, RoleNotAvailable):
        return Problem(403, "role_not_available", "Role not available", str(exc))
    if isinstance(exc, DurationOutOfRange):
        return Problem(400, "invalid_duration", "Session length out of range", str(exc))
    if isinstance(exc, PolicyError):
        return Problem(400, "invalid_policy", "Session policy refused", str(exc))
    if isinstance(exc, DestinationNotAllowed):
        return Problem(400, "invalid_destination", "Console page not allowed", str(exc))
    if isinstance(exc, AssertionRefused):
        return Problem(exc.status, exc.code, "AWS would refuse this SAML assertion", str(exc))
    if isinstance(exc, SigningKeyUnavailable):
        return Problem(exc.status, exc.code, "SAML signing key unavailable", str(exc))
    if isinstance(exc, SigninError):
        return Problem(exc.status, exc.code, "AWS sign-in unavailable", str(exc))
    if isinstance(exc, SignInAgain):
        return Problem(exc.status, exc.code, "Sign in again", str(exc))
    if isinstance(exc, DirectoryUnavailable):
        return Problem(exc.status, exc.code, "Directory unavailable", str(exc))
    if isinstance(exc, StsError):
        titles = {403: "AWS refused the session", 400: "AWS rejected the request", 503: "AWS unavailable"}
        return Problem(exc.status, exc.code, titles.get(exc.status, "AWS error"), str(exc))
    return None


def problem_for_bad_input(detail: str, code: str = "invalid_request") -> Problem:
    return Problem(400, code, "Bad request", detail)
