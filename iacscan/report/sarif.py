"""SARIF 2.1.0 output for GitHub code scanning and other SARIF consumers.

:func:`build` is a pure function of (findings, catalog, roots, category, srcroot); :func:`render`
adds what only a command line knows (the repository root, the category, stderr warnings).

The object model is ``sarif-om``; its own serialiser (``jschema_to_python``) drops every field
equal to its schema default — ``level: "warning"`` among them — so :func:`to_json` serialises
the objects itself, keeps the fields GitHub needs even when they equal the default, and
:func:`verify` checks the result before it is written.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import attr
import sarif_om as om

from iacscan import __version__
from iacscan.engine.catalog import Catalog, Rule
from iacscan.engine.finding import Finding
from iacscan.model.core import Hop
from iacscan.report.ruledoc import rule_markdown
from iacscan.source import Diagnostic, Location

if TYPE_CHECKING:
    from iacscan.pipeline import ScanResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/iacscan/iacscan"
HELP_URI = "https://github.com/iacscan/iacscan/blob/main/docs/rules/{slug}.md"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "iacscan/v1"

# GitHub code scanning limits (docs.github.com: "SARIF support for code scanning", "Uploading a SARIF file").
MAX_RESULTS = 25_000
MAX_GZIP_BYTES = 10 * 1024 * 1024
MAX_RELATED_LOCATIONS = 1_000
MAX_THREAD_FLOW_LOCATIONS = 10_000

SECURITY_SEVERITY: dict[str, str] = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
LEVEL: dict[str, str] = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_DIAG_LEVEL: dict[str, str] = {"error": "error", "warning": "warning", "info": "note"}
# Fields written even when they equal sarif-om's default (consumers must not have to know defaults).
_ALWAYS = frozenset({"level"})


# -- serialisation -------------------------------------------------------------------------


def to_json(obj: Any) -> Any:
    """sarif-om objects -> JSON-ready data, dropping unset fields but never ``level``."""
    if attr.has(type(obj)):
        out: dict[str, Any] = {}
        for f in attr.fields(type(obj)):
            value = getattr(obj, f.name)
            if value is None:
                continue
            factory = getattr(f.default, "factory", None)
            default = factory() if callable(factory) else f.default
            if value == default and f.name not in _ALWAYS:
                continue
            out[f.metadata.get("schema_property_name", f.name)] = to_json(value)
        return out
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_json(v) for v in obj]
    return obj


class SarifError(ValueError):
    pass


def verify(doc: dict[str, Any]) -> None:
    """Post-conditions of :func:`build`: what the serialiser must not have dropped."""
    for run in doc.get("runs", []):
        rules = run["tool"]["driver"].get("rules", [])
        for r in rules:
            if "level" not in r.get("defaultConfiguration", {}):
                raise SarifError(f"rule {r.get('id')} lost defaultConfiguration.level")
        for res in run.get("results", []):
            if "level" not in res or "ruleIndex" not in res or "partialFingerprints" not in res:
                raise SarifError(f"result {res.get('ruleId')} lost level/ruleIndex/partialFingerprints")
            if rules[res["ruleIndex"]]["id"] != res["ruleId"]:
                raise SarifError(f"result {res.get('ruleId')}: ruleIndex points at another rule")


# -- locations ------------------------------------------------------------------------------


def artifact_uri(loc: Location, srcroot: Path | None) -> tuple[str, str | None]:
    """(uri, uriBaseId) of a location's file: relative to the repository root when inside it."""
    path = loc.abspath if loc.root else Path(loc.file)
    if srcroot is not None:
        try:
            rel = path.resolve().relative_to(srcroot.resolve()) if path.is_absolute() else path
            return quote(rel.as_posix()), SRCROOT
        except ValueError:
            pass
    if path.is_absolute():
        return path.resolve().as_uri(), None
    return quote(path.as_posix()), SRCROOT


def _physical(loc: Location, srcroot: Path | None) -> om.PhysicalLocation:
    uri, base = artifact_uri(loc, srcroot)
    region = None
    if loc.line > 0:
        region = om.Region(start_line=loc.line, end_line=loc.end_line if loc.end_line > loc.line else None)
    return om.PhysicalLocation(artifact_location=om.ArtifactLocation(uri=uri, uri_base_id=base), region=region)


