"""Evaluate expression trees to values, three-valued (Unknown propagates).

References are resolved through a :class:`Context`: local symbols (for-expression variables,
``each``, ``count``, dynamic-block iterators) first, then the context's ``resolve`` callback
(``var``, ``local``, resources, ...).  Resource and module objects are :class:`Lazy` values:
their attributes are only evaluated when someone reads them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import ast
from .functions import FUNCTIONS, UNKNOWN_RESULT, call_function
from .values import EvalError, Ref, Unknown, Value, as_unknown, first_unknown, normalize_number, to_bool, to_string


class Lazy:
    """A value whose attributes are computed on demand (resources, modules, namespaces)."""

    def get_attr(self, name: str) -> Value:
        raise EvalError(f"unsupported attribute {name!r}")

    def index(self, key: Value) -> Value:
        raise EvalError("value cannot be indexed")

    def materialize(self) -> Value:
        return Unknown(self.describe())

    def describe(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class Namespace(Lazy):
    """``var``, ``local``, ``module``, ``data.TYPE``...: attributes come from a getter."""

    label: str
    getter: Callable[[str], Value]

    def get_attr(self, name: str) -> Value:
        return self.getter(name)

    def index(self, key: Value) -> Value:
        if isinstance(key, str):
            return self.getter(key)
        raise EvalError(f"{self.label} cannot be indexed")

    def describe(self) -> str:
        return self.label


Reporter = Callable[[str], None]


@dataclass(frozen=True)
class Context:
    resolve: Callable[[str], Value]
    report: Reporter
    symbols: Mapping[str, Value] = field(default_factory=dict)

    def with_symbols(self, extra: Mapping[str, Value]) -> Context:
        merged = dict(self.symbols)
        merged.update(extra)
        return Context(self.resolve, self.report, merged)


def materialize(value: Value, depth: int = 0) -> Value:
    """Replace Lazy objects (deeply) by plain values."""
    if depth > 32:
        return Unknown("value nested too deeply")
    if isinstance(value, Lazy):
        return materialize(value.materialize(), depth + 1)
    if isinstance(value, list):
        if not any(isinstance(i, (Lazy, list, dict)) for i in value):
            return value
        return [materialize(i, depth + 1) for i in value]
    if isinstance(value, dict):
        if not any(isinstance(i, (Lazy, list, dict)) for i in value.values()):
            return value
        return {k: materialize(v, depth + 1) for k, v in value.items()}
    return value


def evaluate(node: ast.Node, ctx: Context) -> Value:
    handler = _HANDLERS.get(type(node))
    if handler is None:
        raise EvalError(f"unsupported expression {type(node).__name__}")
    return handler(node, ctx)


def _literal(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.Literal)
    return node.value


def _template(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.Template)
    parts = node.parts
    if len(parts) == 1 and isinstance(parts[0], ast.Node) and not isinstance(parts[0], ast.Directive):
        return evaluate(parts[0], ctx)  # "${x}" keeps the type of x
    out: list[str] = []
    unknown: Unknown | None = None
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        if isinstance(part, ast.Directive):
            unknown = unknown or Unknown("template directive %{...} (not evaluated)")
            continue
        value = materialize(evaluate(part, ctx))
        if isinstance(value, (list, dict)):
            raise EvalError("cannot interpolate a collection into a string")
        text = to_string(value)
        if isinstance(text, Unknown):
            unknown = unknown or text
        else:
            out.append(text)
    return unknown if unknown is not None else "".join(out)


def _var(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.Var)
    if node.name in ctx.symbols:
        return ctx.symbols[node.name]
    return ctx.resolve(node.name)


def get_attr(value: Value, name: str) -> Value:
    if isinstance(value, Lazy):
        return value.get_attr(name)
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Ref):
        return value.as_unknown()
    if isinstance(value, dict):
        if name in value:
            return value[name]
        raise EvalError(f"object has no attribute {name!r}")
    if value is None:
        raise EvalError(f"attempt to get attribute {name!r} from null value")
    raise EvalError(f"cannot get attribute {name!r} of a {type(value).__name__}")


def index_value(value: Value, key: Value) -> Value:
    if isinstance(key, (Unknown, Ref)):
        return as_unknown(key)
    if isinstance(value, Lazy):
        return value.index(key)
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Ref):
        return value.as_unknown()
    if isinstance(value, list):
        if isinstance(key, str):
            try:
                key = int(key)
            except ValueError:
                raise EvalError(f"invalid list index {key!r}") from None
        if isinstance(key, float) and key.is_integer():
            key = int(key)
        if not isinstance(key, int) or isinstance(key, bool):
            raise EvalError(f"invalid list index {key!r}")
        if not 0 <= key < len(value):
            raise EvalError(f"index {key} out of range for list of {len(value)}")
        return value[key]
    if isinstance(value, dict):
        text = to_string(key)
        if isinstance(text, Unknown):
            return text
        if text in value:
            return value[text]
        raise EvalError(f"key {text!r} not found")
    if value is None:
        raise EvalError("cannot index a null value")
    raise EvalError(f"cannot index a {type(value).__name__}")


def _get_attr(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.GetAttr)
    return get_attr(evaluate(node.obj, ctx), node.name)


def _index(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.Index)
    return index_value(evaluate(node.obj, ctx), evaluate(node.key, ctx))


_SPLAT_ITEM = "\0splat"


def _splat_item(node: ast.Node, ctx: Context) -> Value:
    return ctx.symbols[_SPLAT_ITEM]


def _splat(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.Splat)
    source = evaluate(node.source, ctx)
    if isinstance(source, Unknown):
        return source
    if isinstance(source, Ref):
        return source.as_unknown()
    if source is None:
        return []
    items = source if isinstance(source, list) else [source]
    return [evaluate(node.each, ctx.with_symbols({_SPLAT_ITEM: item})) for item in items]


def _tuple(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.TupleExpr)
    return [evaluate(item, ctx) for item in node.items]


def _object(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.ObjectExpr)
    out: dict[str, Value] = {}
    for key_node, value_node in node.items:
        key = materialize(evaluate(key_node, ctx))
        text = to_string(key)
        if isinstance(text, Unknown):
            return Unknown(f"object key: {text.reason}")
        out[text] = evaluate(value_node, ctx)
    return out


def _call(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.Call)
    if node.name == "try":
        for arg in node.args:
            try:
                return evaluate(arg, ctx)
            except EvalError:
                continue
        raise EvalError("try: no argument could be evaluated")
    if node.name == "can":
        if len(node.args) != 1:
            raise EvalError("can: expects exactly one argument")
        try:
            value = evaluate(node.args[0], ctx)
        except EvalError:
            return False
        return as_unknown(value) if isinstance(value, (Unknown, Ref)) else True
    if node.name not in FUNCTIONS and node.name not in UNKNOWN_RESULT:
        ctx.report(f"unsupported function {node.name}()")
        return Unknown(f"{node.name}() (unsupported function)")
    args = [materialize(evaluate(arg, ctx)) for arg in node.args]
    if node.expand_last and args:
        last = args.pop()
        if isinstance(last, (Unknown, Ref)):
            return as_unknown(last)
        if not isinstance(last, list):
            raise EvalError(f"{node.name}: cannot expand a non-list argument")
        args.extend(last)
    try:
        return call_function(node.name, args)
    except (TypeError, ValueError, ArithmeticError, OverflowError) as exc:
        raise EvalError(f"{node.name}(): {exc}") from None


def _unary(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.Unary)
    value = materialize(evaluate(node.operand, ctx))
    if isinstance(value, (Unknown, Ref)):
        return as_unknown(value)
    if node.op == "!":
        result = to_bool(value)
        return result if isinstance(result, Unknown) else not result
    number = _number(value)
    return number if isinstance(number, Unknown) else -number


def _number(value: Value) -> int | float | Unknown:
    from .values import to_number

    return to_number(value)


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _binary(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.Binary)
    op = node.op
    if op in ("&&", "||"):
        return _logic(op, node, ctx)
    left = materialize(evaluate(node.left, ctx))
    right = materialize(evaluate(node.right, ctx))
    if op in ("==", "!="):
        equal = _equal(left, right)
        if isinstance(equal, Unknown):
            return equal
        return equal if op == "==" else not equal
    for side in (left, right):
        if isinstance(side, (Unknown, Ref)):
            return as_unknown(side)
    lnum, rnum = _number(left), _number(right)
    if isinstance(lnum, Unknown):
        return lnum
    if isinstance(rnum, Unknown):
        return rnum
    if op in _COMPARE:
        return _COMPARE[op](lnum, rnum)
    if op in ("/", "%") and rnum == 0:
        raise EvalError("division by zero")
    result = _ARITH[op](lnum, rnum)
    return normalize_number(result) if op == "/" else result


def _equal(left: Value, right: Value) -> bool | Unknown:
    if isinstance(left, Ref) and isinstance(right, Ref):
        return True if left == right else Unknown(f"{left.address}.{left.attr} == {right.address}.{right.attr}")
    unknown = first_unknown(left) or first_unknown(right)
    if unknown is not None:
        return unknown
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


def _logic(op: str, node: ast.Binary, ctx: Context) -> Value:
    """Kleene three-valued logic: false && unknown is false, true || unknown is true."""
    left = to_bool(materialize(evaluate(node.left, ctx)))
    if op == "&&" and left is False:
        return False
    if op == "||" and left is True:
        return True
    right = to_bool(materialize(evaluate(node.right, ctx)))
    if op == "&&" and right is False:
        return False
    if op == "||" and right is True:
        return True
    if isinstance(left, Unknown):
        return left
    if isinstance(right, Unknown):
        return right
    return right


def _conditional(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.Conditional)
    cond = to_bool(materialize(evaluate(node.cond, ctx)))
    if isinstance(cond, Unknown):
        try:
            true, false = evaluate(node.true, ctx), evaluate(node.false, ctx)
        except EvalError:
            return cond
        if materialize(true) == materialize(false) and first_unknown(materialize(true)) is None:
            return true
        return cond
    return evaluate(node.true if cond else node.false, ctx)


def _for(node: ast.Node, ctx: Context) -> Value:
    assert isinstance(node, ast.ForExpr)
    collection = materialize(evaluate(node.collection, ctx))
    if isinstance(collection, (Unknown, Ref)):
        return as_unknown(collection)
    pairs: list[tuple[Value, Value]]
    if isinstance(collection, list):
        pairs = list(enumerate(collection))
    elif isinstance(collection, dict):
        pairs = [(k, collection[k]) for k in sorted(collection)]
    else:
        raise EvalError("for expression over a non-collection value")
    tuple_out: list[Value] = []
    object_out: dict[str, Value] = {}
    for key, value in pairs:
        symbols = {node.value_var: value}
        if node.key_var is not None:
            symbols[node.key_var] = key
        inner = ctx.with_symbols(symbols)
        if node.cond is not None:
            keep = to_bool(materialize(evaluate(node.cond, inner)))
            if isinstance(keep, Unknown):
                return Unknown(f"for expression condition: {keep.reason}")
            if not keep:
                continue
        if node.key is None:
            tuple_out.append(evaluate(node.value, inner))
            continue
        out_key = to_string(materialize(evaluate(node.key, inner)))
        if isinstance(out_key, Unknown):
            return Unknown(f"for expression key: {out_key.reason}")
        out_value = evaluate(node.value, inner)
        if node.grouping:
            object_out.setdefault(out_key, []).append(out_value)
        elif out_key in object_out:
            raise EvalError(f"duplicate key {out_key!r} in for expression (use ... to group)")
        else:
            object_out[out_key] = out_value
    return tuple_out if node.key is None else object_out


def _directive(node: ast.Node, ctx: Context) -> Value:
    return Unknown("template directive %{...} (not evaluated)")


_HANDLERS: dict[type, Callable[[Any, Context], Value]] = {
    ast.Literal: _literal,
    ast.Template: _template,
    ast.Directive: _directive,
    ast.Var: _var,
    ast.GetAttr: _get_attr,
    ast.Index: _index,
    ast.SplatItem: _splat_item,
    ast.Splat: _splat,
    ast.TupleExpr: _tuple,
    ast.ObjectExpr: _object,
    ast.Call: _call,
    ast.Unary: _unary,
    ast.Binary: _binary,
    ast.Conditional: _conditional,
    ast.ForExpr: _for,
}
