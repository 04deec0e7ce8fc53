"""API routes; included by the root URLconf ahead of the portal's."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from federation.api import views

urlpatterns = [
    path("api/v1/roles/", views.RolesView.as_view(), name="api-roles"),
    path("api/v1/sessions/", views.SessionsView.as_view(), name="api-sessions"),
    path(
        "api/v1/roles/<slug:alias>/credentials",
        views.RoleCredentialsView.as_view(),
        name="api-role-credentials",
    ),
    # The same with a trailing slash, for hand-typed URLs; documented once.
    path("api/v1/roles/<slug:alias>/credentials/", views.RoleCredentialsView.as_view(schema=None)),
    path("api/v1/console-url/", views.ConsoleUrlView.as_view(), name="api-console-url"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    re_path(r"^api/", views.NotFoundView.as_view()),
]
