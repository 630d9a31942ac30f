"""``iacscan scan``: analyse an estate and report findings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from iacscan import baseline
from iacscan.commands.common import add_scan_inputs, progress, scan_options, write_output
from iacscan.engine.catalog import SEVERITIES, severity_rank
from iacscan.pipeline import ScanResult, scan
from iacscan.report import json_v1, text

# Output formats; other modules add theirs here explicitly (see iacscan.report).
FORMATS: dict[str, str] = {"text": "iacscan.report.text", "json": "iacscan.report.json_v1"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("scan", help="scan an estate for network exposures")
    add_scan_inputs(p)
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    p.add_argument("--output", "-o", type=__import__("pathlib").Path, help="write the report here (default stdout)")
    p.add_argument(
        "--fail-on",
        choices=[*SEVERITIES, "none"],
        default=None,
        help="exit 1 when a finding at or above this severity remains (default: low)",
    )
    p.add_argument("--sarif-category", metavar="NAME", help="SARIF automationDetails category (default: from PATH)")
    p.add_argument("--baseline", type=Path, metavar="FILE", help="report only findings not recorded in FILE")
    p.add_argument("--write-baseline", type=Path, metavar="FILE", help="record today's findings in FILE")
    p.add_argument("--diff-base", metavar="GIT-REF", help="report only findings added since GIT-REF")
    from iacscan.live.confirm import add_confirm_options

    add_confirm_options(p)
    p.set_defaults(func=run)


def exit_code(result: ScanResult, fail_on: str, strict: bool) -> int:
    if strict and result.diagnostics.has_errors:
        return 2
    if fail_on == "none":
        return 0
    threshold = severity_rank(fail_on)
    active = [f for f in result.findings if f.suppression is None]
    return 1 if any(severity_rank(f.severity) >= threshold for f in active) else 0


def render(result: ScanResult, fmt: str, args: argparse.Namespace) -> str:
    diags = result.diagnostics.sorted()
    if fmt == "json":
        return json_v1.render(result.findings, diags)
    if fmt == "sarif":
        from iacscan.report import sarif

        out: str = sarif.render(result, args)
        return out
    return text.render(result.findings, diags)


def analyse(args: argparse.Namespace) -> ScanResult:
    """Scan, then keep only new findings when --baseline / --diff-base ask for it."""
    with progress("iacscan: scanning"):
        result = scan(args.paths, scan_options(args), args.config)
        if getattr(args, "write_baseline", None):
            baseline.write(result.findings, args.write_baseline)
        if getattr(args, "baseline", None):
            result.findings = baseline.new_only(result.findings, baseline.read(args.baseline))
        if getattr(args, "diff_base", None):
            known = baseline.base_fingerprints(args.paths, args.diff_base, scan_options(args), args.config, result)
            result.findings = baseline.new_only(result.findings, known)
        if getattr(args, "confirm", None):
            from iacscan.live.confirm import apply

            apply(result, args)
    return result


def run(args: argparse.Namespace) -> int:
    try:
        result = analyse(args)
    except baseline.BaselineError as exc:
        sys.stderr.write(f"iacscan: error: {exc}\n")
        return 2
    write_output(render(result, args.format, args), args.output)
    fail_on = args.fail_on or result.config.fail_on or "low"
    return exit_code(result, fail_on, args.strict)
