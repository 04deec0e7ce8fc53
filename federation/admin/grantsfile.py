"""Admin pages to download and upload the grants file (what loadgrants/exportgrants do).

They reach the same ``federation.grantsfile`` loader and exporter as the
commands, so a file behaves alike in both places. Loading can rewrite every
account, role and grant: it needs all their permissions and a recent second
factor, changes nothing when the file is bad, and is audited.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from broker import audit
from broker.mfa.stepup import step_up_required
from federation.grantsfile import GrantsFileError, dump, export, load

MAX_FILE_BYTES = 1024 * 1024
_MODELS = ("awsaccount", "role", "grant")
LOAD_PERMISSIONS = [f"federation.{verb}_{model}" for model in _MODELS for verb in ("add", "change", "delete")]
EXPORT_PERMISSIONS = [f"federation.view_{model}" for model in _MODELS]


def _require(request: HttpRequest, permissions: list[str]) -> None:
    if not request.user.has_perms(permissions):
        raise PermissionDenied("the grants file needs permissions on accounts, roles and grants")


class GrantsFileForm(forms.Form):
    file = forms.FileField(help_text="YAML or JSON, in the grants file format.")
    prune = forms.BooleanField(required=False, help_text="Delete accounts, roles and grants the file omits.")

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 1 MiB.")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None


def export_view(request: HttpRequest) -> HttpResponse:
    _require(request, EXPORT_PERMISSIONS)
    response = HttpResponse(dump(export()), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="grants.yaml"'
    return response


@step_up_required  # loading changes grants: a recent second factor, before the file is chosen
def load_view(request: HttpRequest, site: AdminSite) -> HttpResponse:
    _require(request, LOAD_PERMISSIONS)
    form = GrantsFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            summary = load(form.cleaned_data["file"], prune=form.cleaned_data["prune"])
        except GrantsFileError as exc:
            form.add_error("file", f"{exc}; nothing was changed")
        else:
            audit.record("grants.loaded", file=form.files["file"].name, prune=form.cleaned_data["prune"],
                         summary=str(summary))  # fmt: skip
            messages.success(request, f"Grants file loaded: {summary}.")
            return HttpResponseRedirect(reverse("admin:federation_role_changelist"))
    context = {**site.each_context(request), "form": form, "title": "Load a grants file"}
    return TemplateResponse(request, "admin/federation/role/load_grants.html", context)
