"""Bomb-proof YAML loading that keeps source positions.

The text is *composed* (not constructed) with libyaml when available: composing keeps
aliases as shared nodes, so it is linear in the size of the text.  The node graph is
then converted into a :class:`YNode` tree while counting every node visited; aliases
that expand exponentially ("billion laughs") or recursively hit :data:`MAX_NODES` and
raise :class:`YamlError` instead of eating memory.

Plain scalars are resolved with the YAML 1.2 core schema, which is what Compose's Go
parser uses: ``yes``/``on`` stay strings and ``22:22`` is not a sexagesimal integer.
Merge keys (``<<: *base``) are honoured, and the Compose tags ``!reset`` / ``!override``
are kept on the node for the merge step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import yaml

from iacscan.source import Location

Scalar = str | int | float | bool | None
MAX_NODES = 200_000
MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 200

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader

_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")


class YamlError(ValueError):
    """Unreadable YAML: syntax error, bomb, or too deep; ``line`` is 1-based (0 = unknown)."""

    def __init__(self, message: str, line: int = 0, code: str = "yaml-syntax") -> None:
        super().__init__(message)
        self.line = line
        self.code = code


@dataclass
class YNode:
    """A YAML value with its location; mapping values carry the line of their key."""

    value: dict[str, YNode] | list[YNode] | Scalar
    loc: Location
    tag: str = ""  # "!reset" / "!override" (Compose merge tags), else ""
    unknowns: tuple[str, ...] = ()  # variables whose value was unknown during interpolation
    key_order: tuple[str, ...] = field(default=(), repr=False)

    @property
    def line(self) -> int:
        return self.loc.line

    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    def is_list(self) -> bool:
        return isinstance(self.value, list)

    def map(self) -> dict[str, YNode]:
        return self.value if isinstance(self.value, dict) else {}

    def list(self) -> list[YNode]:
        return self.value if isinstance(self.value, list) else []

    def get(self, key: str) -> YNode | None:
        return self.map().get(key)

    def str(self) -> str | None:
        """The scalar as Compose would stringify it (``None`` for null, mappings and sequences)."""
        v = self.value
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float | str):
            return str(v)
        return None

    def plain(self) -> object:
        """The value as plain Python data (for tests and debugging)."""
        v = self.value
        if isinstance(v, dict):
            return {k: n.plain() for k, n in v.items()}
        if isinstance(v, list):
            return [n.plain() for n in v]
        return v

    def with_loc(self, loc: Location) -> YNode:
        return replace(self, loc=loc)


def _scalar(node: yaml.ScalarNode) -> Scalar:
    text: str = str(node.value)
    if node.tag == "tag:yaml.org,2002:str" or node.style not in (None, ""):
        return text
    if node.tag not in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int") and (
        node.tag != "tag:yaml.org,2002:float"
    ):
        return text  # unknown or custom tag: keep the text
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.fullmatch(text):
        return float("nan")
    return text


class _Converter:
    def __init__(self, base: Location, max_nodes: int) -> None:
        self.base = base
        self.count = 0
        self.max_nodes = max_nodes

    def loc(self, node: yaml.Node) -> Location:
        return self.base.at(node.start_mark.line + 1)

    def convert(self, node: yaml.Node, loc: Location | None = None, depth: int = 0) -> YNode:
        self.count += 1
        if self.count > self.max_nodes:
            raise YamlError(
                f"document expands to more than {self.max_nodes} nodes (YAML alias bomb?)",
                node.start_mark.line + 1,
                "yaml-bomb",
            )
        if depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark.line + 1, "yaml-depth")
        here = loc or self.loc(node)
        tag = node.tag if node.tag in ("!reset", "!override") else ""
        if isinstance(node, yaml.ScalarNode):
            value: Scalar = None if tag == "!reset" and node.value == "" else _scalar(node)
            return YNode(value, here, tag)
        if isinstance(node, yaml.SequenceNode):
            return YNode([self.convert(n, None, depth + 1) for n in node.value], here, tag)
        assert isinstance(node, yaml.MappingNode)
        out: dict[str, YNode] = {}
        merged: dict[str, YNode] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge" and knode.value == "<<":
                sources = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
                for src in sources:
                    conv = self.convert(src, None, depth + 1)
                    if not conv.is_map():
                        raise YamlError("merge key '<<' needs a mapping or a list of mappings", self.loc(vnode).line)
                    for k, v in conv.map().items():
                        merged.setdefault(k, v)
                continue
            if not isinstance(knode, yaml.ScalarNode):
                raise YamlError("mapping keys must be scalars", self.loc(knode).line)
            self.count += 1
            key = knode.value
            if key in out:
                raise YamlError(f"duplicate key {key!r}", self.loc(knode).line, "yaml-duplicate-key")
            out[key] = self.convert(vnode, self.loc(knode), depth + 1)
        for k, v in merged.items():
            out.setdefault(k, v)
        return YNode(out, here, tag)


def load_yaml(text: str, base: Location, max_nodes: int = MAX_NODES) -> YNode | None:
    """Parse one YAML document into a :class:`YNode`; ``None`` for an empty document.

    Raises :class:`YamlError` on syntax errors, several documents, alias bombs and deep nesting.
    """
    if len(text) > MAX_BYTES:
        raise YamlError(f"file larger than {MAX_BYTES} bytes", 0, "limit")
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        msg = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise YamlError(f"invalid YAML: {msg}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlError("YAML nested too deeply", 0, "yaml-depth") from None
    if node is None:
        return None
    try:
        return _Converter(base, max_nodes).convert(node)
    except RecursionError:
        raise YamlError("YAML nested too deeply", 0, "yaml-depth") from None
