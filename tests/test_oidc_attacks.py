"""Every forged or misdirected answer is refused with its check named, no session and no 500.

The forged tokens come from ``Forger`` (tests/oidc_support.py), a test-only
issuer that signs what each test asks with keys made at run time; the
replay and login-CSRF cases use the independent provider's real codes.
"""

from __future__ import annotations

import socket
import time

import pytest
from django.test import Client
from joserfc.jwk import RSAKey

from broker.models import AuditEvent
from tests.oidc_support import (
    CLIENT_ID,
    Forger,
    configure,
    forged_callback,
    hs256_with_public_key,
    signed_in_user,
    start,
    started_params,
    through_provider,
    unsigned,
)
from tests.silent_server import silent_server as hung_server

pytestmark = pytest.mark.django_db


def refused(answer, check: str, status: int = 400) -> None:  # type: ignore[no-untyped-def]
    assert answer.status_code == status, answer.content[:400]
    assert f'id="oidc-check">{check}<'.encode() in answer.content
    event = AuditEvent.objects.filter(action="oidc.refused").latest("id")
    assert event.detail["check"] == check and event.outcome == "denied"


def forged(client: Client, forger: Forger, token_for) -> object:  # type: ignore[no-untyped-def]
    """Start a sign-in, have the forger answer with ``token_for(nonce)``, call back."""
    params = started_params(client)
    forger.answer_with(token_for(params["nonce"]))
    return client.get("/oidc/callback/", {"code": "c-" + params["state"][:8], "state": params["state"]})


def test_the_forger_itself_signs_in_with_a_correct_token(forger: Forger) -> None:
    client = Client()
    assert forged_callback(client, forger).status_code == 302
    assert signed_in_user(client) == "alice"


def test_it_refuses_a_token_for_another_audience(forger: Forger) -> None:
    client = Client()
    refused(forged_callback(client, forger, aud="someone-else"), "audience")
    assert signed_in_user(client) is None


def test_it_refuses_several_audiences_without_azp_naming_us(forger: Forger) -> None:
    client = Client()
    refused(forged_callback(client, forger, aud=[CLIENT_ID, "other-app"]), "azp")
    assert signed_in_user(client) is None


def test_it_accepts_several_audiences_when_azp_names_us(forger: Forger) -> None:
    client = Client()
    assert forged_callback(client, forger, aud=[CLIENT_ID, "other-app"], azp=CLIENT_ID).status_code == 302


def test_it_refuses_a_token_from_another_issuer(forger: Forger) -> None:
    client = Client()
    refused(forged_callback(client, forger, iss="https://evil.example.com"), "issuer")
    assert signed_in_user(client) is None


def test_it_refuses_an_expired_token(forger: Forger) -> None:
    client = Client()
    now = int(time.time())
    refused(forged_callback(client, forger, iat=now - 7200, exp=now - 3600), "expired")
    assert signed_in_user(client) is None


def test_it_refuses_a_token_issued_in_the_future(forger: Forger) -> None:
    client = Client()
    now = int(time.time())
    refused(forged_callback(client, forger, iat=now + 3600, exp=now + 7200), "issued_at")
    assert signed_in_user(client) is None


def test_it_refuses_a_nonce_that_is_not_this_sign_ins(forger: Forger) -> None:
    client = Client()
    refused(forged(client, forger, lambda nonce: forger.sign(forger.claims("another-nonce"))), "nonce")
    assert signed_in_user(client) is None


def test_it_refuses_a_token_without_a_nonce(forger: Forger) -> None:
    client = Client()
    refused(forged(client, forger, lambda nonce: forger.sign(forger.claims(None))), "nonce")
    assert signed_in_user(client) is None


def test_it_refuses_alg_none(forger: Forger) -> None:
    client = Client()
    refused(forged(client, forger, lambda nonce: unsigned(forger.claims(nonce))), "algorithm")
    assert signed_in_user(client) is None


def test_it_refuses_hs256_signed_with_the_providers_public_key(forger: Forger) -> None:
    public_pem = forger.key.as_pem(private=False)
    assert b"BEGIN PUBLIC KEY" in public_pem

    def token(nonce: str) -> str:
        return hs256_with_public_key(forger.claims(nonce), public_pem, forger.key.kid)

    client = Client()
    refused(forged(client, forger, token), "algorithm")
    assert signed_in_user(client) is None


