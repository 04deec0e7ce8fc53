"""Admin form fields that speak an admin's language: JSON laid out, durations in hours.

``PolicyJSONField``: blank when there is nothing (not ``null``), pretty-printed
when there is, and a parse error names the line and column. The policy rules
themselves stay on the model's ``clean`` (``validate_policy``), so the admin,
the grants file and the API refuse the same things.

``HoursField``: a session length typed and shown in hours (``1``, ``0.25``,
``12``), stored in seconds, refused outside AWS's bounds with the bounds in
hours, and always a whole number of seconds.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

_SECONDS_PER_HOUR = Decimal(3600)


class PolicyJSONField(forms.JSONField):
    def __init__(self, *, empty: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8, "cols": 70, "class": "json-field",
                                                           "spellcheck": "false"}))  # fmt: skip
        kwargs["required"] = False
        self.empty = empty
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        if isinstance(value, str):  # stored as text by a form round trip: lay it out if it parses
            try:
                value = json.loads(value)
            except ValueError:
                return value
        if value in (None, {}, []):
            return ""
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return self.empty() if callable(self.empty) else self.empty
        if isinstance(value, str):
            try:
                json.loads(value)
            except json.JSONDecodeError as exc:
                raise forms.ValidationError(
                    f"Not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.", code="invalid"
                ) from None
        return super().to_python(value)

    def bound_data(self, data: Any, initial: Any) -> Any:
        if isinstance(data, str) and not data.strip():
            return ""
        return super().bound_data(data, initial)


def hours_text(seconds: int | None) -> str:
    """``3600`` → ``1``; ``900`` → ``0.25``; ``5400`` → ``1.5``."""
    if seconds is None:
        return ""
    value = (Decimal(seconds) / _SECONDS_PER_HOUR).normalize()
    return f"{value:f}"


class HoursField(forms.CharField):
    def __init__(self, *, min_seconds: int, max_seconds: int, **kwargs: Any) -> None:
        self.min_seconds, self.max_seconds = min_seconds, max_seconds
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 6, "inputmode": "decimal"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, int):
            return hours_text(value)
        return "" if value is None else str(value)

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip().replace(",", ".")
        if not text:
            return None
        try:
            hours = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError("Give a number of hours, e.g. 1 or 0.25.", code="invalid") from None
        seconds = hours * _SECONDS_PER_HOUR
        if seconds != seconds.to_integral_value():
            raise forms.ValidationError(
                "Give hours that make whole seconds, e.g. 0.25 or 1.5.", code="invalid"
            )
        if not self.min_seconds <= seconds <= self.max_seconds:
            raise forms.ValidationError(
                f"Give {hours_text(self.min_seconds)} to {hours_text(self.max_seconds)} hours.", code="range"
            )
        return int(seconds)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != initial
        except forms.ValidationError:
            return True
