"""The model as a networkx graph: zones and endpoints as nodes, reachability as edges.

Nodes carry ``kind`` (``zone`` or ``endpoint``), ``label``, ``group`` (the cluster a picture draws
them in: the internet and LAN zones, a VPC subnet, a Kubernetes namespace, a compose network),
``layer``, ``exposed`` (reachable from the internet or public CIDRs) and ``findings`` (messages
of the findings that target or come from them).  Edges carry ``ports`` (a
:class:`~iacscan.model.ports.PortSet`), ``path`` (the hops of one allowing path) and ``exposure``
(the source is the internet or public addresses).

Connectivity stays per equivalence class in the model (:class:`~iacscan.model.core.Conn`);
:func:`build` expands only the pairs the selectors (``focus``) keep.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from iacscan.engine.finding import Finding
from iacscan.graph.query import edges, matches
from iacscan.model.core import INTERNET, LAN, Model, SourceKind

ZONE_GROUP = "zones"


def _exposure_sources(model: Model) -> set[str]:
    return {r.source for r in model.reaches if r.source_kind in (SourceKind.INTERNET, SourceKind.PUBLIC_CIDR)}


def group_of(model: Model, node: str) -> str:
    ep = model.endpoints.get(node)
    if ep is None:
        return ZONE_GROUP
    if ep.zones:
        z = model.zones.get(ep.zones[0])
        return z.name if z is not None and z.name else ep.zones[0]
    return ep.layer


def build(
    model: Model,
    findings: Iterable[Finding] = (),
    focus: str | None = None,
    exposed_only: bool = False,
) -> Any:
    """A ``networkx.DiGraph`` of the model (``focus``: keep edges touching matching nodes)."""
    g = nx.DiGraph()
    public = _exposure_sources(model)
    for e in edges(model):
        if e.source == e.target:
            continue
        exposure = e.source in public or e.source == INTERNET
        if exposed_only and not exposure:
            continue
        if focus and not (matches(focus, e.source) or matches(focus, e.target)):
            continue
        g.add_edge(e.source, e.target, ports=e.ports, path=e.path, exposure=exposure)
    per_node: dict[str, list[str]] = {}
    for f in findings:
        if f.suppression is not None:
            continue
        text = f"[{f.severity}] {f.rule_id} {f.rule}: {f.message}"
        for n in {f.target, f.source}:
            per_node.setdefault(n, []).append(text)
    for n in list(g.nodes):
        ep = model.endpoints.get(n)
        exposed = any(g.edges[p, n]["exposure"] for p in g.predecessors(n))
        g.nodes[n].update(
            kind="endpoint" if ep is not None else "zone",
            label=(f"{n} ({ep.name})" if ep is not None and ep.name and ep.name not in n else n),
            group=group_of(model, n),
            layer=ep.layer if ep is not None else "zone",
            exposed=exposed or n == INTERNET,
            findings=sorted(per_node.get(n, [])),
        )
    return g


def sorted_nodes(g: Any) -> list[str]:
    """Zones first (internet, LAN), then endpoints by group and address: a stable drawing order."""

    def key(n: str) -> tuple[int, str, str]:
        d = g.nodes[n]
        rank = 0 if n == INTERNET else 1 if n == LAN else 2 if d["kind"] == "zone" else 3
        return (rank, str(d["group"]), n)

    return sorted(g.nodes, key=key)


def groups(g: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for n in sorted_nodes(g):
        out.setdefault(str(g.nodes[n]["group"]), []).append(n)
    return out
