"""Shared test helpers: run the real pipeline and compare exact findings with markers in fixtures.

A fixture marks every finding it must produce on the line of the finding's primary location:

    ingress { # NOT OK: mgmt-api-internet internet -> aws_instance.web tcp/22
    ingress { # NOT OK (conditional): mgmt-api-internet internet -> aws_instance.web tcp/22

(several findings on one line are separated by " | ", each may start with "(conditional) ")

and may explain negatives with `# OK: ...` comments.  The test asserts that the set of
(rule, status, source, target, ports, file, line) produced equals the set marked: a missing or an
extra finding fails.  Rules listed in a `# ignore-rules: a, b` line anywhere in the fixture are
left out of the comparison (so a fixture can focus on one semantic).
"""

from __future__ import annotations

import re
from pathlib import Path

from iacscan.engine.finding import Finding
from iacscan.ingest import ScanOptions
from iacscan.pipeline import ScanResult, scan

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"

MARK = re.compile(r"(?:#|//)\s*NOT OK(?: \((?P<status>conditional)\))?:\s*(?P<body>.+?)\s*$")
IGNORE = re.compile(r"(?:#|//)\s*ignore-rules:\s*(?P<rules>.+?)\s*$")

Row = tuple[str, str, str, str, str, str, int]


def run(path: Path, **kw: object) -> ScanResult:
    return scan([path], ScanOptions(environ={}, cache_dir=None), **kw)  # type: ignore[arg-type]


def row(f: Finding) -> Row:
    return (f.rule, f.status.value, f.source, f.target, ",".join(f.port_strings), f.location.file, f.location.line)


def expected(path: Path) -> tuple[set[Row], set[str]]:
    rows: set[Row] = set()
    ignored: set[str] = set()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        rel = f.relative_to(path if path.is_dir() else path.parent).as_posix()
        for i, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            m = MARK.search(line)
            if m:
                for body in m.group("body").split(" | "):
                    status = m.group("status") or "exposed"
                    if body.startswith("(conditional) "):
                        status, body = "conditional", body.removeprefix("(conditional) ")
                    rule, source, arrow, target, ports = body.split(None, 4)
                    assert arrow == "->", f"bad marker at {rel}:{i}"
                    rows.add((rule, status, source, target, ports.replace(" ", ""), rel, i))
            g = IGNORE.search(line)
            if g:
                ignored |= {r.strip() for r in g.group("rules").split(",")}
    return rows, ignored


def actual(result: ScanResult, ignored: set[str]) -> set[Row]:
    return {row(f) for f in result.findings if f.rule not in ignored and f.suppression is None}
