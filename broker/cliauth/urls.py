"""The OAuth endpoints under ``/oauth/``, in the namespace the library's views reverse.

Only what the CLI needs is routed: no introspection, no application
management, no OpenID Connect, no dynamic registration. The RFC 8414
metadata is at the site root (``/.well-known/oauth-authorization-server``,
in ``broker/urls.py``), as the RFC places it.
"""

from django.urls import path
from oauth2_provider.views import RevokeTokenView

from broker.cliauth import views

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", views.Authorize.as_view(), name="authorize"),
    path("token/", views.Token.as_view(), name="token"),
    path("revoke_token/", RevokeTokenView.as_view(), name="revoke-token"),
    path("device-authorization/", views.DeviceAuthorization.as_view(), name="device-authorization"),
    path("device/", views.device, name="device"),
    path(
        "device-confirm/<slug:client_id>/<slug:user_code>",
        views.DeviceConfirm.as_view(),
        name="device-confirm",
    ),
    path(
        "device-grant-status/<slug:client_id>/<slug:user_code>",
        views.DeviceDone.as_view(),
        name="device-grant-status",
    ),
]
