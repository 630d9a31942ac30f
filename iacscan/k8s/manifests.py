"""Safe loading of Kubernetes manifests (YAML and JSON) with source lines.

Every mapping and sequence comes back as :class:`YMap` / :class:`YList`, which
remember the 1-based line of the node and of each key or item, so the parser
can point a diagnostic at the offending field.  Loading is bounded:

* the event stream is scanned first (libyaml's parser is a state machine, not a
  recursion) to reject nesting deeper than :data:`MAX_DEPTH` and documents whose
  aliases would expand to more than :data:`MAX_NODES` nodes ("billion laughs");
* files larger than :data:`MAX_BYTES` are skipped.

Problems are returned as :class:`Problem` s (message, line, code); the caller
turns them into diagnostics.  Nothing here raises on bad input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

try:  # pragma: no cover - depends on the PyYAML build
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 100
MAX_NODES = 2_000_000
MAX_BYTES = 64 * 1024 * 1024


class YMap(dict[str, Any]):
    """A mapping that knows its line and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.key_lines = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YList(list[Any]):
    """A sequence that knows its line and the line of each item."""

    line: int
    item_lines: list[int]

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.item_lines = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def line_of(container: Any, key: str | int) -> int:
    """Line of ``container[key]`` when known, else of the container, else 0."""
    if isinstance(container, YMap) and isinstance(key, str):
        return container.line_of(key)
    if isinstance(container, YList) and isinstance(key, int):
        return container.line_of(key)
    return int(getattr(container, "line", 0))


@dataclass(frozen=True)
class Problem:
    message: str
    line: int
    code: str
    level: str = "error"  # error | warning | info


@dataclass(frozen=True)
class Document:
    value: Any
    line: int  # line where the document's content starts


