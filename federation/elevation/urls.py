"""Elevation's routes: the portal pages and the REST calls. Included by the root URLconf
ahead of the API's catch-all for unknown /api/ paths."""

from django.urls import path

from federation.elevation import api, views

urlpatterns = [
    path("roles/<slug:alias>/request/", views.request_role, name="elevation-request-role"),
    path("requests/", views.request_list, name="elevation-requests"),
    path("requests/<int:pk>/", views.request_page, name="elevation-request"),
    path("requests/<int:pk>/approve/", views.approve, name="elevation-approve"),
    path("requests/<int:pk>/deny/", views.deny, name="elevation-deny"),
    path("requests/<int:pk>/cancel/", views.cancel, name="elevation-cancel"),
    path("requests/<int:pk>/revoke/", views.revoke, name="elevation-revoke"),
    path("api/v1/access-requests/", api.AccessRequestsView.as_view(), name="api-access-requests"),
    path("api/v1/access-requests/<int:pk>", api.AccessRequestView.as_view(), name="api-access-request"),
    path("api/v1/access-requests/<int:pk>/approve", api.ApproveView.as_view(), name="api-access-approve"),
    path("api/v1/access-requests/<int:pk>/deny", api.DenyView.as_view(), name="api-access-deny"),
]
