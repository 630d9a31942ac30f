"""``iacscan reach``: who can reach whom, on which ports (the attacker's view)."""

from __future__ import annotations

import argparse
import importlib
import json

from iacscan.commands.common import add_scan_inputs, progress, scan_options, write_output
from iacscan.graph.query import edges
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
    if args.format == "json":
        doc = {
            "schema": "iacscan/reach/v1",
            "from": args.src,
            "to": args.dst,
            "reach": [
                {"source": e.source, "target": e.target, "ports": e.ports.to_strings(), "path": [h.to_json() for h in e.path]}
                for e in rows
            ],
            "diagnostics": [d.to_json() for d in result.diagnostics.sorted()],
        }
        return json.dumps(doc, indent=2) + "\n"
    lines = [f"{e.source} => {e.target} : {', '.join(e.ports.to_strings())}" for e in rows]
    return "\n".join(lines) + ("\n" if lines else "")


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
