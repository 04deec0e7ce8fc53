"""django-auth-ldap settings, built only from the ``AUTH_LDAP_*`` environment variables.

Directory sign-in is on exactly when ``AUTH_LDAP_SERVER_URI`` is set. Every
other choice that matters for safety is fixed here rather than left to a
deployment: bounded waits so a hung directory cannot hold a worker,
referrals off (Active Directory answers searches at the domain root with
referrals libldap would chase anonymously), certificate validation on, and
a production start (``DJANGO_DEBUG`` off) refused when the passwords people
type would cross the network unprotected.

Certificate validation can be switched off only through libldap's own
``LDAPTLS_REQCERT`` variable, and only in debug; ``ldap.conf``'s
``TLS_REQCERT`` is overridden, never trusted.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from broker.env import SettingError, envbool, envsecret, envstr

# Seconds. A TCP connect that takes longer fails; so does any one LDAP
# operation (bind, search, StartTLS), which is what catches a hung server
# that accepts connections but never answers.
NETWORK_TIMEOUT_SECONDS = 3
OPERATION_TIMEOUT_SECONDS = 5

# AUTH_LDAP_GROUP_TYPE → (django-auth-ldap class, what a group entry looks like)
GROUP_TYPES = {
    "groupOfNames": ("GroupOfNamesType", "(objectClass=groupOfNames)"),
    "nestedGroupOfNames": ("NestedGroupOfNamesType", "(objectClass=groupOfNames)"),
    "posixGroup": ("PosixGroupType", "(objectClass=posixGroup)"),
    "activeDirectory": ("ActiveDirectoryGroupType", "(objectClass=group)"),
    "nestedActiveDirectory": ("NestedActiveDirectoryGroupType", "(objectClass=group)"),
}
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}
_NO_VALIDATION = {"never", "allow", "try"}


def _uris(raw: str) -> list[str]:
    """libldap accepts several URIs separated by spaces or commas (fail-over)."""
    uris = raw.replace(",", " ").split()
    for uri in uris:
        if urlsplit(uri).scheme not in {"ldap", "ldaps", "ldapi"}:
            raise SettingError(f"AUTH_LDAP_SERVER_URI: {uri!r} is not an ldap://, ldaps:// or ldapi:// URI")
    return uris


def _in_clear(uri: str, *, start_tls: bool) -> bool:
    """Would a password sent to this URI cross a network unencrypted?"""
    parts = urlsplit(uri)
    if parts.scheme != "ldap" or start_tls:
        return False
    return (parts.hostname or "localhost") not in _LOOPBACK


def _require(name: str) -> str:
    value = envstr(name).strip()
    if not value:
        raise SettingError(f"{name} is required when AUTH_LDAP_SERVER_URI is set")
    return value


def _user_filter() -> str:
    value = envstr("AUTH_LDAP_USER_FILTER", "(uid=%(user)s)").strip()
    if "%(user)s" not in value or not (value.startswith("(") and value.endswith(")")):
        raise SettingError(f"AUTH_LDAP_USER_FILTER must be an LDAP filter using %(user)s, not {value!r}")
    return value


def _group_type() -> tuple[Any, str]:
    from django_auth_ldap import config as ldap_config

    name = envstr("AUTH_LDAP_GROUP_TYPE", "groupOfNames").strip()
    if name not in GROUP_TYPES:
        raise SettingError(f"AUTH_LDAP_GROUP_TYPE must be one of {', '.join(GROUP_TYPES)}, not {name!r}")
    class_name, group_filter = GROUP_TYPES[name]
    return getattr(ldap_config, class_name)(), group_filter


def _tls_options(uris: list[str], *, start_tls: bool, debug: bool) -> dict[int, Any]:
    import ldap

    uses_tls = start_tls or any(uri.startswith("ldaps://") for uri in uris)
    reqcert = os.environ.get("LDAPTLS_REQCERT", "demand").strip().lower() or "demand"
    if reqcert in _NO_VALIDATION and uses_tls and not debug:
        raise SettingError(
            f"LDAPTLS_REQCERT={reqcert} switches off the directory's certificate validation;"
            " refused when DJANGO_DEBUG is off"
        )
    if not debug and any(_in_clear(uri, start_tls=start_tls) for uri in uris):
        raise SettingError(
            "AUTH_LDAP_SERVER_URI would send passwords in clear; use ldaps:// or"
            " AUTH_LDAP_START_TLS=true (refused when DJANGO_DEBUG is off)"
        )
    level = ldap.OPT_X_TLS_NEVER if debug and reqcert in _NO_VALIDATION else ldap.OPT_X_TLS_DEMAND
    options: dict[int, Any] = {ldap.OPT_X_TLS_REQUIRE_CERT: level}
    ca_file = envstr("AUTH_LDAP_CA_CERT_FILE").strip()
    if ca_file:
        if not os.access(ca_file, os.R_OK):
            raise SettingError(f"AUTH_LDAP_CA_CERT_FILE points to an unreadable file: {ca_file}")
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
    # libldap applies per-connection TLS options only to a new TLS context,
    # which must be asked for after the others (dicts keep their order).
    options[ldap.OPT_X_TLS_NEWCTX] = 0
    return options


def ldap_settings(*, debug: bool) -> dict[str, Any]:
    """The ``AUTH_LDAP_*`` Django settings, or ``{}`` when directory sign-in is off."""
    raw_uri = envstr("AUTH_LDAP_SERVER_URI").strip()
    if not raw_uri:
        return {}
    import ldap
    from django_auth_ldap.config import LDAPSearch

    uris = _uris(raw_uri)
    start_tls = envbool("AUTH_LDAP_START_TLS", False)
    group_type, group_filter = _group_type()
    options = {
        ldap.OPT_PROTOCOL_VERSION: ldap.VERSION3,
        ldap.OPT_REFERRALS: 0,
        ldap.OPT_NETWORK_TIMEOUT: NETWORK_TIMEOUT_SECONDS,
        ldap.OPT_TIMEOUT: OPERATION_TIMEOUT_SECONDS,
        **_tls_options(uris, start_tls=start_tls, debug=debug),
    }
    return {
        "AUTH_LDAP_SERVER_URI": " ".join(uris),
        "AUTH_LDAP_BIND_DN": envstr("AUTH_LDAP_BIND_DN").strip(),
        "AUTH_LDAP_BIND_PASSWORD": envsecret("AUTH_LDAP_BIND_PASSWORD"),
        "AUTH_LDAP_START_TLS": start_tls,
        "AUTH_LDAP_CONNECTION_OPTIONS": options,
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            _require("AUTH_LDAP_USER_SEARCH_BASE"), ldap.SCOPE_SUBTREE, _user_filter()
        ),
        "AUTH_LDAP_GROUP_SEARCH": LDAPSearch(
            _require("AUTH_LDAP_GROUP_SEARCH_BASE"), ldap.SCOPE_SUBTREE, group_filter
        ),
        "AUTH_LDAP_GROUP_TYPE": group_type,
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        # Groups are mirrored by broker.directory.backend through broker.groups,
        # the same path SAML takes; nothing is cached between sign-ins.
        "AUTH_LDAP_MIRROR_GROUPS": False,
        "AUTH_LDAP_CACHE_TIMEOUT": 0,
    }
