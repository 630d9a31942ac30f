"""Expression syntax tree (immutable; cached per expression string)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Node:
    """Base class of expression nodes."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class Template(Node):
    parts: tuple[str | Node, ...]


@dataclass(frozen=True, slots=True)
class Directive(Node):
    """A ``%{...}`` template directive (evaluates to unknown)."""


@dataclass(frozen=True, slots=True)
class Var(Node):
    name: str


@dataclass(frozen=True, slots=True)
class GetAttr(Node):
    obj: Node
    name: str


@dataclass(frozen=True, slots=True)
class Index(Node):
    obj: Node
    key: Node


@dataclass(frozen=True, slots=True)
class SplatItem(Node):
    """The current element inside a splat's per-item traversal."""


@dataclass(frozen=True, slots=True)
class Splat(Node):
    source: Node
    each: Node  # traversal rooted at SplatItem()


@dataclass(frozen=True, slots=True)
class TupleExpr(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ObjectExpr(Node):
    items: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]
    expand_last: bool


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    cond: Node
    true: Node
    false: Node


@dataclass(frozen=True, slots=True)
class ForExpr(Node):
    key_var: str | None
    value_var: str
    collection: Node
    key: Node | None  # None for tuple results
    value: Node
    cond: Node | None
    grouping: bool
