"""JSON output, schema ``iacscan/findings/v1`` (frozen: add fields, never change them)."""

from __future__ import annotations

import json
from typing import Any

from iacscan import __version__
from iacscan.engine.finding import Finding
from iacscan.source import Diagnostic

SCHEMA = "iacscan/findings/v1"


def finding_to_json(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": f.rule,
        "rule_id": f.rule_id,
        "id": f.id,
        "fingerprint": f.fingerprint,
        "severity": f.severity,
        "confidence": f.confidence,
        "status": f.status.value,
        "message": f.message,
        "source": f.source,
        "target": f.target,
        "ports": f.port_strings,
        "location": {"file": f.location.file, "line": f.location.line},
        "path": [h.to_json() for h in f.path],
    }
    if f.service:
        out["service"] = f.service
    if f.via:
        out["via"] = f.via
    if f.unknowns:
        out["unknowns"] = list(f.unknowns)
    if f.suppression is not None:
        out["suppression"] = {"kind": f.suppression.kind, "justification": f.suppression.justification}
    if f.confirmation is not None:
        c = f.confirmation
        out["confirmation"] = {"status": c.status, "live_id": c.live_id, "detail": c.detail}
    for k, v in f.extra:
        out.setdefault(k, v)
    return out


def render(findings: list[Finding], diagnostics: list[Diagnostic]) -> str:
    doc = {
        "schema": SCHEMA,
        "tool": {"name": "iacscan", "version": __version__},
        "findings": [finding_to_json(f) for f in findings],
        "diagnostics": [d.to_json() for d in diagnostics],
    }
    # Compact: json's C encoder only runs without indent, and large estates have many findings.
    return json.dumps(doc, separators=(",", ":")) + "\n"
