"""Queries over a model's connectivity: who reaches whom, on which ports.

Connectivity is kept per equivalence class (:class:`~iacscan.model.core.Conn`
holds groups of sources and targets), so queries expand only what they select.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass

from iacscan.model.core import Hop, Model
from iacscan.model.ports import PortSet


def matches(selector: str | None, address: str) -> bool:
    if not selector:
        return True
    return address == selector or fnmatch.fnmatchcase(address, selector) or fnmatch.fnmatchcase(address, f"*{selector}")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    ports: PortSet
    path: tuple[Hop, ...]
    kind: str  # "conn" (endpoint connectivity) or "exposure" (zone/CIDR source)


def edges(model: Model, src: str | None = None, dst: str | None = None, port: PortSet | None = None) -> Iterator[Edge]:
    """Every (source, target, ports) the model allows, merged per pair, filtered by selectors."""
    merged: dict[tuple[str, str], tuple[PortSet, tuple[Hop, ...], str]] = {}

    def add(s: str, t: str, ports: PortSet, path: tuple[Hop, ...], kind: str) -> None:
        if port is not None:
            ports = ports & port
        if not ports:
            return
        old = merged.get((s, t))
        merged[(s, t)] = (ports if old is None else old[0] | ports, old[1] if old else path, old[2] if old else kind)

    for c in model.conns:
        srcs = [s for s in c.sources if matches(src, s)]
        if not srcs:
            continue
        tgts = [t for t in c.targets if matches(dst, t)]
        for s in srcs:
            for t in tgts:
                if c.exclude_self and s == t:
                    continue
                add(s, t, c.ports, c.path, "conn")
    for r in model.reaches:
        if matches(src, r.source) and matches(dst, r.target):
            add(r.source, r.target, r.ports, r.path, "exposure")
    for (s, t), (ports, path, kind) in sorted(merged.items()):
        yield Edge(s, t, ports, path, kind)
