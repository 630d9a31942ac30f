"""``iacscan reach``: who can reach whom, on which ports (the attacker's view)."""

from __future__ import annotations

import argparse
import importlib
import json

from iacscan.commands.common import add_scan_inputs, progress, scan_options, write_output
from iacscan.engine.evaluate import services_for
from iacscan.graph.query import Edge, edges, matches
from iacscan.model.core import Hop
from iacscan.model.ports import PortSet
from iacscan.pipeline import ScanResult, scan

# Extra formats provided by layer modules: name -> (module, function(result) -> str)
EXTRA_FORMATS: dict[str, tuple[str, str]] = {"connlist": ("iacscan.report.connlist", "render_connlist")}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("reach", help="list reachability: what SEL can reach, who reaches SEL")
    add_scan_inputs(p)
    p.add_argument("--from", dest="src", metavar="SEL", help="source address glob or zone (internet, lan)")
    p.add_argument("--to", dest="dst", metavar="SEL", help="target address glob")
    p.add_argument("--port", help="only this port or range, e.g. tcp/22, tcp/8000-8100, 443")
    p.add_argument("--format", choices=["text", "json", *EXTRA_FORMATS], default="text")
    p.add_argument(
        "--flat",
        dest="by_service",
        action="store_false",
        help="one line per (source, target) instead of the blast radius grouped by service category",
    )
    p.set_defaults(by_service=True, paths_view=True)
    p.add_argument("--output", "-o", type=__import__("pathlib").Path)
    p.set_defaults(func=run)


def _port(text: str | None) -> PortSet | None:
    if not text:
        return None
    return PortSet.parse(text if "/" in text or text == "all" else f"tcp/{text}")


def render(result: ScanResult, args: argparse.Namespace) -> str:
    if args.format in EXTRA_FORMATS:
        mod, fn = EXTRA_FORMATS[args.format]
        out: str = getattr(importlib.import_module(mod), fn)(result)
        return out
    port = _port(args.port)
    rows = list(edges(result.model, args.src, args.dst, port))
    if args.src and args.dst and getattr(args, "paths_view", False):
        return _render_paths(result, args, port)
    if args.format == "json":
        doc = {
            "schema": "iacscan/reach/v1",
            "from": args.src,
            "to": args.dst,
            "reach": [
                {
                    "source": e.source,
                    "target": e.target,
                    "ports": e.ports.to_strings(),
                    "categories": categorize(result, e),
                    "path": [h.to_json() for h in e.path],
                }
                for e in rows
            ],
            "diagnostics": [d.to_json() for d in result.diagnostics.sorted()],
        }
        return json.dumps(doc, indent=2) + "\n"
    if args.src and not args.dst and getattr(args, "by_service", False):
        return _render_blast_radius(result, args.src, rows)
    lines = [f"{e.source} => {e.target} : {', '.join(e.ports.to_strings())}" for e in rows]
    return "\n".join(lines) + ("\n" if lines else "")


WIDE = 1024  # more TCP ports than this: "every port", not a list of every catalogue service
CATEGORY_ORDER = ("mgmt", "host", "classic", "other")
CATEGORY_TITLES = {
    "mgmt": "management APIs",
    "host": "host services",
    "classic": "classic services (databases, caches, file sharing...)",
    "other": "other ports",
}


def categorize(result: ScanResult, e: Edge) -> dict[str, list[str]]:
    """Category -> "service (ports)" descriptions of what ``e`` reaches, by the service catalogue."""
    ep = result.model.endpoints.get(e.target)
    out: dict[str, list[str]] = {}
    reach = e.ports & ep.listening if ep is not None and ep.listening is not None else e.ports
    rest = reach
    wide = reach.count("tcp") > WIDE
    for svc, ports in services_for(ep, reach, result.catalog.services):
        if wide and not (ep is not None and (svc.id in ep.service_hints or any(map(svc.matches_image, ep.images)))):
            continue  # "every port": name only the services the endpoint is known to run
        out.setdefault(svc.category if svc.category in CATEGORY_ORDER else "other", []).append(
            f"{svc.name} ({', '.join(ports.to_strings())})"
        )
        rest = rest - ports
    if rest:
        text = ", ".join(rest.to_strings())
        out.setdefault("other", []).append("every port" if rest.is_all() else text)
    return out