def test_it_refuses_a_key_the_provider_does_not_publish(forger: Forger) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "attacker-key"})
    client = Client()
    refused(forged(client, forger, lambda nonce: forger.sign(forger.claims(nonce), key=stranger)), "key")
    assert signed_in_user(client) is None


def test_it_refuses_a_stranger_key_that_claims_the_providers_key_id(forger: Forger) -> None:
    stranger = RSAKey.generate_key(2048)

    def token(nonce: str) -> str:
        return forger.sign(forger.claims(nonce), key=stranger, kid=forger.key.kid)

    client = Client()
    refused(forged(client, forger, token), "signature")
    assert signed_in_user(client) is None


def test_an_unknown_key_id_refetches_the_jwks_at_most_once_in_a_while(forger: Forger) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "attacker-key"})
    for _ in range(3):
        forged(Client(), forger, lambda nonce: forger.sign(forger.claims(nonce), key=stranger))
    assert forger.jwks_fetches == 2  # the first fetch, one more for the unknown kid, then none


def test_a_rotated_key_is_fetched_and_accepted(forger: Forger) -> None:
    assert forged_callback(Client(), forger).status_code == 302
    forger.key = RSAKey.generate_key(2048, parameters={"kid": "forger-2"})
    client = Client()
    assert forged_callback(client, forger).status_code == 302
    assert signed_in_user(client) == "alice" and forger.jwks_fetches == 2


def test_it_refuses_a_tampered_state(forger: Forger) -> None:
    client = Client()
    params = started_params(client)
    forger.answer_with(forger.sign(forger.claims(params["nonce"])))
    tampered = params["state"][:-1] + ("A" if params["state"][-1] != "A" else "B")
    refused(client.get("/oidc/callback/", {"code": "c", "state": tampered}), "state")
    assert signed_in_user(client) is None
    assert forger.codes_seen == []  # refused before any code was spent


def test_it_refuses_a_callback_without_state(forger: Forger) -> None:
    client = Client()
    start(client)
    refused(client.get("/oidc/callback/", {"code": "c"}), "state")
    assert signed_in_user(client) is None


