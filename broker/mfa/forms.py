"""The one field both MFA pages ask for: a 6-digit code, spaces allowed."""

from __future__ import annotations

from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(max_length=16, strip=True)

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the 6-digit code your authenticator app shows.")
        return code
