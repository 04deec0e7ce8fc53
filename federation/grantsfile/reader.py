"""Parsing a grants file, and errors that say where the fault is.

The parser's node tree gives every key path a line number, so an error can
name both (``grants[0].role (line 11)``): an admin fixing a file of hundreds
of grants should not have to count entries.
"""

from __future__ import annotations

from typing import Any

import yaml

from federation.models import MFA_ANY, MFA_NONE, MFA_WEBAUTHN


class GrantsFileError(ValueError):
    """The file cannot be loaded; nothing was changed."""


def _line_map(node: yaml.Node | None, path: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """Key path → line number, from the parser's node tree."""
    out = {} if out is None else out
    if node is None:
        return out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}" if path else str(key.value)
            out[child] = key.start_mark.line + 1
            _line_map(value, child, out)
            out[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, f"{path}[{index}]", out)
    return out


def child_path(path: str, key: object) -> str:
    """The path of ``key`` inside the mapping at ``path`` (the top level has no path)."""
    return f"{path}.{key}" if path else str(key)


class Reader:
    """Typed access to the parsed document with errors that say where."""

    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines

    def fail(self, path: str, message: str) -> GrantsFileError:
        line = self.lines.get(path)
        where = f"{path} (line {line})" if line else path
        return GrantsFileError(f"{where}: {message}")

    def items(self, data: dict[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        result = []
        for index, item in enumerate(value):
            path = f"{key}[{index}]"
            if not isinstance(item, dict):
                raise self.fail(path, "must be a mapping")
            result.append((path, item))
        return result

    def text(self, item: dict[str, Any], path: str, key: str, *, required: bool = True) -> str:
        value = item.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
            raise self.fail(f"{path}.{key}", "is required and must be text")
        return str(value).strip()

    def number(self, item: dict[str, Any], path: str, key: str) -> int | None:
        value = item.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{path}.{key}", "must be a whole number of seconds")
        return value

    def flag(self, item: dict[str, Any], path: str, key: str) -> bool:
        value = item.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"{path}.{key}", "must be true or false")
        return value

    def mfa_level(self, item: dict[str, Any], path: str, key: str) -> str:
        """``true`` (any second factor), ``webauthn`` (a passkey or security key) or ``false``."""
        value = item.get(key, False)
        for level, spelled in MFA_FILE_VALUES.items():
            if value is spelled or (isinstance(value, str) and value == spelled):
                return level
        raise self.fail(f"{path}.{key}", "must be true, false or webauthn")

    def mapping(self, item: dict[str, Any], path: str, key: str) -> dict[str, Any] | None:
        value = item.get(key)
        if value is not None and not isinstance(value, dict):
            raise self.fail(f"{path}.{key}", "must be a mapping (a JSON policy object)")
        return value


# Grant.require_mfa as the file spells it: false (left out on export), true, or webauthn.
MFA_FILE_VALUES: dict[str, bool | str] = {MFA_NONE: False, MFA_ANY: True, MFA_WEBAUTHN: "webauthn"}


def parse(text: str) -> tuple[dict[str, Any], Reader]:
    """The document and a reader for it; a file that is not a YAML/JSON mapping is refused."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
        raise GrantsFileError(f"{where}: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise GrantsFileError(f"the file is not YAML or JSON: {exc}") from None
    if not isinstance(data, dict):
        raise GrantsFileError("the file must be a mapping with accounts, roles and grants")
    return data, Reader(_line_map(node))
