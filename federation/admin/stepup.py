"""A ModelAdmin base whose changes want a recent second factor (step-up).

Roles and groups carry grants (edited inline), so changing them changes who
reaches AWS: adding, changing, deleting and bulk actions want a factor shown
in the last ``BROKER_STEP_UP_SECONDS``, while the lists stay readable.
"""

from __future__ import annotations

from django.contrib import admin

from broker.mfa.stepup import step_up_required


class StepUpForChanges(admin.ModelAdmin):
    """Adding, changing or deleting (grants are edited inline here) wants a recent second factor."""

    @step_up_required
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        return super().changeform_view(request, object_id, form_url, extra_context)

    @step_up_required
    def delete_view(self, request, object_id, extra_context=None):  # type: ignore[no-untyped-def]
        return super().delete_view(request, object_id, extra_context)

    @step_up_required(methods=["POST"])  # actions and bulk deletes; the list itself stays readable
    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        return super().changelist_view(request, extra_context)