def _hop_text(h: Hop) -> str:
    kind = f" ({h.kind})" if h.kind else ""
    return f"{h.node}{kind}: {h.allowed_by}" if h.allowed_by else f"{h.node}{kind}"


def _flow_locations(f: Finding) -> list[Location]:
    """Each hop's location; a hop with none (the internet, a zone) borrows the next located hop's."""
    locs: list[Location] = []
    fallback = f.location
    for h in reversed(f.path):
        if h.location.file:
            fallback = h.location
        locs.append(h.location if h.location.file else fallback)
    return list(reversed(locs))


# -- rules ------------------------------------------------------------------------------------


def help_text(rule: Rule) -> str:
    parts = [rule.summary, "", "Why it matters", "", rule.description, "", "How to fix", "", rule.remediation]
    if rule.example:
        parts += ["", "Example", "", rule.example]
    return "\n".join(parts) + "\n"


def rule_descriptor(rule: Rule, catalog: Catalog) -> om.ReportingDescriptor:
    return om.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=rule.summary),
        full_description=om.MultiformatMessageString(text=rule.description),
        help=om.MultiformatMessageString(text=help_text(rule), markdown=rule_markdown(rule, catalog)),
        help_uri=HELP_URI.format(slug=rule.slug),
        default_configuration=om.ReportingConfiguration(level=LEVEL[rule.severity]),
        properties={
            "tags": [*rule.tags, rule.slug],
            "precision": rule.precision,
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "slug": rule.slug,
        },
    )


# -- results ----------------------------------------------------------------------------------


def _result(f: Finding, index: int, srcroot: Path | None) -> om.Result:
    related: list[om.Location] = []
    flow: list[om.ThreadFlowLocation] = []
    for step, (hop, loc) in enumerate(zip(f.path, _flow_locations(f), strict=True), start=1):
        text = _hop_text(hop)
        physical = _physical(loc, srcroot) if loc.file else None
        if hop.location.file and len(related) < MAX_RELATED_LOCATIONS:
            related.append(om.Location(id=len(related) + 1, physical_location=physical, message=om.Message(text=text)))
        if len(flow) < MAX_THREAD_FLOW_LOCATIONS:
            flow.append(
                om.ThreadFlowLocation(
                    location=om.Location(physical_location=physical, message=om.Message(text=text)),
                    execution_order=step,
                    kinds=[hop.kind] if hop.kind else None,
                )
            )
    props: dict[str, Any] = {
        "source": f.source,
        "target": f.target,
        "ports": f.port_strings,
        "status": f.status.value,
        "confidence": f.confidence,
        "severity": f.severity,
        "id": f.id,
    }
    if f.service:
        props["service"] = f.service
    if f.via:
        props["via"] = f.via
    if f.unknowns:
        props["unknowns"] = list(f.unknowns)
    if f.confirmation is not None:
        props["confirmation"] = {"status": f.confirmation.status, "liveId": f.confirmation.live_id}
    suppressions: list[dict[str, Any]] | None = None
    if f.suppression is not None:
        s = f.suppression
        sup = om.Suppression(
            kind=s.kind,
            justification=s.justification,
            location=om.Location(physical_location=_physical(s.location, srcroot)) if s.location.file else None,
        )
        # sarif-om 1.0.4 predates the 2.1.0 ``status`` property (it has a draft's ``state``)
        suppressions = [{**to_json(sup), "status": "accepted"}]
    return om.Result(
        message=om.Message(text=f.message),
        rule_id=f.rule_id,
        rule_index=index,
        level=LEVEL.get(f.severity, "warning"),
        locations=[om.Location(physical_location=_physical(f.location, srcroot))] if f.location.file else None,
        related_locations=related or None,
        code_flows=[om.CodeFlow(thread_flows=[om.ThreadFlow(locations=flow)], message=om.Message(text=f.message))]
        if flow
        else None,
        # our fingerprint is also given as primaryLocationLineHash, so GitHub keeps one alert
        # when lines move or the block is edited (upload-sarif would hash line contents instead)
        partial_fingerprints={FINGERPRINT_KEY: f.fingerprint, "primaryLocationLineHash": f.fingerprint},
        suppressions=suppressions,
        properties=props,
    )


