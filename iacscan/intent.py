"""Declared intent (``flows:`` of ``.iacscan.yml``): the white-list view of an estate.

```yaml
flows:
  - from: billing/web        # address globs or zones (internet, lan)
    to: billing/db
    ports: [tcp/5432]
```

When ``flows:`` is present, every reachable (source, target, ports) between endpoints in scope that
no flow allows is an ``intent-violation`` finding, and every declared flow that nothing makes
reachable is an ``intent-unreachable`` finding.  The scope is every endpoint a flow's ``from`` or
``to`` names, plus the zones ``internet`` and ``lan``: traffic between endpoints nobody declared
anything about is left to the other rules.

Reachable triples come from :func:`iacscan.graph.query.edges` (``Model.conns`` and ``Model.reaches``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from iacscan.config import Config, entry_lines
from iacscan.engine.catalog import Catalog, Rule
from iacscan.engine.finding import Finding
from iacscan.graph.query import Edge, edges, matches
from iacscan.model.core import INTERNET, LAN, Hop, Model, Status
from iacscan.model.ports import PortSet
from iacscan.source import NOWHERE, Diagnostics, Location

ZONES = (INTERNET, LAN)


@dataclass(frozen=True)
class Flow:
    sources: tuple[str, ...]  # address globs or zones
    targets: tuple[str, ...]
    ports: PortSet
    location: Location = NOWHERE
    name: str = ""

    def describe(self) -> str:
        ports = ", ".join(self.ports.to_strings())
        return self.name or f"{'|'.join(self.sources)} -> {'|'.join(self.targets)} on {ports}"

    def allows(self, source: str, target: str) -> PortSet:
        if any(_match(s, source) for s in self.sources) and any(_match(t, target) for t in self.targets):
            return self.ports
        return PortSet()


def _match(selector: str, address: str) -> bool:
    if selector in ZONES or address in ZONES:
        return selector == address
    return matches(selector, address)


def _globs(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    return None


def _ports(value: Any) -> PortSet | None:
    if value is None:
        return PortSet.all()
    items = value if isinstance(value, list) else [value]
    out = PortSet()
    for item in items:
        text = str(item).strip()
        if not text:
            return None
        try:
            out = out | PortSet.parse(text if "/" in text or text == "all" else f"tcp/{text}")
        except ValueError:
            return None
    return out


def parse_flows(config: Config, diagnostics: Diagnostics) -> list[Flow] | None:
    """The declared flows, or ``None`` when the config has no ``flows:`` (intent not in use)."""
    raw = config.raw.get("flows")
    if "flows" not in config.raw:
        return None
    path = config.path
    root = str(path.parent.resolve()) if path else ""
    base = Location(path.name if path else ".iacscan.yml", 0, root=root)
    if not isinstance(raw, list):
        diagnostics.error("flows: must be a list of {from, to, ports}", base, "config-flows")
        return []
    lines = entry_lines(path, "flows")
    out: list[Flow] = []
    for i, entry in enumerate(raw):
        loc = base.at(lines[i] if i < len(lines) else 0)
        if not isinstance(entry, dict):
            diagnostics.error(f"flows[{i}]: must be a mapping with from, to and ports", loc, "config-flows")
            continue
        src, dst, ports = _globs(entry.get("from")), _globs(entry.get("to")), _ports(entry.get("ports"))
        bad = [k for k, v in (("from", src), ("to", dst), ("ports", ports)) if v is None]
        if bad:
            diagnostics.error(
                f"flows[{i}]: invalid or missing {', '.join(bad)} (from/to: address globs or zones "
                f"internet/lan; ports: e.g. [tcp/5432, udp/53, 443])",
                loc,
                "config-flows",
            )
            continue
        assert src is not None and dst is not None and ports is not None
        out.append(Flow(src, dst, ports, loc, str(entry.get("name") or "")))
    return out


def in_scope(flows: list[Flow], model: Model) -> set[str]:
    scope = set(ZONES)
    for f in flows:
        for sel in (*f.sources, *f.targets):
            if sel in ZONES:
                continue
            scope.update(a for a in model.endpoints if matches(sel, a))
    return scope


def _allowed(flows: list[Flow], source: str, target: str) -> PortSet:
    out = PortSet()
    for f in flows:
        out = out | f.allows(source, target)
    return out


def _location(e: Edge, model: Model) -> Location:
    for h in reversed(e.path):
        if h.location.file and h.kind not in ("endpoint", "zone"):
            return h.location
    ep = model.endpoints.get(e.target)
    if ep is not None and ep.location.file:
        return ep.location
    return next((h.location for h in e.path if h.location.file), NOWHERE)


def _finding(
    rule: Rule, message: str, source: str, target: str, ports: PortSet, loc: Location, path: tuple[Hop, ...]
) -> Finding:
    return Finding(
        rule=rule.slug,
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        status=Status.EXPOSED,
        message=message,
        source=source,
        target=target,
        ports=ports,
        location=loc,
        path=path,
    )


def violations(rule: Rule, model: Model, flows: list[Flow]) -> list[Finding]:
    scope = in_scope(flows, model)
    out = []
    for e in edges(model):
        if e.source == e.target or e.source not in scope or e.target not in scope or e.target in ZONES:
            continue
        rest = e.ports - _allowed(flows, e.source, e.target)
        ep = model.endpoints.get(e.target)
        if ep is not None and ep.listening is not None:
            rest = rest & ep.listening  # a port nothing listens on carries no communication
        if not rest:
            continue
        ports = ", ".join(rest.to_strings())
        msg = f"{e.source} can reach {e.target} on {ports}, which no declared flow allows"
        out.append(_finding(rule, msg, e.source, e.target, rest, _location(e, model), e.path))
    return out


def unreachable(rule: Rule, model: Model, flows: list[Flow]) -> list[Finding]:
    out = []
    for f in flows:
        got = PortSet()
        for e in edges(model):
            if e.source != e.target:
                got = got | (e.ports & f.allows(e.source, e.target))
        missing = f.ports - got
        if not missing:
            continue
        src, dst = "|".join(f.sources), "|".join(f.targets)
        ports = ", ".join(missing.to_strings())
        msg = (
            f"declared flow {f.describe()} is not reachable on {ports}"
            if got
            else f"declared flow {f.describe()} is not reachable: nothing lets {src} connect to {dst}"
        )
        out.append(_finding(rule, msg, src, dst, missing, f.location, ()))
    return out


def producers(config: Config, diagnostics: Diagnostics) -> dict[str, Callable[[Rule, Model, Catalog], list[Finding]]]:
    """The ``intent-*`` template implementations for one scan (empty when there is no ``flows:``).

    The pipeline merges them into :data:`iacscan.pipeline.EXTRA_PRODUCERS` for the scan of ``config``.
    """
    flows = parse_flows(config, diagnostics)
    if flows is None:
        return {}
    checked: list[bool] = []

    def check(model: Model) -> None:
        if not checked:
            checked.append(True)
            check_globs(flows, model, diagnostics)

    def violation(rule: Rule, model: Model, _catalog: Catalog) -> list[Finding]:
        check(model)
        return violations(rule, model, flows)

    def missing(rule: Rule, model: Model, _catalog: Catalog) -> list[Finding]:
        check(model)
        return unreachable(rule, model, flows)

    return {"intent-violation": violation, "intent-unreachable": missing}


def check_globs(flows: list[Flow], model: Model, diagnostics: Diagnostics) -> None:
    """Warn about flow selectors that name no endpoint (typos silently allow nothing)."""
    for f in flows:
        for sel in (*f.sources, *f.targets):
            if sel not in ZONES and not any(matches(sel, a) for a in model.endpoints):
                diagnostics.warning(f"flow {f.describe()}: {sel!r} matches no endpoint", f.location, "config-flows")
