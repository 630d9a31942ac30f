"""A module directory's declarations, built from parsed file bodies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .hclfile import Body


@dataclass(frozen=True)
class Attr:
    """One attribute: its expression source and where it is."""

    name: str
    src: str
    file: str  # relative to the scan root, posix
    line: int


@dataclass(frozen=True)
class Block:
    type: str
    labels: tuple[str, ...]
    file: str
    line: int
    end_line: int
    attrs: dict[str, Attr]
    blocks: tuple[Block, ...]

    def attr(self, name: str) -> Attr | None:
        return self.attrs.get(name)


def to_block(btype: str, labels: list[str], line: int, end_line: int, body: Body, file: str) -> Block:
    attrs = {a[0]: Attr(a[0], a[1], file, int(a[2])) for a in body.get("attrs", [])}
    blocks = tuple(to_block(b[0], list(b[1]), int(b[2]), int(b[3]), b[4], file) for b in body.get("blocks", []))
    return Block(btype, tuple(labels), file, line, end_line, attrs, blocks)


@dataclass(frozen=True)
class ModuleConfig:
    """Everything declared in one module directory (all its ``.tf`` files)."""

    dir_rel: str
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attr] = field(default_factory=dict)
    resources: list[Block] = field(default_factory=list)  # labels = (type, name); type "resource"/"data"
    module_calls: list[Block] = field(default_factory=list)
    outputs: dict[str, Block] = field(default_factory=dict)
    duplicates: list[tuple[str, Attr | Block]] = field(default_factory=list)

    def add_file(self, file: str, body: Body) -> None:
        for btype, labels, line, end_line, sub in body.get("blocks", []):
            block = to_block(btype, list(labels), int(line), int(end_line), sub, file)
            self._add(block)

    def _add(self, block: Block) -> None:
        kind = block.type
        if kind == "variable" and len(block.labels) == 1:
            self._unique(self.variables, block.labels[0], block, "variable")
        elif kind == "locals":
            for attr in block.attrs.values():
                self._unique(self.locals, attr.name, attr, "local value")
        elif kind in ("resource", "data") and len(block.labels) == 2:
            self.resources.append(block)
        elif kind == "module" and len(block.labels) == 1:
            self.module_calls.append(block)
        elif kind == "output" and len(block.labels) == 1:
            self._unique(self.outputs, block.labels[0], block, "output")

    def _unique(self, table: dict[str, Any], name: str, item: Attr | Block, what: str) -> None:
        if name in table:
            self.duplicates.append((f"duplicate {what} {name!r}", item))
        else:
            table[name] = item
