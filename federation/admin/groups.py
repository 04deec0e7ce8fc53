"""Groups in the admin, replacing Django's page: the AWS roles a group grants come first.

A directory group (LDAP cn, SAML or OIDC value, local group) is where grants
live, so its page leads with them; Django's permission picker, which only
matters for staff groups, is folded away. Changes want step-up.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group

from federation.admin.grants import GrantInline
from federation.admin.stepup import StepUpForChanges

admin.site.unregister(Group)


@admin.register(Group)
class GroupWithGrantsAdmin(StepUpForChanges, GroupAdmin):
    """The group's AWS roles come first; Django's permission picker is folded away below the name."""

    inlines = [GrantInline]
    fieldsets = [
        (None, {"fields": ["name"]}),
        (
            "Django admin permissions (for staff groups only)",
            {
                "classes": ["collapse"],
                "fields": ["permissions"],
                "description": "What members may do in this admin. "
                "AWS access is the grants below, not these.",
            },
        ),
    ]
