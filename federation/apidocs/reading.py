"""Turn the OpenAPI document into what the reference page lists: operations and their fields.

Only what the broker's own document uses is read (objects, arrays, ``$ref``,
``oneOf``, enums); anything else is shown by its type name rather than
guessed at. Nothing here runs in the browser, so the page needs no script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Field:
    name: str
    type: str
    required: bool
    description: str


@dataclass
class Body:
    """One request or response body: its shape in words and, for objects, their fields."""

    status: str
    description: str
    shape: str
    fields: list[Field] = field(default_factory=list)


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    description: str
    anchor: str
    parameters: list[Field]
    request: Body | None
    responses: list[Body]


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, schema) with a ``$ref`` followed; the name is empty for an inline schema."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return name, components.get(name, {})
    return "", schema


def type_name(schema: dict[str, Any], components: dict[str, Any]) -> str:
    name, target = _resolve(schema, components)
    if "oneOf" in target or "anyOf" in target:
        return " or ".join(
            type_name(option, components) for option in target.get("oneOf", target.get("anyOf"))
        )
    if "enum" in target:
        return "one of " + ", ".join(str(value) for value in target["enum"] if value is not None)
    if target.get("type") == "array":
        return f"array of {type_name(target.get('items', {}), components)}"
    if name:
        return name
    kind = target.get("type", "object")
    return f"{kind} ({target['format']})" if "format" in target else kind


def fields_of(schema: dict[str, Any], components: dict[str, Any]) -> list[Field]:
    _, target = _resolve(schema, components)
    if target.get("type") == "array":
        return fields_of(target.get("items", {}), components)
    if "oneOf" in target:  # the union of the options' fields, each once
        seen: dict[str, Field] = {}
        for option in target["oneOf"]:
            for found in fields_of(option, components):
                seen.setdefault(found.name, found)
        return list(seen.values())
    required = set(target.get("required", []))
    return [
        Field(name, type_name(prop, components), name in required, prop.get("description", ""))
        for name, prop in target.get("properties", {}).items()
    ]


def _body(status: str, answer: dict[str, Any], components: dict[str, Any]) -> Body:
    content = answer.get("content", {})
    schema = next(iter(content.values()), {}).get("schema") if content else None
    if not schema:
        return Body(status, answer.get("description", ""), "no body")
    return Body(
        status, answer.get("description", ""), type_name(schema, components), fields_of(schema, components)
    )


def _parameters(operation: dict[str, Any], components: dict[str, Any]) -> list[Field]:
    return [
        Field(
            f"{p['name']} ({p.get('in', '')})",
            type_name(p.get("schema", {}), components),
            bool(p.get("required")),
            p.get("description", ""),
        )
        for p in operation.get("parameters", [])
    ]


def operations(document: dict[str, Any]) -> list[Operation]:
    components = document.get("components", {}).get("schemas", {})
    found = []
    for path, item in sorted(document.get("paths", {}).items()):
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody")
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=operation.get("operationId", ""),
                    description=operation.get("description", ""),
                    anchor=operation.get("operationId") or f"{method}-{path}",
                    parameters=_parameters(operation, components),
                    request=_body("request", body, components) if body else None,
                    responses=[
                        _body(status, answer, components)
                        for status, answer in operation.get("responses", {}).items()
                    ],  # fmt: skip
                )
            )
    return found