_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def _bounded(text: str) -> Problem | None:
    """Scan the event stream: nesting depth and alias expansion size."""
    depth = 0
    sizes: dict[str, int] = {}
    stack: list[tuple[int, str | None]] = []  # (expanded node count, anchor)
    total = 0
    try:
        for ev in yaml.parse(text, Loader=_Loader):
            if isinstance(ev, yaml.DocumentStartEvent):
                total = 0
            elif isinstance(ev, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return Problem(f"nesting deeper than {MAX_DEPTH} levels", _ln(ev), "k8s-too-deep")
                stack.append((1, ev.anchor))
            elif isinstance(ev, yaml.CollectionEndEvent):
                depth -= 1
                count, anchor = stack.pop()
                if anchor is not None:
                    sizes[anchor] = count
                if stack:
                    stack[-1] = (stack[-1][0] + count, stack[-1][1])
                else:
                    total += count
            elif isinstance(ev, yaml.ScalarEvent | yaml.AliasEvent):
                n = 1 if isinstance(ev, yaml.ScalarEvent) else sizes.get(ev.anchor or "", 1)
                if isinstance(ev, yaml.ScalarEvent) and ev.anchor is not None:
                    sizes[ev.anchor] = 1
                if stack:
                    stack[-1] = (stack[-1][0] + n, stack[-1][1])
                    if stack[-1][0] > MAX_NODES:
                        return Problem(
                            f"aliases expand to more than {MAX_NODES} nodes (billion laughs?)",
                            _ln(ev),
                            "k8s-alias-bomb",
                        )
                else:
                    total += n
            if total > MAX_NODES:
                return Problem(f"document expands to more than {MAX_NODES} nodes", _ln(ev), "k8s-alias-bomb")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return Problem(f"YAML syntax error: {exc.problem or exc}", (mark.line + 1) if mark else 0, "k8s-yaml-syntax")
    except yaml.YAMLError as exc:
        return Problem(f"YAML error: {exc}", 0, "k8s-yaml-syntax")
    return None


def _ln(ev: yaml.Event) -> int:
    return ev.start_mark.line + 1 if ev.start_mark is not None else 0


_BOOL = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


def _scalar(node: yaml.ScalarNode) -> Any:
    tag, v = node.tag, node.value
    if tag.endswith(":str"):
        return v
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return _BOOL.get(v.lower(), v)
    if tag.endswith(":int"):
        t = v.replace("_", "")
        try:
            if t.lower().startswith(("0x", "+0x", "-0x")):
                return int(t, 16)
            if t.lower().startswith(("0o", "+0o", "-0o")):
                return int(t, 8)
            if t.lower().startswith(("0b", "+0b", "-0b")):
                return int(t, 2)
            if len(t.lstrip("+-")) > 1 and t.lstrip("+-").startswith("0") and t.isdigit():
                return int(t, 8)
            return int(t)
        except ValueError:
            return v
    if tag.endswith(":float"):
        try:
            return float(v.replace("_", ""))
        except ValueError:
            return v
    return v


def _convert(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        out = YList(node.start_mark.line + 1)
        for item in node.value:
            out.append(_convert(item))
            out.item_lines.append(item.start_mark.line + 1)
        return out
    if isinstance(node, yaml.MappingNode):
        m = YMap(node.start_mark.line + 1)
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "<<" and k.tag.endswith(":merge"):
                merged = _convert(v)
                for src in merged if isinstance(merged, list) else [merged]:
                    if isinstance(src, YMap):
                        for mk, mv in src.items():
                            if mk not in m:
                                m[mk] = mv
                                m.key_lines[mk] = src.line_of(mk)
                continue
            key = _convert(k)
            skey = key if isinstance(key, str) else json.dumps(key, default=str)
            m[skey] = _convert(v)
            m.key_lines[skey] = k.start_mark.line + 1
        return m
    return None


def _json_depth(text: str) -> int:
    depth = best = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best


def load_text(text: str, is_json: bool) -> tuple[list[Document], list[Problem]]:
    """Parse a manifest file's text into documents (values with lines) and problems."""
    if len(text) > MAX_BYTES:
        return [], [Problem(f"file larger than {MAX_BYTES // (1024 * 1024)} MiB skipped", 0, "k8s-too-large")]
    if is_json:
        return _load_json(text)
    bad = _bounded(text)
    if bad is not None:
        if bad.code == "k8s-yaml-syntax" and _TEMPLATE.search(text):
            return [], [
                Problem("template file (Helm/Jinja) skipped: render it first", bad.line, "k8s-template", "info")
            ]
        return [], [bad]
    docs: list[Document] = []
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            docs.append(Document(_convert(node), node.start_mark.line + 1))
    except yaml.YAMLError as exc:  # pragma: no cover - the event scan already parsed it
        return docs, [Problem(f"YAML error: {exc}", 0, "k8s-yaml-syntax")]
    return docs, []


def _load_json(text: str) -> tuple[list[Document], list[Problem]]:
    if _json_depth(text) > MAX_DEPTH:
        return [], [Problem(f"JSON nesting deeper than {MAX_DEPTH} levels", 1, "k8s-too-deep")]
    # JSON is (nearly) YAML: composing it gives line numbers.  Fall back to ``json`` for the rest.
    if _bounded(text) is None:
        try:
            nodes = list(yaml.compose_all(text, Loader=_Loader))
            return [Document(_convert(n), n.start_mark.line + 1) for n in nodes if n is not None], []
        except yaml.YAMLError:
            pass
    try:
        return [Document(_lift(json.loads(text), 1), 1)], []
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        line = getattr(exc, "lineno", 0)
        return [], [Problem(f"JSON syntax error: {exc}", line, "k8s-json-syntax")]


def _lift(v: Any, line: int) -> Any:
    if isinstance(v, dict):
        m = YMap(line)
        for k, x in v.items():
            m[str(k)] = _lift(x, line)
        return m
    if isinstance(v, list):
        seq = YList(line)
        for x in v:
            seq.append(_lift(x, line))
            seq.item_lines.append(line)
        return seq
    return v


def iter_objects(value: Any, line: int) -> Iterator[tuple[YMap, int, str]]:
    """Kubernetes objects in a document as (object, line, kind): the object itself, or the items of
    a ``List`` / ``*List`` (items of a ``PodList`` without ``kind`` are Pods)."""
    if not isinstance(value, YMap):
        return
    kind = value.get("kind")
    items = value.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, YList | type(None)):
        implied = kind[: -len("List")]
        for i, item in enumerate(items or ()):
            if isinstance(item, YMap):
                k = item.get("kind")
                yield item, items.line_of(i) if items else line, k if isinstance(k, str) and k else implied
        return
    yield value, value.line or line, kind if isinstance(kind, str) else ""


def looks_like_k8s(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("apiVersion"), str) and isinstance(value.get("kind"), str)
