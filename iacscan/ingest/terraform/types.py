"""Convert variable values to their declared type constraint, as Terraform does.

Handles primitives (string/number/bool conversions), ``list``/``set``/``tuple``/``map``,
``object({...})`` (attributes not in the type are dropped; ``optional(T, default)`` attributes
that are absent get their default or null) and ``any``.  A value that does not convert is kept
as given: type errors are Terraform's job, not ours.
"""

from __future__ import annotations

from . import ast
from .functions import call_function
from .parser import ParseError, parse_expression
from .values import EvalError, Ref, Unknown, Value, format_number, to_bool, to_number


def convert(value: Value, type_src: str) -> Value:
    try:
        node = parse_expression(type_src)
    except ParseError:
        return value
    try:
        return _convert(value, node)
    except (EvalError, TypeError, ValueError, RecursionError):
        return value


def _convert(value: Value, node: ast.Node) -> Value:
    if isinstance(value, (Unknown, Ref)) or value is None:
        return value
    if isinstance(node, ast.Var):
        return _primitive(value, node.name)
    if not isinstance(node, ast.Call) or not node.args:
        return value
    name, arg = node.name, node.args[0]
    if name in ("list", "set") and isinstance(value, list):
        items = [_convert(v, arg) for v in value]
        if name == "set":
            converted = call_function("toset", [items])
            return converted if not isinstance(converted, Unknown) else items
        return items
    if name == "map" and isinstance(value, dict):
        return {k: _convert(v, arg) for k, v in value.items()}
    if name == "tuple" and isinstance(value, list) and isinstance(arg, ast.TupleExpr):
        return [_convert(v, t) for v, t in zip(value, arg.items, strict=False)] + value[len(arg.items) :]
    if name == "object" and isinstance(value, dict) and isinstance(arg, ast.ObjectExpr):
        return _object(value, arg)
    return value


def _object(value: dict[str, Value], spec: ast.ObjectExpr) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for key_node, type_node in spec.items:
        if not isinstance(key_node, ast.Literal) or not isinstance(key_node.value, str):
            return value
        key = key_node.value
        optional = isinstance(type_node, ast.Call) and type_node.name == "optional" and bool(type_node.args)
        inner = type_node.args[0] if optional and isinstance(type_node, ast.Call) else type_node
        if key in value and value[key] is not None:
            out[key] = _convert(value[key], inner)
        elif optional and isinstance(type_node, ast.Call) and len(type_node.args) > 1:
            default = type_node.args[1]
            out[key] = _convert(_literal(default), inner)
        else:
            out[key] = value.get(key)
    return out


def _literal(node: ast.Node) -> Value:
    """Evaluate a constant default (literals, tuples, objects) without any scope."""
    from .evaluator import Context, evaluate

    def no_refs(name: str) -> Value:
        raise EvalError(f"type defaults cannot refer to {name!r}")

    return evaluate(node, Context(no_refs, lambda _m: None))


def _primitive(value: Value, name: str) -> Value:
    if name == "number" and isinstance(value, str):
        return to_number(value)
    if name == "bool" and isinstance(value, str):
        return to_bool(value)
    if name == "string" and isinstance(value, bool):
        return "true" if value else "false"
    if name == "string" and isinstance(value, (int, float)):
        return format_number(value)
    return value
