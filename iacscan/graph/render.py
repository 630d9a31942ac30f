"""Pictures of the network graph (:mod:`iacscan.graph.build`): DOT, Mermaid, self-contained HTML, JSON.

Pure functions of the graph.  Zones and endpoint groups become clusters, endpoints nodes, edges
are labelled with their ports and exposures (sources on the internet / public addresses) are red.
The HTML is one file with its own SVG layout and a few lines of JavaScript (pan, zoom, click a
node to list its findings); it loads nothing from the network.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

from iacscan.engine.finding import Finding
from iacscan.graph.build import groups, sorted_nodes
from iacscan.model.core import Hop
from iacscan.model.ports import PortSet

RED = "#d62728"
MAX_PORTS = 3


def port_label(ports: PortSet) -> str:
    items = ports.to_strings()
    return ", ".join(items[:MAX_PORTS]) + (f" +{len(items) - MAX_PORTS}" if len(items) > MAX_PORTS else "")


def _ids(g: Any) -> dict[str, str]:
    return {n: f"n{i}" for i, n in enumerate(sorted_nodes(g))}


def _sorted_edges(g: Any) -> list[tuple[str, str, dict[str, Any]]]:
    order = {n: i for i, n in enumerate(sorted_nodes(g))}
    return sorted(g.edges(data=True), key=lambda e: (order[e[0]], order[e[1]]))


# -- DOT ------------------------------------------------------------------------------------------


def _dq(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(g: Any) -> str:
    ids = _ids(g)
    lines = [
        "digraph iacscan {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for i, (name, members) in enumerate(groups(g).items()):
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f"    label={_dq(name)};")
        for n in members:
            d = g.nodes[n]
            attrs = [f"label={_dq(str(d['label']))}"]
            if d["kind"] == "zone":
                attrs.append("shape=ellipse")
            if d["exposed"]:
                attrs.append(f'color="{RED}", penwidth=2')
            lines.append(f"    {ids[n]} [{', '.join(attrs)}];")
        lines.append("  }")
    for s, t, d in _sorted_edges(g):
        attrs = [f"label={_dq(port_label(d['ports']))}"]
        if d["exposure"]:
            attrs.append(f'color="{RED}", fontcolor="{RED}", penwidth=2')
        lines.append(f"  {ids[s]} -> {ids[t]} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Mermaid --------------------------------------------------------------------------------------


def _mq(text: str) -> str:
    """A Mermaid label: quoted, with the characters Mermaid would parse replaced by entities."""
    return '"' + text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;") + '"'


def to_mermaid(g: Any) -> str:
    ids = _ids(g)
    lines = ["flowchart LR"]
    for i, (name, members) in enumerate(groups(g).items()):
        lines.append(f"  subgraph g{i}[{_mq(name)}]")
        for n in members:
            d = g.nodes[n]
            label = _mq(str(d["label"]))
            lines.append(f"    {ids[n]}(({label}))" if d["kind"] == "zone" else f"    {ids[n]}[{label}]")
        lines.append("  end")
    red: list[int] = []
    for k, (s, t, d) in enumerate(_sorted_edges(g)):
        lines.append(f"  {ids[s]} -->|{_mq(port_label(d['ports']))}| {ids[t]}")
        if d["exposure"]:
            red.append(k)
    lines.append(f"  classDef exposed stroke:{RED},stroke-width:2px")
    exposed = [ids[n] for n in sorted_nodes(g) if g.nodes[n]["exposed"]]
    if exposed:
        lines.append(f"  class {','.join(exposed)} exposed")
    if red:
        lines.append(f"  linkStyle {','.join(str(k) for k in red)} stroke:{RED},stroke-width:2px")
    return "\n".join(lines) + "\n"


def mermaid_paths(findings: Iterable[Finding], limit: int = 10) -> str:
    """Mermaid flowcharts of findings' paths (for a GitHub job summary); "" when none has a path."""
    blocks = []
    for f in findings:
        if not f.path or f.suppression is not None:
            continue
        lines = ["```mermaid", "flowchart LR"]
        for i, h in enumerate(f.path):
            lines.append(f"  h{i}[{_mq(_hop_label(h))}]")
        for i in range(len(f.path) - 1):
            nxt = f.path[i + 1]
            lines.append(
                f"  h{i} -->|{_mq(nxt.allowed_by[:60])}| h{i + 1}" if nxt.allowed_by else f"  h{i} --> h{i + 1}"
            )
        lines.append(f"  style h0 stroke:{RED},stroke-width:2px")
        lines.append("```")
        blocks.append(f"**{f.rule_id} {f.rule}** — {f.message}\n\n" + "\n".join(lines))
        if len(blocks) >= limit:
            break
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _hop_label(h: Hop) -> str:
    where = f" ({h.location})" if h.location.file else ""
    return f"{h.node}{where}"


