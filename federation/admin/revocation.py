"""Admin actions for revocation: "Revoke active sessions" on roles, "Deactivate and revoke" on users,
and "Revoke these sessions" on still-valid issuances (which revokes their roles' sessions).

Each asks for confirmation first (a page naming what will happen), then calls
``federation.revocation`` and reports every step as an admin message. Each
wants a second factor shown in the last BROKER_STEP_UP_SECONDS (step-up):
revoking is defensive, but a stolen admin session could use it to cut every
session of a role, so it is held to the same bar as the kill switch.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from broker.mfa.stepup import step_up_required
from broker.netaddr import client_ip
from federation import revocation
from federation.models import Issuance, Role


def _confirm(request: HttpRequest, queryset: QuerySet[Any], action: str, **context: Any) -> TemplateResponse:
    return TemplateResponse(
        request,
        "admin/federation/revoke_confirm.html",
        {**admin.site.each_context(request), "queryset": queryset, "action": action, **context},
    )


def _report(request: HttpRequest, subject: str, steps: list[revocation.Step]) -> None:
    for step in steps:
        level = messages.SUCCESS if step.ok else messages.ERROR
        messages.add_message(request, level, f"{subject}: {step.what}: {step.detail}")


@admin.action(description="Revoke active sessions (AWSRevokeOlderSessions)", permissions=["change"])
@step_up_required
def revoke_sessions(model_admin: Any, request: HttpRequest, queryset: QuerySet[Role]) -> Any:
    if request.POST.get("confirm") != "yes":
        return _confirm(
            request,
            queryset,
            "revoke_sessions",
            title="Revoke active sessions",
            explanation="Every session of these roles issued until now will be refused by AWS, whoever holds "
            "it; cached sessions are forgotten. New sessions can be issued at once.",
            aws_note="The broker attaches the AWSRevokeOlderSessions deny policy to each IAM role, as the "
            "IAM console does; leave it in place until the revoked sessions would have expired.",
            submit="Revoke",
        )
    _revoke_roles(request, queryset.select_related("account"))
    return None


def _revoke_roles(request: HttpRequest, roles: QuerySet[Role]) -> None:
    actor, source_ip = request.user.get_username(), client_ip(request)
    for role in roles:
        _report(
            request, role.alias, revocation.revoke_role_sessions(role=role, actor=actor, source_ip=source_ip)
        )


@admin.action(description="Deactivate and revoke (kill switch)", permissions=["change"])
@step_up_required
def deactivate_and_revoke(model_admin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
    if request.POST.get("confirm") != "yes":
        return _confirm(
            request,
            queryset,
            "deactivate_and_revoke",
            title="Deactivate and revoke",
            explanation="Each account is deactivated, its personal API tokens revoked, its cached sessions "
            "forgotten and its portal sessions ended.",
            aws_note="Sessions already issued keep working until they expire unless you also deny the "
            "user's source identity on the roles they used.",
            offer_deny=True,
            submit="Deactivate and revoke",
        )
    actor, source_ip = request.user.get_username(), client_ip(request)
    deny = request.POST.get("deny_on_roles") == "on"
    for user in queryset:
        if user.pk == request.user.pk:
            messages.error(request, f"{user.get_username()}: you cannot use the kill switch on yourself")
            continue
        steps = revocation.kill_switch(user=user, actor=actor, source_ip=source_ip, deny_on_roles=deny)
        _report(request, user.get_username(), steps)
    return None


@admin.action(description="Revoke these sessions (all sessions of their roles)", permissions=["revoke"])
@step_up_required
def revoke_issued_sessions(model_admin: Any, request: HttpRequest, queryset: QuerySet[Issuance]) -> Any:
    """AWS cannot end one session: the roles these sessions belong to get ``AWSRevokeOlderSessions``."""
    roles = Role.objects.filter(pk__in=queryset.values("role")).select_related("account")
    if request.POST.get("confirm") != "yes":
        return _confirm(
            request,
            queryset,
            "revoke_issued_sessions",
            title="Revoke these sessions",
            explanation="AWS cannot end a single session, so every session of these roles issued until now "
            f"will be refused, whoever holds it: {', '.join(role.alias for role in roles) or 'no role'}. "
            "Cached sessions are forgotten; new sessions can be issued at once.",
            aws_note="The broker attaches the AWSRevokeOlderSessions deny policy to each IAM role, as the "
            "IAM console does. To stop one person only, use Deactivate and revoke on the user.",
            submit="Revoke",
        )
    _revoke_roles(request, roles)
    return None