def _notification(d: Diagnostic, srcroot: Path | None) -> om.Notification:
    return om.Notification(
        message=om.Message(text=d.message),
        level=_DIAG_LEVEL.get(d.level.value, "warning"),
        locations=[om.Location(physical_location=_physical(d.location, srcroot))] if d.location.file else None,
        descriptor=om.ReportingDescriptorReference(id=d.code) if d.code else None,
    )


def build(
    findings: Sequence[Finding],
    catalog: Catalog,
    roots: Sequence[Path],
    category: str,
    srcroot: Path | None,
    diagnostics: Iterable[Diagnostic] = (),
) -> dict[str, Any]:
    """The SARIF log (one run) as JSON-ready data."""
    rules = list(catalog.rules)
    index = {r.id: i for i, r in enumerate(rules)}
    results = [_result(f, index[f.rule_id], srcroot) for f in findings if f.rule_id in index]
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="iacscan",
                semantic_version=__version__,
                version=__version__,
                information_uri=INFORMATION_URI,
                rules=[rule_descriptor(r, catalog) for r in rules],
            )
        ),
        automation_details=om.RunAutomationDetails(id=f"iacscan/{category}/"),
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=srcroot.resolve().as_uri() + "/")}
        if srcroot is not None
        else None,
        invocations=[
            om.Invocation(
                execution_successful=True,
                tool_execution_notifications=[_notification(d, srcroot) for d in diagnostics] or None,
            )
        ],
        column_kind="unicodeCodePoints",
        results=results,
        properties={"scannedPaths": [artifact_uri(Location("", root=str(r)), srcroot)[0] or "." for r in roots]},
    )
    log = om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])
    doc: dict[str, Any] = to_json(log)
    verify(doc)
    return doc


# -- the command line's side ---------------------------------------------------------------


def find_srcroot(paths: Sequence[Path]) -> Path | None:
    """The repository root that URIs are relative to: $GITHUB_WORKSPACE, else git's top level."""
    resolved = [p.resolve() for p in paths] or [Path.cwd().resolve()]
    ws = os.environ.get("GITHUB_WORKSPACE")
    if ws and all(p.is_relative_to(Path(ws).resolve()) for p in resolved):
        return Path(ws).resolve()
    first = resolved[0] if resolved[0].is_dir() else resolved[0].parent
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=first, capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        top = None
    if top is not None and top.returncode == 0 and top.stdout.strip():
        return Path(top.stdout.strip()).resolve()
    cwd = Path.cwd().resolve()
    return cwd if all(p.is_relative_to(cwd) for p in resolved) else first


def default_category(paths: Sequence[Path], srcroot: Path | None) -> str:
    """``infra/prod`` -> ``infra-prod``; the repository root itself -> ``root``."""
    names = []
    for p in paths:
        rp = p.resolve()
        try:
            rel = rp.relative_to(srcroot).as_posix() if srcroot is not None else p.as_posix()
        except ValueError:
            rel = rp.name
        names.append(re.sub(r"[^A-Za-z0-9._-]+", "-", rel).strip("-.") or "root")
    return "+".join(names) or "root"


def limit_warnings(doc: dict[str, Any], text: str) -> list[str]:
    """What GitHub would refuse or truncate in this upload."""
    out = []
    for run in doc.get("runs", []):
        n = len(run.get("results", []))
        if n > MAX_RESULTS:
            out.append(f"{n} results exceed GitHub's limit of {MAX_RESULTS} per run; only the first are kept")
    size = len(gzip.compress(text.encode("utf-8")))
    if size > MAX_GZIP_BYTES:
        out.append(f"gzipped SARIF is {size / 1e6:.1f} MB, over GitHub's 10 MB upload limit; narrow the scan")
    return out


def render(result: ScanResult, args: argparse.Namespace) -> str:
    """``iacscan scan --format sarif``."""
    paths: list[Path] = list(getattr(args, "paths", None) or result.roots)
    srcroot = find_srcroot(paths)
    category = getattr(args, "sarif_category", None) or default_category(paths, srcroot)
    doc = build(result.findings, result.catalog, result.roots, category, srcroot, result.diagnostics.sorted())
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    for w in limit_warnings(doc, text):
        sys.stderr.write(f"iacscan: warning: {w}\n")
    return text
