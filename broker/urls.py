"""Root URLconf: the one place where ``broker`` names ``federation``."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from broker import health, metrics
from broker.apitokens import views as tokenviews
from broker.cliauth import download as cliauth_download
from broker.cliauth import views as cliviews
from broker.directory.forms import SignInForm
from broker.saml import views as saml_views
from federation.apidocs import views as apidocs

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
        name="login",
    ),
    # Signs out here, then at the SAML IdP when the session came from one that publishes SLO.
    path("logout/", saml_views.portal_logout, name="logout"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("saml/", include("broker.saml.urls")),
    path("oidc/", include("broker.oidc.urls")),
    path("mfa/", include("broker.mfa.urls")),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("tokens/", tokenviews.personal_tokens, name="personal-tokens"),
    path("", include("federation.elevation.urls")),  # before the API's catch-all for unknown /api/ paths
    path("oauth/", include("broker.cliauth.urls")),
    path(".well-known/oauth-authorization-server", cliviews.Metadata.as_view(), name="oauth-metadata"),
    path("terminal/", cliviews.terminal, name="terminal"),
    path("terminal/awsbroker.tar.gz", cliauth_download.cli_archive, name="cli-archive"),
    path("api/docs/", apidocs.reference, name="api-docs"),
    path("", include("federation.api.urls")),
    path("", include("federation.urls")),
]

# Styled error cards for every status (broker/errorpages.py); a body over Django's limits is a 413.
handler400 = "broker.errorpages.bad_request"
handler403 = "broker.errorpages.permission_denied"
handler404 = "broker.errorpages.not_found"
handler500 = "broker.errorpages.server_error"
