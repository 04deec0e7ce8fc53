"""The one settings module, fed by environment variables.

Each block says what it is for. Parsers in ``broker.env`` are strict, and a
production start (``DJANGO_DEBUG`` off) without its secrets stops with a
message naming the missing variable.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from broker.env import (
    SettingError,
    envbool,
    envint,
    envlist,
    envsecret,
    envstr,
    parse_rate,
    require,
    with_password,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core -----------------------------------------------------------------
DEBUG = envbool("DJANGO_DEBUG", False)
SECRET_KEY = require("DJANGO_SECRET_KEY", envsecret("DJANGO_SECRET_KEY"), debug=DEBUG) or (
    "dev-only-insecure-secret-key-never-use-in-production"
)
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
BROKER_BASE_URL = envstr("BROKER_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [BROKER_BASE_URL]

INSTALLED_APPS = [
    # Django's admin, on a site that also wants a second factor from staff (broker/mfa/).
    "broker.mfa.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "broker",
    "federation",
    "federation.elevation",  # just-in-time elevation with approval
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Passkeys and security keys (WebAuthn) and recovery codes, beside TOTP (broker/mfa/).
    "django_otp_webauthn",
    "broker.mfa.apps.MfaConfig",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "broker.idle.IdleTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "broker.mfa.middleware.MfaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "broker.middleware.RequestContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "broker.urls"
WSGI_APPLICATION = "broker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: SQLite with no set-up, anything else through DATABASE_URL ---
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60, minimum=0),
    )
}
# PostgreSQL binds parameters on the server and prepares a statement once a
# connection has run it twice: the API's warm path runs the same few statements on
# every request, and parsing and planning them each time cost PostgreSQL more CPU
# than executing them. Off (DATABASE_PREPARED_STATEMENTS=false) behind a PgBouncer
# in transaction mode, which cannot keep a prepared statement.
if DATABASES["default"]["ENGINE"].endswith("postgresql") and envbool("DATABASE_PREPARED_STATEMENTS", True):
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The database password may come apart from the URL (DATABASE_PASSWORD or its _FILE), so a
# container secret never has to be written into DATABASE_URL (docker-compose.yml does this).
if envsecret("DATABASE_PASSWORD"):
    DATABASES["default"]["PASSWORD"] = envsecret("DATABASE_PASSWORD")

# --- Redis: cache and Celery broker ---------------------------------------
# REDIS_PASSWORD (or its _FILE) is put into the URL here, for the same reason as the database's.
REDIS_URL = with_password(envstr("REDIS_URL", "redis://127.0.0.1:6379/0"), envsecret("REDIS_PASSWORD"))
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "broker",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Sign-in ---------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = envint("BROKER_SESSION_SECONDS", 8 * 3600, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = BROKER_BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Directory sign-in (LDAP / Active Directory) ---------------------------
# On only when AUTH_LDAP_SERVER_URI is set: broker/directory/config.py turns
# the AUTH_LDAP_* variables into django-auth-ldap's settings (timeouts, TLS
# validation, referrals off). The directory is asked first; local accounts
# stay after it as the admins' break-glass. Directory users' groups are
# re-checked before issuing credentials once they are this many seconds old.
from broker.directory.config import ldap_settings  # noqa: E402

globals().update(ldap_settings(debug=DEBUG))
if globals().get("AUTH_LDAP_SERVER_URI"):
    AUTHENTICATION_BACKENDS = [
        "broker.directory.backend.DirectoryBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
DIRECTORY_RECHECK_SECONDS = 300
MIDDLEWARE.append("broker.directory.middleware.DirectoryUnavailableMiddleware")

# --- SAML single sign-on (broker/saml/) --------------------------------------
# On when the IdP metadata is given (a file, or a URL re-read hourly); the IdP's
# signing certificates are pinned from it. The SP's URLs derive from
# BROKER_BASE_URL. IdP-initiated (unsolicited) responses are refused unless
# SAML_ALLOW_IDP_INITIATED is on. Replay and request records live in Redis.
SAML_IDP_METADATA_FILE = envstr("SAML_IDP_METADATA_FILE")
SAML_IDP_METADATA_URL = envstr("SAML_IDP_METADATA_URL")
if SAML_IDP_METADATA_FILE and SAML_IDP_METADATA_URL:
    raise SettingError("set SAML_IDP_METADATA_FILE or SAML_IDP_METADATA_URL, not both")
SAML_SP_ENTITY_ID = envstr("SAML_SP_ENTITY_ID")  # empty: BROKER_BASE_URL + /saml/metadata/
SAML_SP_CERT_FILE = envstr("SAML_SP_CERT_FILE")
SAML_SP_KEY_FILE = envstr("SAML_SP_KEY_FILE")
SAML_USERNAME_ATTRIBUTE = envstr("SAML_USERNAME_ATTRIBUTE")  # empty: the NameID
SAML_GROUPS_ATTRIBUTE = envstr("SAML_GROUPS_ATTRIBUTE", "groups")
SAML_ALLOW_IDP_INITIATED = envbool("SAML_ALLOW_IDP_INITIATED", False)
SAML_MAX_RESPONSE_BYTES = envint("SAML_MAX_RESPONSE_BYTES", 256 * 1024, minimum=4096)
SAML_USER_MAPPER = "broker.saml.mapping.UserMapper"
SAML_CACHE_ALIAS = "default"
AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "broker.saml.backend.SamlBackend"]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("broker.saml.context.sso")

# --- OpenID Connect sign-in (broker/oidc/) ------------------------------------
# On when OIDC_ISSUER is set: discovery at OIDC_ISSUER/.well-known/openid-configuration,
# the authorization code flow with PKCE (S256), state and nonce; the ID token's
# signature (asymmetric algorithms only), iss, aud/azp, exp, iat and nonce are
# checked. No OIDC_CLIENT_SECRET: a public client, PKCE only. OIDC people are
# keyed by (issuer, sub) and never take over an existing account unless an admin
# linked it. Their ID token is kept sealed in the session for web-identity roles.
OIDC_ISSUER = envstr("OIDC_ISSUER")  # exactly as the provider writes `iss` (Auth0 ends it with /)
OIDC_CLIENT_ID = envstr("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = envsecret("OIDC_CLIENT_SECRET")
OIDC_SCOPES = envstr("OIDC_SCOPES", "openid profile email")
OIDC_USERNAME_CLAIM = envstr("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = envstr("OIDC_GROUPS_CLAIM", "groups")
OIDC_DISPLAY_NAME = envstr("OIDC_DISPLAY_NAME", "OpenID Connect")
OIDC_ALGORITHMS = envlist("OIDC_ALGORITHMS", "RS256,RS384,RS512,PS256,PS384,PS512,ES256,ES384,ES512,EdDSA")
OIDC_MFA_ACR_VALUES = envlist("OIDC_MFA_ACR_VALUES")
OIDC_TIMEOUT_SECONDS = envint("OIDC_TIMEOUT_SECONDS", 5, minimum=1)
OIDC_CLOCK_SKEW_SECONDS = envint("OIDC_CLOCK_SKEW_SECONDS", 60, minimum=0)
OIDC_USER_MAPPER = "broker.oidc.mapping.UserMapper"
if OIDC_ISSUER:
    from broker.oidc.config import check_settings  # noqa: E402

    check_settings(issuer=OIDC_ISSUER, client_id=OIDC_CLIENT_ID, algorithms=OIDC_ALGORITHMS, debug=DEBUG)
AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "broker.oidc.backend.OidcBackend"]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("broker.oidc.context.oidc")

# --- Keyless federation: the broker as a SAML IdP to AWS (federation/samlidp/) ---
# saml roles are reached with AssumeRoleWithSAML (unsigned) or AWS's SAML sign-in page,
# with assertions the broker signs: no AWS keys are needed for them. The key is a secret
# (BROKER_AWS_SAML_KEY_FILE, or the PEM itself in BROKER_AWS_SAML_KEY); the certificate
# and the next one (published ahead of a rotation) are files. In debug without a key, a
# pair is generated once under .demo/aws-saml-idp/ for the demo; otherwise a system check
# stops start-up while a saml role exists without an RSA key of 2048 bits or more.
BROKER_AWS_SAML_KEY_FILE = envstr("BROKER_AWS_SAML_KEY_FILE")
BROKER_AWS_SAML_KEY = "" if BROKER_AWS_SAML_KEY_FILE else envstr("BROKER_AWS_SAML_KEY")
BROKER_AWS_SAML_CERT_FILE = envstr("BROKER_AWS_SAML_CERT_FILE")
BROKER_AWS_SAML_NEXT_CERT_FILE = envstr("BROKER_AWS_SAML_NEXT_CERT_FILE")
BROKER_AWS_SAML_ENTITY_ID = envstr("BROKER_AWS_SAML_ENTITY_ID") or BROKER_BASE_URL + "/aws/saml/metadata/"
BROKER_SAML_SIGNIN_URL = envstr("BROKER_SAML_SIGNIN_URL")  # empty: AWS's endpoint for the role's partition
BROKER_AWS_SAML_TRANSITIVE_TAG_KEYS = envlist("BROKER_AWS_SAML_TRANSITIVE_TAG_KEYS")
BROKER_AWS_SAML_DEV_KEY_DIR = BASE_DIR / ".demo" / "aws-saml-idp"

# --- Web layer -------------------------------------------------------------
# HTTPS settings follow BROKER_BASE_URL: an https portal gets HSTS, secure
# cookies and a redirect to https (health probes excepted). Behind a proxy
# that terminates TLS, set BROKER_TRUST_PROXY so X-Forwarded-Proto is read.
# The CSP allows the broker's own scripts and styles only; nothing may frame it.
_HTTPS = BROKER_BASE_URL.startswith("https://")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if envbool("BROKER_TRUST_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
BROKER_TRUST_PROXY = envbool("BROKER_TRUST_PROXY", False)
SECURE_HSTS_SECONDS = envint("BROKER_HSTS_SECONDS", 365 * 24 * 3600 if _HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("BROKER_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("BROKER_HSTS_PRELOAD", True)
SECURE_SSL_REDIRECT = envbool("BROKER_SSL_REDIRECT", _HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
CSRF_FAILURE_VIEW = "broker.errorpages.csrf_failure"
# Error answers without a body (the 405 of a POST-only page opened as a link) get the styled card.
MIDDLEWARE.append("broker.errorpages.StyledEmptyErrors")
# Signed out after this long without a request (broker/idle.py); SESSION_COOKIE_AGE caps the whole session.
BROKER_IDLE_TIMEOUT_SECONDS = envint("BROKER_IDLE_TIMEOUT_SECONDS", 1800, minimum=60)

# --- Second factor (broker/mfa/): TOTP for password sign-ins ------------------
# Directory and local-account users verify a TOTP code after their password
# once they have enrolled a device; BROKER_REQUIRE_MFA makes every one of them
# enrol first. Grants can require MFA per role; staff need it for the admin.
# SAML users bring their IdP's MFA; API tokens are never asked.
BROKER_REQUIRE_MFA = envbool("BROKER_REQUIRE_MFA", False)
OTP_TOTP_ISSUER = envstr("BROKER_MFA_ISSUER", "AWS identity broker")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Passkeys, recovery codes and step-up (broker/mfa/passkeys.py, stepup.py) ----
# Passkeys (WebAuthn) are a second factor beside or instead of TOTP; the relying
# party ID is BROKER_BASE_URL's host and its origin the only one accepted
# (passkeys need https, or http://localhost). BROKER_STAFF_REQUIRE_WEBAUTHN makes
# the admin want a passkey (phishing-resistant) rather than any factor. Revocation,
# the kill switch, grant changes and approvals want a factor shown in the last
# BROKER_STEP_UP_SECONDS. Every enrolment comes with ten single-use recovery codes.
BROKER_STAFF_REQUIRE_WEBAUTHN = envbool("BROKER_STAFF_REQUIRE_WEBAUTHN", False)
BROKER_STEP_UP_SECONDS = envint("BROKER_STEP_UP_SECONDS", 300, minimum=30)
OTP_WEBAUTHN_HELPER_CLASS = "broker.mfa.passkeys.BrokerWebAuthnHelper"
OTP_WEBAUTHN_RP_ID_CALLABLE = "broker.mfa.passkeys.rp_id"
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOWED_ORIGINS = [BROKER_BASE_URL.split("/", 3)[0] + "//" + BROKER_BASE_URL.split("/", 3)[2]]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a second factor only, after the password or SSO
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""  # broker.mfa.passkeys logs refusals itself, one line each
# The library insists on https origins; an http BROKER_BASE_URL (the demo) just has no passkeys.
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E031"]

# --- Password guessing (django-axes, broker/lockout.py) -----------------------
# Failed sign-ins are counted per username and address (the address from
# X-Forwarded-For only with BROKER_TRUST_PROXY); at the limit the password is
# no longer even tried, so the broker cannot run a directory account into its
# own lockout (AD's is often 10). A locked-out attempt looks like a wrong password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_FAILURE_LIMIT = envint("BROKER_LOCKOUT_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("BROKER_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "broker.lockout.username_key"
AXES_CLIENT_IP_CALLABLE = "broker.netaddr.client_ip"
AXES_LOCKOUT_CALLABLE = "broker.lockout.lockout_response"
AXES_WHITELIST_CALLABLE = "broker.lockout.not_a_guess"  # a directory outage is not a failed guess
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit trail already
AXES_VERBOSE = False

# --- Credentials: encryption at rest and AWS endpoints ----------------------
BROKER_ENCRYPTION_KEYS = envlist("BROKER_ENCRYPTION_KEYS", envsecret("BROKER_ENCRYPTION_KEYS"))
if not BROKER_ENCRYPTION_KEYS:
    require("BROKER_ENCRYPTION_KEYS", "", debug=DEBUG)
BROKER_SIGNIN_URL = envstr("BROKER_SIGNIN_URL")
BROKER_CONSOLE_DESTINATIONS = envlist("BROKER_CONSOLE_DESTINATIONS")
BROKER_STS_CONNECT_TIMEOUT = envint("BROKER_STS_CONNECT_TIMEOUT", 3, minimum=1)
BROKER_STS_READ_TIMEOUT = envint("BROKER_STS_READ_TIMEOUT", 10, minimum=1)
BROKER_STS_MAX_ATTEMPTS = envint("BROKER_STS_MAX_ATTEMPTS", 3, minimum=1)
# True when the broker's own AWS credentials are a role session, so AWS caps
# chained AssumeRole sessions at one hour. "auto" asks GetCallerIdentity once.
BROKER_ROLE_CHAINING = envstr("BROKER_ROLE_CHAINING", "auto").lower()

# --- REST API, API tokens and the credential cache -------------------------
# HMAC key for stored API tokens; SECRET_KEY when unset (rotating it then voids tokens).
BROKER_API_TOKEN_KEY = envsecret("BROKER_API_TOKEN_KEY")
# Requests per client (N/second|minute|hour); over it the API answers 429 + Retry-After.
BROKER_API_RATE = envstr("BROKER_API_RATE", "600/minute")
# Failed API authentications (a bad, expired or missing token) per source address (N/second|minute|hour):
# over it the address gets 429 + Retry-After before its token is even looked up, and refused attempts
# are audited as one event per address and window (broker/apitokens/failures.py), not a row each.
BROKER_API_AUTH_FAILURES = envstr("BROKER_API_AUTH_FAILURES", "20/minute")
parse_rate(BROKER_API_AUTH_FAILURES, name="BROKER_API_AUTH_FAILURES")  # a typo stops start-up
# Longest lifetime an employee may give a personal token made in the portal.
BROKER_PERSONAL_TOKEN_MAX_DAYS = envint("BROKER_PERSONAL_TOKEN_MAX_DAYS", 30, minimum=1)
# Redis key prefix for cached sessions (values sealed with BROKER_ENCRYPTION_KEYS).
BROKER_CACHE_PREFIX = envstr("BROKER_CACHE_PREFIX", "broker:creds:")
# Refresh a cached session this many seconds before it would stop being served.
BROKER_CACHE_REFRESH_LEAD = envint("BROKER_CACHE_REFRESH_LEAD", 300, minimum=0)
# Refreshes one worker process runs at once (each mostly waits on STS); SQLite: 1.
BROKER_REFRESH_THREADS = envint(
    "BROKER_REFRESH_THREADS", 1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 16, minimum=1
)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["federation.api.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["federation.api.throttling.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "federation.api.errors.handler",
    # ?format=process is ours (credential_process), not DRF's renderer switch.
    "URL_FORMAT_OVERRIDE": None,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AWS identity broker API",
    "DESCRIPTION": "Short-lived AWS sessions for applications and scripts.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}
# Beat: keep cached sessions in active use fresh; a missed tick is dropped, not queued.
CELERY_BEAT_SCHEDULE = {
    "refresh-cached-sessions": {
        "task": "federation.tasks.refresh_due",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # One audit event per address for each closed window of failed API authentications.
    "audit-auth-failures": {
        "task": "broker.apitokens.tasks.flush_auth_failures",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
}

# --- CLI sign-in (broker/cliauth/): OAuth 2.0 for the awsbroker CLI -----------
# django-oauth-toolkit serves the CLI's browser sign-in (authorization code +
# PKCE S256, loopback redirects, RFC 8252) and device sign-in (RFC 8628); its
# settings are built in broker/cliauth/config.py. Access tokens are short; a
# sign-in (its rotating refresh tokens) ends BROKER_CLI_SESSION_SECONDS after it
# began, a work day by default. W008 warns that http redirect URIs are allowed:
# they are, for loopback addresses only, as RFC 8252 requires (cliauth checks).
from broker.cliauth.config import oauth2_provider_settings  # noqa: E402

INSTALLED_APPS.append("oauth2_provider")
BROKER_CLI_ACCESS_TOKEN_SECONDS = envint("BROKER_CLI_ACCESS_TOKEN_SECONDS", 900, minimum=60)
BROKER_CLI_SESSION_SECONDS = envint("BROKER_CLI_SESSION_SECONDS", 8 * 3600, minimum=300)
OAUTH2_PROVIDER = oauth2_provider_settings(
    access_seconds=BROKER_CLI_ACCESS_TOKEN_SECONDS, session_seconds=BROKER_CLI_SESSION_SECONDS
)
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "oauth2_provider.W008"]
# The library's own models, named because CliSession points at them (migrations need the names).
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_DEVICE_GRANT_MODEL = "oauth2_provider.DeviceGrant"

# --- Internationalisation and static files ---------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from static/ when collectstatic has not run (demo, tests).
WHITENOISE_USE_FINDERS = True

# --- Logging: readable lines in development, JSON lines with LOG_FORMAT=json;
# secrets never reach a handler (every handler redacts).
LOG_FORMAT = envstr("LOG_FORMAT", "plain").lower()
if LOG_FORMAT not in ("plain", "json"):
    raise SettingError(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "broker.redaction.RedactSecretsFilter"},
        "context": {"()": "broker.logformat.RequestContextFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "broker.logformat.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact", "context"],
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "botocore": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "werkzeug": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # a line per sign-in otherwise; failures are warnings
    },
}

# --- Portal: who people are told to ask for access (broker/support.py) --------
# A name, optionally with an address: "Cloud team <cloud@example.com>" or
# "#aws-access <https://chat.example.com/aws-access>".
BROKER_SUPPORT_CONTACT = envstr("BROKER_SUPPORT_CONTACT", "your AWS administrators")
TEMPLATES[0]["OPTIONS"]["context_processors"].append("broker.support.support")

# --- Readiness: external systems /readyz reports (TCP reachability, no secrets).
BROKER_READINESS_PROBES = {
    "directory": "broker.reachability.directory",
    "sts": "federation.reachability.sts_endpoint",
}

# --- Metrics: /metrics for a staff session or this bearer token -------------
BROKER_METRICS_TOKEN = envsecret("BROKER_METRICS_TOKEN")

# --- Just-in-time elevation (federation/elevation/) --------------------------
# A pending request expires unanswered after this long. Notifications go by
# email (Django's mail settings below) and to Apprise URLs (Slack, Teams,
# json:// webhooks...), separated by spaces; they hold tokens, so they may
# come from BROKER_ELEVATION_NOTIFY_URLS_FILE.
BROKER_ELEVATION_PENDING_SECONDS = envint("BROKER_ELEVATION_PENDING_SECONDS", 86400, minimum=60)
BROKER_ELEVATION_NOTIFY_EMAIL = envbool("BROKER_ELEVATION_NOTIFY_EMAIL", True)
BROKER_ELEVATION_NOTIFY_URLS = envsecret("BROKER_ELEVATION_NOTIFY_URLS").split()
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "aws-broker@localhost")
CELERY_BEAT_SCHEDULE.update(
    {
        "elevation-expire": {
            "task": "federation.elevation.tasks.expire_due",
            "schedule": 30.0,
            "options": {"expires": 25},
        },
        "elevation-notifications": {
            "task": "federation.elevation.tasks.retry_notifications",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
        "elevation-deny-cleanup": {
            "task": "federation.elevation.tasks.cleanup_denials",
            "schedule": 300.0,
            "options": {"expires": 240},
        },
    }
)
