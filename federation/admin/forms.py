"""The grant and role forms of the admin: policies as laid-out JSON, durations in hours.

The fields are the admin's own presentation (``federation.admin.fields``);
the policy rules stay on the models' ``clean`` (``validate_policy``), so the
admin refuses the policies the grants file and the API refuse.
"""

from __future__ import annotations

from django import forms

from federation.admin.fields import HoursField, PolicyJSONField
from federation.models import (
    MAX_FEDERATION_TOKEN_SECONDS,
    MIN_SESSION_SECONDS,
    Grant,
    Role,
)


class GrantForm(forms.ModelForm):
    session_seconds = HoursField(
        label="Default session (hours)",
        min_seconds=MIN_SESSION_SECONDS,
        max_seconds=MAX_FEDERATION_TOKEN_SECONDS,
        required=False,
        help_text="Empty: 1 hour, or the role's maximum when that is shorter.",
    )
    session_policy = PolicyJSONField(
        label="Session policy",
        help_text="Optional IAM policy JSON that narrows the role for this group. "
        "Empty: the role's full rights.",
    )

    class Meta:
        model = Grant
        fields = ["role", "group", "session_seconds", "session_policy", "require_mfa"]


class RoleForm(forms.ModelForm):
    max_session_seconds = HoursField(
        label="Maximum session (hours)",
        min_seconds=MIN_SESSION_SECONDS,
        max_seconds=MAX_FEDERATION_TOKEN_SECONDS,
        initial=3600,
        help_text="0.25 to 12 hours for IAM roles (and at most the IAM role's own maximum); up to 36 for "
        "federated users.",
    )
    federation_policy = PolicyJSONField(
        label="Federation policy",
        help_text="Federated users only (no role ARN): the IAM policy JSON the federated user gets.",
    )
    session_tags = PolicyJSONField(
        label="Session tags",
        empty=dict,
        help_text="IAM roles only: AWS tag key → directory attribute, "
        'e.g. {"Department": "departmentNumber"}.',
    )

    class Meta:
        model = Role
        fields = [
            "alias",
            "account",
            "description",
            "method",
            "max_session_seconds",
            "arn",
            "session_tags",
            "federation_policy",
        ]
        widgets = {
            "arn": forms.TextInput(attrs={"class": "vLargeTextField arn-field", "size": 90}),
            "description": forms.TextInput(attrs={"class": "vLargeTextField", "size": 90}),
        }
