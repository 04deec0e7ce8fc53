"""API clients in the admin: create one and see its token once; revoke at once.

The roles a client may use are grants to its group (``api:<name>``), edited
on that group's admin page like any other grant; the client page links there.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from broker import audit
from broker.apitokens import tokens
from broker.apitokens.models import ApiClient, ApiToken


def _show_once(request: HttpRequest, minted: list[tuple[ApiClient, str]]) -> TemplateResponse:
    response = TemplateResponse(
        request,
        "admin/broker/apiclient/token_once.html",
        {**admin.site.each_context(request), "minted": minted, "title": "New API token"},
    )
    response["Cache-Control"] = "no-store"
    return response


class TokenInline(admin.TabularInline):
    model = ApiToken
    fields = ["lookup", "label", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "max_session_seconds", "is_active", "expires_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "description", "owner__username"]
    fields = [
        "name",
        "owner",
        "description",
        "roles",
        "max_session_seconds",
        "allowed_networks",
        "expires_at",
        "is_active",
    ]
    readonly_fields = ["roles"]
    inlines = [TokenInline]
    actions = ["issue_token", "revoke_clients"]

    @admin.display(description="Roles")
    def roles(self, obj: ApiClient) -> str:
        if not obj.pk:
            return "Saved first; then grant roles to the client's group."
        url = reverse("admin:auth_group_change", args=[obj.group_id])
        return format_html('Grants to group <a href="{}">{}</a>', url, obj.group.name)

    def response_add(
        self, request: HttpRequest, obj: ApiClient, post_url_continue: Any = None
    ) -> HttpResponse:
        _, raw = tokens.mint(client=obj, label="created in admin")
        return _show_once(request, [(obj, raw)])

    @admin.action(description="Issue a new token (shown once)")
    def issue_token(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> TemplateResponse:
        minted = [(client, tokens.mint(client=client, label="issued in admin")[1]) for client in queryset]
        return _show_once(request, minted)

    @admin.action(description="Revoke the selected clients (all their tokens stop at once)")
    def revoke_clients(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset.filter(is_active=True):
            ApiClient.objects.filter(pk=client.pk).update(is_active=False)  # one event: this one
            audit.record("apitoken.revoked", actor=request.user.get_username(), client=client.name)
        messages.success(request, "Revoked.")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    _shown = ["client", "user", "label", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_display = ["__str__", *_shown]
    list_filter = ["revoked_at"]
    search_fields = ["lookup", "label", "client__name", "user__username"]
    readonly_fields = ["lookup", *_shown]
    exclude = ["digest"]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            tokens.revoke(token, actor=request.user.get_username())
        messages.success(request, "Revoked.")
