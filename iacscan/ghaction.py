"""The GitHub Action's scan step (``action.yml`` runs ``python -m iacscan.ghaction``).

Inputs arrive as environment variables (``INPUT_PATH``, ``INPUT_FAIL_ON``...) set by the step's
``env:`` — never interpolated into shell text.  Writes the report, the step outputs
(``$GITHUB_OUTPUT``: ``sarif-file``, ``findings``, ``exit-code``) and a job summary
(``$GITHUB_STEP_SUMMARY``: findings by severity, and the reachability path of the top findings).
The exit code is the scan's, so the step fails when findings reach ``fail-on``.
"""

from __future__ import annotations

import os
import shlex
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

from iacscan.baseline import BaselineError
from iacscan.cli import build_parser
from iacscan.commands import scan as scan_cmd
from iacscan.commands.common import write_output
from iacscan.engine.catalog import SEVERITIES
from iacscan.engine.finding import Finding
from iacscan.pipeline import ScanResult
from iacscan.report.sarif import find_srcroot

TOP_FINDINGS = 10
_ICON = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "🟦", "info": "⬜"}


def inp(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(f"INPUT_{name.upper().replace('-', '_')}", "").strip() or default


def scan_argv(env: Mapping[str, str]) -> tuple[list[str], str, str]:
    """``iacscan scan`` arguments from the inputs; also the format and output path."""
    fmt = inp(env, "format", "sarif")
    output = inp(env, "output") or {"sarif": "iacscan.sarif", "json": "iacscan.json"}.get(fmt, "iacscan.txt")
    argv = ["scan", *(shlex.split(inp(env, "path", ".")) or ["."]), "--format", fmt, "--output", output]
    for name in ("fail-on", "config", "baseline", "diff-base", "sarif-category"):
        value = inp(env, name)
        if value:
            argv += [f"--{name}", value]
    return argv, fmt, output


MERMAID_PATHS = 3


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _where(f: Finding, srcroot: Path | None) -> str:
    loc = f.location
    if not loc.file:
        return ""
    path = loc.abspath
    try:
        shown = path.resolve().relative_to(srcroot).as_posix() if srcroot else loc.file
    except ValueError:
        shown = loc.file
    return f"{shown}:{loc.line}" if loc.line else shown


def _hop_where(loc_file: str, line: int) -> str:
    return f" <sub>({loc_file}:{line})</sub>" if loc_file and line else ""


def summary(result: ScanResult, fail_on: str, code: int, srcroot: Path | None, notes: list[str]) -> str:
    """The job summary (GitHub-flavoured Markdown)."""
    active = [f for f in result.findings if f.suppression is None]
    suppressed = [f for f in result.findings if f.suppression is not None]
    lines = ["## iacscan: network exposure", ""]
    if notes:
        lines += [f"_{n}_" for n in notes] + [""]
    lines += ["| Severity | Findings | Suppressed |", "|---|---:|---:|"]
    for sev in reversed(SEVERITIES):
        n = sum(1 for f in active if f.severity == sev)
        s = sum(1 for f in suppressed if f.severity == sev)
        lines.append(f"| {_ICON[sev]} {sev} | {n} | {s} |")
    lines.append(f"| **total** | **{len(active)}** | **{len(suppressed)}** |")
    lines.append("")
    verdict = "failed" if code else "passed"
    lines.append(f"Result: **{verdict}** (fail-on: `{fail_on}`, exit code {code}).")
    lines.append("")
    if active:
        lines += [f"### Top findings ({min(len(active), TOP_FINDINGS)} of {len(active)})", ""]
        for f in active[:TOP_FINDINGS]:
            where = _where(f, srcroot)
            lines.append(
                f"- **{f.severity}** `{f.rule_id}` {f.rule} — {_escape(f.message)}" + (f" (`{where}`)" if where else "")
            )
            if f.path:
                hops = " → ".join(f"`{_escape(h.node)}`{_hop_where(h.location.file, h.location.line)}" for h in f.path)
                lines.append(f"  - path: {hops}")
        lines.append("")
        from iacscan.graph.render import mermaid_paths

        charts = mermaid_paths(active, limit=MERMAID_PATHS)
        if charts:
            lines += [f"### Exposure paths (top {MERMAID_PATHS})", "", charts, ""]
    diags = result.diagnostics.sorted()
    errors = [d for d in diags if d.level.value == "error"]
    if diags:
        lines.append(f"{len(diags)} diagnostics ({len(errors)} errors); see the step log.")
        lines.append("")
    return "\n".join(lines) + "\n"


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)


def _output(path: str | None, name: str, value: str) -> None:
    if "\n" in value:
        marker = f"ghadelimiter_{uuid.uuid4()}"
        _append(path, f"{name}<<{marker}\n{value}\n{marker}\n")
    else:
        _append(path, f"{name}={value}\n")


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    argv, fmt, output = scan_argv(env)
    sys.stdout.write(f"iacscan {shlex.join(argv)}\n")
    args = build_parser().parse_args(argv)
    try:
        result = scan_cmd.analyse(args)
    except BaselineError as exc:
        sys.stdout.write(f"::error title=iacscan::{exc}\n")
        _output(env.get("GITHUB_OUTPUT"), "exit-code", "2")
        return 2
    write_output(scan_cmd.render(result, fmt, args), Path(output))
    fail_on = args.fail_on or result.config.fail_on or "low"
    code = scan_cmd.exit_code(result, fail_on, args.strict)
    active = [f for f in result.findings if f.suppression is None]
    gh_out = env.get("GITHUB_OUTPUT")
    _output(gh_out, "sarif-file", output if fmt == "sarif" else "")
    _output(gh_out, "findings", str(len(active)))
    _output(gh_out, "exit-code", str(code))
    notes = []
    if args.baseline:
        notes.append(f"Only findings not in the baseline {args.baseline} are shown.")
    if args.diff_base:
        notes.append(f"Only findings added since `{args.diff_base}` are shown.")
    _append(env.get("GITHUB_STEP_SUMMARY"), summary(result, fail_on, code, find_srcroot(args.paths), notes))
    sys.stdout.write(f"iacscan: {len(active)} findings; report written to {output}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
