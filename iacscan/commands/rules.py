"""``iacscan rules [SLUG]``: list the catalogue or print one rule's documentation."""

from __future__ import annotations

import argparse
import sys

from iacscan.engine.catalog import load_catalog
from iacscan.report.ruledoc import rule_markdown


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("rules", help="list rules, or show one rule's documentation")
    p.add_argument("slug", nargs="?", help="rule slug or id")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    if args.slug:
        rule = catalog.rule(args.slug)
        if rule is None:
            sys.stderr.write(f"iacscan: no rule {args.slug!r}; try `iacscan rules`\n")
            return 2
        sys.stdout.write(rule_markdown(rule, catalog))
        return 0
    for r in catalog.rules:
        sys.stdout.write(f"{r.id}  {r.slug:<26} {r.severity:<9} {r.summary}\n")
    return 0
