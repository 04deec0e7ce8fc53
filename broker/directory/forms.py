"""The sign-in form: one generic error, except when the directory itself failed.

A wrong password and an unknown user get Django's usual message whichever
backend was asked, so the page never tells which one refused. Only an
outage is named, because the user can do nothing about it but wait.
"""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from broker.directory.errors import USER_MESSAGE, unavailable


class SignInForm(AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "directory_unavailable": USER_MESSAGE}

    def get_invalid_login_error(self) -> ValidationError:
        if unavailable(self.request) is not None:
            return ValidationError(self.error_messages["directory_unavailable"], code="directory_unavailable")
        return super().get_invalid_login_error()