def blast_radius(result: ScanResult, rows: list[Edge]) -> dict[str, list[tuple[Edge, list[str]]]]:
    groups: dict[str, list[tuple[Edge, list[str]]]] = {c: [] for c in CATEGORY_ORDER}
    for e in rows:
        for cat, items in categorize(result, e).items():
            groups[cat].append((e, items))
    return {c: v for c, v in groups.items() if v}


def _render_blast_radius(result: ScanResult, src: str, rows: list[Edge]) -> str:
    lines = [f"From {src}: {len({e.target for e in rows})} endpoints reachable"]
    host = [f for f in result.model.host_access if matches(src, f.endpoint)]
    groups = blast_radius(result, rows)
    for cat in CATEGORY_ORDER:
        items = groups.get(cat, [])
        extra = host if cat == "host" else []
        if not items and not extra:
            continue
        lines.append("")
        lines.append(f"== {CATEGORY_TITLES[cat]} ==")
        for e, what in items:
            lines.append(f"  {e.source} => {e.target} : {'; '.join(what)}")
        for f in extra:
            lines.append(f"  {f.endpoint} => {f.host} : {f.detail}")
    return "\n".join(lines) + "\n"


def all_paths(
    result: ScanResult, src: str, dst: str, port: PortSet | None
) -> list[tuple[str, str, PortSet, tuple[Hop, ...]]]:
    """Every allowing path from ``src`` to ``dst`` (one per fact), not merged per pair."""
    out: list[tuple[str, str, PortSet, tuple[Hop, ...]]] = []
    for r in result.model.reaches:
        if matches(src, r.source) and matches(dst, r.target):
            ports = r.ports & port if port is not None else r.ports
            if ports:
                out.append((r.source, r.target, ports, r.path))
    for c in result.model.conns:
        for s in (x for x in c.sources if matches(src, x)):
            for t in (x for x in c.targets if matches(dst, x)):
                ports = c.ports & port if port is not None else c.ports
                if ports and not (c.exclude_self and s == t):
                    path = c.path or (
                        Hop(s, "source", kind="endpoint"),
                        Hop(t, f"{c.layer or 'network'} connectivity", kind="endpoint"),
                    )
                    out.append((s, t, ports, path))
    out.sort(key=lambda x: (x[0], x[1], x[2].to_strings()))
    return out


def _render_paths(result: ScanResult, args: argparse.Namespace, port: PortSet | None) -> str:
    paths = all_paths(result, args.src, args.dst, port)
    if args.format == "json":
        doc = {
            "schema": "iacscan/reach-paths/v1",
            "from": args.src,
            "to": args.dst,
            "paths": [
                {"source": s, "target": t, "ports": p.to_strings(), "hops": [h.to_json() for h in path]}
                for s, t, p, path in paths
            ],
            "diagnostics": [d.to_json() for d in result.diagnostics.sorted()],
        }
        return json.dumps(doc, indent=2) + "\n"
    if not paths:
        return f"no path from {args.src} to {args.dst}\n"
    lines: list[str] = []
    for i, (s, t, p, path) in enumerate(paths, 1):
        lines.append(f"path {i}: {s} => {t} : {', '.join(p.to_strings())}")
        for h in path:
            where = f"  [{h.location}]" if h.location.file else ""
            rule = f" — {h.allowed_by}" if h.allowed_by else ""
            lines.append(f"  -> {h.node}{rule}{where}")
        lines.append("")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        _port(args.port)
    except ValueError as exc:
        raise SystemExit(f"iacscan: error: --port: {exc}") from None
    with progress("iacscan: analysing"):
        result = scan(args.paths, scan_options(args), args.config)
    write_output(render(result, args), args.output)
    if args.strict and result.diagnostics.has_errors:
        return 2
    return 0
