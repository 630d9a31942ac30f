"""Shared helpers for the compose/docker tests: scanning fixtures and reading their annotations."""

from __future__ import annotations

import re
from pathlib import Path

from iacscan.engine.finding import Finding
from iacscan.ingest import ScanOptions
from iacscan.pipeline import ScanResult, scan

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "compose"
_NOT_OK = re.compile(r"#\s*NOT OK:\s*([a-z0-9, -]+)")

Row = tuple[str, str, str, tuple[str, ...], str, int]


def run(path: Path, environ: dict[str, str] | None = None) -> ScanResult:
    return scan([path], ScanOptions(environ=environ or {}), layers=("compose", "docker"))


def rows(findings: list[Finding]) -> list[Row]:
    """(rule, source, target, ports, file, line), sorted."""
    return sorted(
        (f.rule, f.source, f.target, tuple(f.port_strings), f.location.file, f.location.line) for f in findings
    )


def annotated(root: Path) -> set[tuple[str, int, str]]:
    """Every ``# NOT OK: rule, rule`` under ``root`` as (file relative to root, line, rule)."""
    out: set[tuple[str, int, str]] = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in (".yml", ".yaml", ".json"):
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = _NOT_OK.search(line)
            if m:
                for rule in m.group(1).split(","):
                    if rule.strip():
                        out.add((path.relative_to(root).as_posix(), i, rule.strip()))
    return out


def found(result: ScanResult) -> set[tuple[str, int, str]]:
    return {(f.location.file, f.location.line, f.rule) for f in result.findings}
