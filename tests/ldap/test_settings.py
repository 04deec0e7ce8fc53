"""AUTH_LDAP_* parsing: off by default, strict, and safe in production."""

from __future__ import annotations

import ldap
import pytest
from django_auth_ldap.config import NestedActiveDirectoryGroupType

from broker.directory.config import NETWORK_TIMEOUT_SECONDS, OPERATION_TIMEOUT_SECONDS, ldap_settings
from broker.env import SettingError

BASE = {
    "AUTH_LDAP_SERVER_URI": "ldaps://dc1.corp.example.com",
    "AUTH_LDAP_USER_SEARCH_BASE": "dc=corp,dc=example,dc=com",
    "AUTH_LDAP_GROUP_SEARCH_BASE": "dc=corp,dc=example,dc=com",
}


@pytest.fixture
def env(monkeypatch):  # type: ignore[no-untyped-def]
    def apply(**values: str) -> None:
        for name, value in {**BASE, **values}.items():
            monkeypatch.setenv(name, value)

    monkeypatch.delenv("LDAPTLS_REQCERT", raising=False)
    return apply


def test_directory_sign_in_is_off_without_a_server_uri(monkeypatch):
    monkeypatch.delenv("AUTH_LDAP_SERVER_URI", raising=False)
    assert ldap_settings(debug=False) == {}


def test_a_typical_active_directory_configuration(env, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    secret = tmp_path / "bind-password"
    secret.write_text("s3cret\n")
    env(
        AUTH_LDAP_BIND_DN="CN=svc-broker,OU=Service Accounts,DC=corp,DC=example,DC=com",
        AUTH_LDAP_BIND_PASSWORD_FILE=str(secret),
        AUTH_LDAP_USER_FILTER="(|(sAMAccountName=%(user)s)(userPrincipalName=%(user)s))",
        AUTH_LDAP_GROUP_TYPE="nestedActiveDirectory",
        AUTH_LDAP_CA_CERT_FILE=str(ca),
    )

    values = ldap_settings(debug=False)

    options = values["AUTH_LDAP_CONNECTION_OPTIONS"]
    assert values["AUTH_LDAP_BIND_PASSWORD"] == "s3cret"
    assert isinstance(values["AUTH_LDAP_GROUP_TYPE"], NestedActiveDirectoryGroupType)
    assert values["AUTH_LDAP_GROUP_SEARCH"].filterstr == "(objectClass=group)"
    assert options[ldap.OPT_REFERRALS] == 0
    assert options[ldap.OPT_NETWORK_TIMEOUT] == NETWORK_TIMEOUT_SECONDS
    assert options[ldap.OPT_TIMEOUT] == OPERATION_TIMEOUT_SECONDS
    assert options[ldap.OPT_X_TLS_REQUIRE_CERT] == ldap.OPT_X_TLS_DEMAND
    assert options[ldap.OPT_X_TLS_CACERTFILE] == str(ca)
    assert list(options)[-1] == ldap.OPT_X_TLS_NEWCTX


def test_production_refuses_switching_off_certificate_validation(env, monkeypatch):
    env()
    monkeypatch.setenv("LDAPTLS_REQCERT", "never")

    with pytest.raises(SettingError, match="LDAPTLS_REQCERT"):
        ldap_settings(debug=False)
    options = ldap_settings(debug=True)["AUTH_LDAP_CONNECTION_OPTIONS"]
    assert options[ldap.OPT_X_TLS_REQUIRE_CERT] == ldap.OPT_X_TLS_NEVER


def test_production_refuses_passwords_in_clear_to_a_remote_directory(env):
    env(AUTH_LDAP_SERVER_URI="ldap://dc1.corp.example.com")
    with pytest.raises(SettingError, match="in clear"):
        ldap_settings(debug=False)

    env(AUTH_LDAP_SERVER_URI="ldap://dc1.corp.example.com", AUTH_LDAP_START_TLS="true")
    assert ldap_settings(debug=False)["AUTH_LDAP_START_TLS"] is True


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("AUTH_LDAP_GROUP_TYPE", "memberUid", "AUTH_LDAP_GROUP_TYPE"),
        ("AUTH_LDAP_USER_FILTER", "uid=%(user)s", "AUTH_LDAP_USER_FILTER"),
        ("AUTH_LDAP_USER_SEARCH_BASE", " ", "AUTH_LDAP_USER_SEARCH_BASE is required"),
        ("AUTH_LDAP_SERVER_URI", "http://dc1", "not an ldap"),
        ("AUTH_LDAP_START_TLS", "maybe", "AUTH_LDAP_START_TLS"),
        ("AUTH_LDAP_CA_CERT_FILE", "/nonexistent/ca.pem", "AUTH_LDAP_CA_CERT_FILE"),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_it(env, name, value, message):
    env(**{name: value})
    with pytest.raises(SettingError, match=message):
        ldap_settings(debug=False)
