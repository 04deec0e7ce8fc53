"""``POST /tokens/`` with a revoke id that names no token of yours: 400 or 404, never a 500."""

from __future__ import annotations

import pytest

from broker.apitokens.models import ApiToken


@pytest.fixture
def alices_token(alice_client) -> ApiToken:  # type: ignore[no-untyped-def]
    alice_client.post("/tokens/", {"days": "1"})
    return ApiToken.objects.get()


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["abc", "1; DROP TABLE", "-1", "1.5", "", "١٢", "9" * 40])
def test_a_revoke_id_that_is_not_a_number_is_400_and_revokes_nothing(alice_client, alices_token, bad):
    response = alice_client.post("/tokens/", {"revoke": bad})

    assert response.status_code == 400
    assert "is not a token id" in response.content.decode()
    alices_token.refresh_from_db()
    assert alices_token.revoked_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("unknown", ["0", "999999", "9" * 18])
def test_an_unknown_revoke_id_is_404(alice_client, alices_token, unknown):
    assert alice_client.post("/tokens/", {"revoke": unknown}).status_code == 404


@pytest.mark.django_db
def test_another_persons_token_is_404_and_stays_usable(alices_token, bob_client):
    assert bob_client.post("/tokens/", {"revoke": str(alices_token.pk)}).status_code == 404
    alices_token.refresh_from_db()
    assert alices_token.revoked_at is None


@pytest.mark.django_db
def test_ones_own_token_is_revoked(alice_client, alices_token):
    assert alice_client.post("/tokens/", {"revoke": f" {alices_token.pk} "}).status_code == 200
    alices_token.refresh_from_db()
    assert alices_token.revoked_at is not None
