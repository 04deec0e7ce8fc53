"""Root URLconf: the one place where ``broker`` names ``federation``."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from broker import health, metrics
from broker.apitokens import views as tokenviews
from broker.directory.forms import SignInForm
from broker.saml import views as saml_views

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
    path("mfa/", include("broker.mfa.urls")),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("tokens/", tokenviews.personal_tokens, name="personal-tokens"),
    path("", include("federation.api.urls")),
    path("", include("federation.urls")),
]

# A request Django refuses as malformed (SuspiciousOperation): 413 for a body over its limits, else 400.
handler400 = "broker.errorpages.bad_request"