def test_it_refuses_an_unverified_email_as_username(forger: Forger, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OIDC_USERNAME_CLAIM = "email"
    client = Client()
    refused(forged_callback(client, forger, email_verified=False), "username")
    assert signed_in_user(client) is None


def test_a_verified_email_may_be_the_username(forger: Forger, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OIDC_USERNAME_CLAIM = "email"
    client = Client()
    assert forged_callback(client, forger).status_code == 302
    assert signed_in_user(client) == "alice@example.com"


def test_it_refuses_an_unverified_email_in_the_username_claim(forger: Forger) -> None:
    client = Client()
    answer = forged_callback(client, forger, preferred_username="alice@example.com", email_verified=False)
    refused(answer, "username")


def test_group_overage_is_refused_with_what_to_do(forger: Forger) -> None:
    client = Client()
    answer = forged_callback(
        client, forger, groups=None, _claim_names={"groups": "src1"}, _claim_sources={"src1": {}}
    )
    refused(answer, "groups_overage")
    assert b"app roles" in answer.content


def test_mfa_claimed_by_the_provider_counts_as_a_second_factor(forger: Forger) -> None:
    client = Client()
    forged_callback(client, forger, amr=["pwd", "mfa"])
    assert client.session["oidc_mfa"] is True
    plain = Client()
    forged_callback(plain, forger, amr=["pwd"])
    assert plain.session["oidc_mfa"] is False


def test_an_acr_the_admin_listed_counts_as_mfa(forger: Forger, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OIDC_MFA_ACR_VALUES = ["http://schemas.openid.net/pape/policies/2007/06/multi-factor"]
    client = Client()
    forged_callback(client, forger, acr="http://schemas.openid.net/pape/policies/2007/06/multi-factor")
    assert client.session["oidc_mfa"] is True


def test_it_refuses_a_replayed_callback(oidc_on) -> None:
    client = Client()
    answer = through_provider(start(client), "alice")
    assert client.get(answer.path()).status_code == 302
    again = Client()
    refused(again.get(answer.path()), "state")
    assert signed_in_user(again) is None


def test_it_refuses_a_replayed_code_even_with_a_fresh_state(oidc_on) -> None:
    victim = Client()
    first = through_provider(start(victim), "alice")
    assert victim.get(first.path()).status_code == 302
    attacker = Client()
    fresh = started_params(attacker)
    refused(attacker.get("/oidc/callback/", {"code": first.query["code"], "state": fresh["state"]}), "code")
    assert signed_in_user(attacker) is None


def test_it_refuses_a_callback_no_sign_in_of_this_browser_started(oidc_on) -> None:
    """Login CSRF: the attacker's own valid answer, delivered to the victim's browser."""
    attacker = Client()
    answer = through_provider(start(attacker), "bob")
    victim = Client()
    start(victim)  # even a victim with a sign-in of their own under way
    refused(victim.get(answer.path()), "state")
    assert signed_in_user(victim) is None


def test_a_provider_that_is_down_gets_a_clear_page_quickly(settings, db) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configure(settings, f"http://127.0.0.1:{port}")
    client = Client()
    began = time.monotonic()
    answer = client.get("/oidc/login/")
    assert time.monotonic() - began < 10
    refused(answer, "provider", 503)
    assert b"not answering" in answer.content
    assert signed_in_user(client) is None


def test_a_provider_that_hangs_gets_a_clear_page_in_bounded_time(settings, db) -> None:  # type: ignore[no-untyped-def]
    with hung_server() as url:  # accepts connections, never answers
        configure(settings, url)
        settings.OIDC_TIMEOUT_SECONDS = 1
        began = time.monotonic()
        answer = Client().get("/oidc/login/")
        assert time.monotonic() - began < 10  # a 1 s read timeout; without one this would never end
        refused(answer, "provider", 503)


def test_a_slow_token_endpoint_is_cut_off_and_refused(forger: Forger, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OIDC_TIMEOUT_SECONDS = 1
    client = Client()
    params = started_params(client)  # discovery answered quickly
    forger.answer_with(forger.sign(forger.claims(params["nonce"])))
    forger.delay = 30
    began = time.monotonic()
    answer = client.get("/oidc/callback/", {"code": "c", "state": params["state"]})
    assert time.monotonic() - began < 10  # cut at 1 s, long before the provider's 30 s answer
    refused(answer, "provider", 503)
    assert signed_in_user(client) is None


def test_a_token_endpoint_error_is_a_clear_refusal(forger: Forger) -> None:
    client = Client()
    params = started_params(client)
    forger.token_answer, forger.token_status = {"error": "invalid_client"}, 401
    refused(client.get("/oidc/callback/", {"code": "c", "state": params["state"]}), "code")
    assert signed_in_user(client) is None


def test_the_allow_list_can_never_hold_a_symmetric_algorithm() -> None:
    from broker.env import SettingError
    from broker.oidc.config import check_settings

    with pytest.raises(SettingError, match="HS256"):
        check_settings(
            issuer="https://id.example.com", client_id="x", algorithms=["RS256", "HS256"], debug=False
        )
    with pytest.raises(SettingError, match="https"):
        check_settings(issuer="http://id.example.com", client_id="x", algorithms=["RS256"], debug=False)


def test_an_issuer_with_a_trailing_slash_is_kept_exactly(forger: Forger, settings) -> None:  # type: ignore[no-untyped-def]
    """Auth0 writes its issuer with a trailing slash; the discovery URL must not double it."""
    slashed = forger.issuer + "/"
    forger.issuer = slashed
    settings.OIDC_ISSUER = slashed
    client = Client()
    assert forged_callback(client, forger).status_code == 302
    assert signed_in_user(client) == "alice"


def test_a_require_mfa_grant_opens_only_when_the_provider_said_mfa(forger: Forger, aws, grants) -> None:  # type: ignore[no-untyped-def]
    from federation.models import Grant

    Grant.objects.filter(role__alias="sandbox-admin").update(require_mfa="any")
    with_mfa = Client()
    forged_callback(with_mfa, forger, amr=["pwd", "hwk"])
    assert with_mfa.post("/roles/sandbox-admin/credentials/", follow=True).status_code == 200
    without = Client()
    forged_callback(without, forger, sub="sub-alice-2", preferred_username="alice2", amr=["pwd"])
    page = without.post("/roles/sandbox-admin/credentials/", follow=True)
    assert page.status_code == 403 and b"MFA" in page.content
