"""Human output: findings grouped by severity, each with its path."""

from __future__ import annotations

from iacscan.engine.catalog import SEVERITIES
from iacscan.engine.finding import Finding
from iacscan.source import Diagnostic

_MARK = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW", "info": "INFO"}


def render(findings: list[Finding], diagnostics: list[Diagnostic], *, show_paths: bool = True) -> str:
    lines: list[str] = []
    active = [f for f in findings if f.suppression is None]
    for sev in reversed(SEVERITIES):
        group = [f for f in active if f.severity == sev]
        if not group:
            continue
        lines.append(f"== {_MARK[sev]} ({len(group)}) ==")
        for f in group:
            status = " [conditional]" if f.status.value == "conditional" else ""
            lines.append(f"{f.location}: {f.rule_id} {f.rule}{status}")
            lines.append(f"    {f.message}")
            lines.append(f"    {f.source} -> {f.target}  ports: {', '.join(f.port_strings)}")
            if show_paths and f.path:
                hops = " -> ".join(h.node for h in f.path)
                lines.append(f"    path: {hops}")
            if f.confirmation is not None:
                c = f.confirmation
                lines.append(f"    live: {c.status} {c.live_id} {c.detail}".rstrip())
        lines.append("")
    suppressed = [f for f in findings if f.suppression is not None]
    if suppressed:
        lines.append(f"== SUPPRESSED ({len(suppressed)}) ==")
        for f in suppressed:
            assert f.suppression is not None
            lines.append(f"{f.location}: {f.rule} {f.target} — {f.suppression.justification}")
        lines.append("")
    if diagnostics:
        lines.append(f"== DIAGNOSTICS ({len(diagnostics)}) ==")
        for d in diagnostics:
            lines.append(f"{d.location}: {d.level.value}: {d.message}")
        lines.append("")
    counts = {s: sum(1 for f in active if f.severity == s) for s in SEVERITIES}
    summary = ", ".join(f"{n} {s}" for s, n in reversed(counts.items()) if n) or "no findings"
    lines.append(f"iacscan: {len(active)} findings ({summary}); {len(diagnostics)} diagnostics")
    return "\n".join(lines) + "\n"