# -- JSON -----------------------------------------------------------------------------------------


def to_json(g: Any) -> str:
    doc = {
        "schema": "iacscan/graph/v1",
        "nodes": [
            {
                "id": n,
                "kind": g.nodes[n]["kind"],
                "label": g.nodes[n]["label"],
                "group": g.nodes[n]["group"],
                "layer": g.nodes[n]["layer"],
                "exposed": g.nodes[n]["exposed"],
                "findings": g.nodes[n]["findings"],
            }
            for n in sorted_nodes(g)
        ],
        "edges": [
            {
                "source": s,
                "target": t,
                "ports": d["ports"].to_strings(),
                "exposure": d["exposure"],
                "path": [h.to_json() for h in d["path"]],
            }
            for s, t, d in _sorted_edges(g)
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


# -- HTML -----------------------------------------------------------------------------------------

COL_W, NODE_W, NODE_H, ROW_H, PAD, HEAD = 340, 260, 34, 52, 30, 40

_JS = """
(function () {
  var svg = document.getElementById('graph');
  var vb = svg.viewBox.baseVal;
  var drag = null;
  svg.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var k = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
    var r = svg.getBoundingClientRect();
    var mx = vb.x + (ev.clientX - r.left) / r.width * vb.width;
    var my = vb.y + (ev.clientY - r.top) / r.height * vb.height;
    vb.x = mx - (mx - vb.x) * k; vb.y = my - (my - vb.y) * k;
    vb.width *= k; vb.height *= k;
  }, {passive: false});
  svg.addEventListener('mousedown', function (ev) { drag = {x: ev.clientX, y: ev.clientY}; });
  window.addEventListener('mouseup', function () { drag = null; });
  window.addEventListener('mousemove', function (ev) {
    if (!drag) return;
    var r = svg.getBoundingClientRect();
    vb.x -= (ev.clientX - drag.x) * vb.width / r.width;
    vb.y -= (ev.clientY - drag.y) * vb.height / r.height;
    drag = {x: ev.clientX, y: ev.clientY};
  });
  var data = JSON.parse(document.getElementById('iacscan-data').textContent);
  var panel = document.getElementById('panel');
  function show(id) {
    var n = data.nodes[id];
    panel.textContent = '';
    var h = document.createElement('h2'); h.textContent = n.label; panel.appendChild(h);
    var p = document.createElement('p');
    p.textContent = n.findings.length ? n.findings.length + ' finding(s)' : 'no findings';
    panel.appendChild(p);
    var ul = document.createElement('ul');
    n.findings.forEach(function (f) { var li = document.createElement('li'); li.textContent = f; ul.appendChild(li); });
    panel.appendChild(ul);
  }
  var nodes = document.querySelectorAll('g.node');
  nodes.forEach(function (g) {
    g.addEventListener('click', function (ev) { ev.stopPropagation(); show(g.getAttribute('data-id')); });
  });
  document.body.setAttribute('data-rendered-nodes', String(nodes.length));
})();
"""

_CSS = """
body { margin: 0; font-family: Helvetica, Arial, sans-serif; display: flex; height: 100vh; }
#graph { flex: 1; cursor: grab; background: #fff; }
#panel { width: 360px; overflow: auto; border-left: 1px solid #ccc; padding: 12px; font-size: 13px; }
#panel h2 { font-size: 15px; word-break: break-all; }
g.node { cursor: pointer; }
g.node rect { fill: #f5f5f5; stroke: #555; }
g.node.zone rect { fill: #e8f0fe; }
g.node.exposed rect { stroke: #d62728; stroke-width: 2.5; }
g.group rect { fill: none; stroke: #bbb; stroke-dasharray: 4 3; }
path.edge { fill: none; stroke: #888; }
path.edge.exposure { stroke: #d62728; stroke-width: 2; }
text { font-size: 12px; }
text.elabel { font-size: 10px; fill: #444; }
text.elabel.exposure { fill: #d62728; }
"""


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def to_html(g: Any, title: str = "iacscan network graph") -> str:
    ids = _ids(g)
    pos: dict[str, tuple[float, float]] = {}
    parts: list[str] = []
    height = 0.0
    grouped = list(groups(g).items())
    per_row = max(1, min(4, round(len(grouped) ** 0.5 + 0.5)))
    top = float(PAD)
    for start in range(0, len(grouped), per_row):
        row_h = 0.0
        for col, (name, members) in enumerate(grouped[start : start + per_row]):
            x = PAD + col * COL_W
            box_h = HEAD + len(members) * ROW_H
            parts.append(
                f'<g class="group"><rect x="{x - 10}" y="{top}" width="{NODE_W + 20}" height="{box_h}" rx="8"/>'
                f'<text x="{x}" y="{top + 22}" font-weight="bold">{html.escape(_short(name))}</text></g>'
            )
            for row, n in enumerate(members):
                pos[n] = (x, top + HEAD + row * ROW_H)
            row_h = max(row_h, box_h)
        top += row_h + PAD * 2
    height = top
    width = PAD * 2 + min(per_row, max(1, len(grouped))) * COL_W
    edge_parts: list[str] = []
    for s, t, d in _sorted_edges(g):
        (x1, y1), (x2, y2) = pos[s], pos[t]
        sx, sy = x1 + NODE_W, y1 + NODE_H / 2
        tx, ty = x2, y2 + NODE_H / 2
        if x2 == x1:  # same column: loop around on the right
            tx = x2 + NODE_W
            c = max(sx, tx) + 60
            dpath = f"M{sx},{sy} C{c},{sy} {c},{ty} {tx},{ty}"
            lx, ly = c - 10, (sy + ty) / 2
        else:
            mid = (sx + tx) / 2
            dpath = f"M{sx},{sy} C{mid},{sy} {mid},{ty} {tx},{ty}"
            lx, ly = mid, (sy + ty) / 2 - 3
        cls = "edge exposure" if d["exposure"] else "edge"
        label = html.escape(port_label(d["ports"]))
        edge_parts.append(
            f'<path class="{cls}" d="{dpath}" marker-end="url(#arrow{"-red" if d["exposure"] else ""})">'
            f"<title>{html.escape(s)} → {html.escape(t)}: {label}</title></path>"
            f'<text class="elabel{" exposure" if d["exposure"] else ""}" x="{lx}" y="{ly}" '
            f'text-anchor="middle">{label}</text>'
        )
    node_parts: list[str] = []
    data: dict[str, dict[str, Any]] = {}
    for n in sorted_nodes(g):
        d = g.nodes[n]
        nx_, ny_ = pos[n]
        cls = " ".join(
            c for c in ("node", "zone" if d["kind"] == "zone" else "", "exposed" if d["exposed"] else "") if c
        )
        node_parts.append(
            f'<g class="{cls}" data-id="{ids[n]}"><title>{html.escape(str(d["label"]))}</title>'
            f'<rect x="{nx_}" y="{ny_}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
            f'<text x="{nx_ + 8}" y="{ny_ + 21}">{html.escape(_short(str(d["label"])))}</text></g>'
        )
        data[ids[n]] = {"label": d["label"], "findings": d["findings"]}
    payload = json.dumps({"nodes": data}).replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_CSS}</style></head><body>"
        f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="100%" height="100%" viewBox="0 0 {width} {height}">'
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker>'
        '<marker id="arrow-red" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{RED}"/></marker>'
        "</defs>" + "".join(parts) + "".join(edge_parts) + "".join(node_parts) + "</svg>"
        '<div id="panel"><h2>iacscan</h2><p>Click a node to list its findings. Drag to pan, wheel to zoom.</p></div>'
        f'<script type="application/json" id="iacscan-data">{payload}</script>'
        f"<script>{_JS}</script></body></html>\n"
    )


RENDERERS = {"dot": to_dot, "mermaid": to_mermaid, "json": to_json, "html": to_html}
