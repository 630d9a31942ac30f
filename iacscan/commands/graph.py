"""``iacscan graph``: draw the network (zones, endpoints, reachability; exposures in red).

``--format dot`` writes Graphviz source; with ``--output FILE.svg`` / ``.png`` / ``.pdf`` it is
rendered by Graphviz's ``dot`` when installed.  ``mermaid`` renders in GitHub markdown; ``html`` is
one self-contained file (no network access) with pan, zoom and a findings panel; ``json`` is the
graph as data (``iacscan/graph/v1``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from iacscan.commands.common import add_scan_inputs, progress, scan_options, write_output
from iacscan.graph.build import build
from iacscan.graph.render import RENDERERS
from iacscan.pipeline import scan

IMAGE_SUFFIXES = (".svg", ".png", ".pdf")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("graph", help="draw the network: zones, endpoints, reachability (dot, mermaid, html, json)")
    add_scan_inputs(p)
    p.add_argument("--format", choices=sorted(RENDERERS), default="dot")
    p.add_argument("--focus", metavar="SEL", help="only edges from or to endpoints matching this address glob")
    p.add_argument("--exposed-only", action="store_true", help="only edges from the internet or public addresses")
    p.add_argument("--output", "-o", type=Path, help="output file (dot: .svg/.png/.pdf render with Graphviz)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with progress("iacscan: analysing"):
        result = scan(args.paths, scan_options(args), args.config)
    g = build(result.model, result.findings, args.focus, args.exposed_only)
    text = RENDERERS[args.format](g)
    out: Path | None = args.output
    if args.format == "dot" and out is not None and out.suffix.lower() in IMAGE_SUFFIXES:
        dot = shutil.which("dot")
        if dot is None:
            sys.stderr.write("iacscan: Graphviz `dot` not found; writing DOT source instead\n")
            write_output(text, out.with_suffix(".dot"))
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(
                [dot, f"-T{out.suffix.lower()[1:]}", "-o", str(out)], input=text, text=True, check=False
            )
            if done.returncode != 0:
                sys.stderr.write("iacscan: Graphviz failed to render the graph\n")
                return 3
    else:
        write_output(text, out)
    if args.strict and result.diagnostics.has_errors:
        return 2
    return 0
