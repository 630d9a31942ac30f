"""Terraform values as static analysis sees them.

A value is ``None | bool | int | float | str | list[Value] | dict[str, Value] | Unknown | Ref``.
``Unknown`` is a value nobody can know before apply (an unset variable, a data source
attribute); ``Ref`` is a computed identifier of a managed resource (``aws_security_group.web.id``)
that later stages use to link resources together.

A Ref used inside a string template or arithmetic becomes
``Unknown("<address>.<attr> (known after apply)")``.  As in HCL, a template that is exactly one
interpolation (``"${aws_security_group.web.id}"``, common in Terraform 0.11 code) is the value
itself, so it stays a Ref.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, TypeAlias


@dataclass(frozen=True)
class Unknown:
    """A value static analysis cannot know."""

    reason: str


@dataclass(frozen=True)
class Ref:
    """A computed attribute of a managed resource that identifies it (``.id``, ``.arn``...)."""

    address: str
    attr: str

    def as_unknown(self) -> Unknown:
        return Unknown(f"{self.address}.{self.attr} (known after apply)")


Value: TypeAlias = Any  # None | bool | int | float | str | list[Value] | dict[str, Value] | Unknown | Ref


class EvalError(Exception):
    """An expression cannot be evaluated (type error, bad index...)."""


def is_known(value: Value) -> bool:
    """True when ``value`` is not an Unknown or Ref at the top level."""
    return not isinstance(value, (Unknown, Ref))


def first_unknown(value: Value) -> Unknown | None:
    """The first Unknown/Ref found anywhere inside ``value`` (Refs become Unknown)."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Ref):
        return value.as_unknown()
    if isinstance(value, list):
        for item in value:
            found = first_unknown(item)
            if found is not None:
                return found
    elif isinstance(value, dict):
        for item in value.values():
            found = first_unknown(item)
            if found is not None:
                return found
    return None


def as_unknown(value: Unknown | Ref) -> Unknown:
    return value if isinstance(value, Unknown) else value.as_unknown()


def normalize_number(value: float | int) -> int | float:
    """Whole floats become ints, like Terraform's number type prints them."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def to_string(value: Value) -> str | Unknown:
    """Terraform's implicit conversion of a primitive to string."""
    if isinstance(value, (Unknown, Ref)):
        return as_unknown(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, str):
        return value
    if value is None:
        raise EvalError("cannot convert null to string")
    raise EvalError(f"cannot convert {type_name(value)} to string")


def format_number(value: int | float) -> str:
    value = normalize_number(value)
    if isinstance(value, int):
        return str(value)
    return repr(value)


def to_number(value: Value) -> int | float | Unknown:
    if isinstance(value, (Unknown, Ref)):
        return as_unknown(value)
    if isinstance(value, bool):
        raise EvalError("cannot convert bool to number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return normalize_number(float(value)) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            raise EvalError(f"cannot convert {value!r} to number") from None
    raise EvalError(f"cannot convert {type_name(value)} to number")


def to_bool(value: Value) -> bool | Unknown:
    if isinstance(value, (Unknown, Ref)):
        return as_unknown(value)
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    raise EvalError(f"cannot convert {type_name(value)} to bool")


def type_name(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "tuple"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def to_json_compatible(value: Value) -> Any:
    """Replace Unknown/Ref by marker strings (for jsonencode of partially known values)."""
    return json.loads(json.dumps(value, default=lambda v: f"<{getattr(v, 'reason', v)}>"))
