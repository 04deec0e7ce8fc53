"""The fields the MFA pages ask for: a 6-digit code (spaces allowed), or a recovery code."""

from __future__ import annotations

from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(max_length=16, strip=True)

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the 6-digit code your authenticator app shows.")
        return code


class RecoveryCodeForm(forms.Form):
    """One of the ten recovery codes, typed with or without its dash, in any case."""

    recovery_code = forms.CharField(max_length=32, strip=True)

    def clean_recovery_code(self) -> str:
        from broker.mfa import recovery

        code = self.cleaned_data["recovery_code"]
        if not recovery.looks_like_code(code):
            raise forms.ValidationError("A recovery code is ten letters and digits, like abcde-23456.")
        return code
