"""Evaluate the rule catalogue over a model's facts.

Each rule names a *template* (``rules/*.yaml`` ``match.template``) with
parameters; this module holds the one implementation per template.  Findings
are aggregated to one per (rule, source, target), listing every reachable port
of the rule's services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from iacscan.engine.catalog import Catalog, Rule, Service
from iacscan.engine.finding import Finding
from iacscan.model.core import Endpoint, Hop, Model, SourceKind, Status
from iacscan.model.ports import PortSet
from iacscan.source import Location


def services_for(ep: Endpoint | None, ports: PortSet, services: Iterable[Service]) -> list[tuple[Service, PortSet]]:
    """Which catalogue services ``ports`` of ``ep`` belong to, by port and by image/type hint."""
    if ep is None:
        return list(_services_for((), (), None, ports, tuple(services)))
    return list(_services_for(ep.images, ep.service_hints, ep.listening, ports, tuple(services)))


@lru_cache(maxsize=65536)
def _services_for(
    images: tuple[str, ...],
    hints: tuple[str, ...],
    listening: PortSet | None,
    ports: PortSet,
    services: tuple[Service, ...],
) -> tuple[tuple[Service, PortSet], ...]:
    out: list[tuple[Service, PortSet]] = []
    for s in services:
        matched = ports & s.ports
        if s.id in hints or any(s.matches_image(i) for i in images):
            matched = matched | (ports & listening if listening is not None else ports)
        if matched:
            out.append((s, matched))
    return tuple(out)


@dataclass
class _Acc:
    rule: Rule
    source: str
    target: str
    ports: PortSet
    status: Status
    location: Location
    path: tuple[Hop, ...]
    services: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    via: str = ""
    details: list[str] = field(default_factory=list)


class _Collector:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str, str], _Acc] = {}

    def add(
        self,
        rule: Rule,
        source: str,
        target: str,
        ports: PortSet,
        status: Status,
        location: Location,
        path: tuple[Hop, ...],
        services: Iterable[str] = (),
        unknowns: Iterable[str] = (),
        via: str = "",
        detail: str = "",
    ) -> None:
        key = (rule.slug, source, target, status.value)
        acc = self.items.get(key)
        if acc is None:
            acc = self.items[key] = _Acc(rule, source, target, ports, status, location, path, via=via)
        else:
            acc.ports = acc.ports | ports
            if not acc.via and via:
                acc.via = via
            if location.file == acc.location.file and 0 < location.line < acc.location.line:
                # within one file the primary location is the earliest contributing line, whatever order
                # the layer emitted its facts in
                acc.location, acc.path = location, path
        for s in services:
            if s not in acc.services:
                acc.services.append(s)
        for u in unknowns:
            if u not in acc.unknowns:
                acc.unknowns.append(u)
        if detail and detail not in acc.details:
            acc.details.append(detail)


def _message(acc: _Acc, model: Model) -> str:
    subject = acc.source if acc.rule.template in ("egress", "host-access") else acc.target
    ep = model.endpoints.get(subject)
    name = f" ({ep.name})" if ep is not None and ep.name and ep.name not in subject else ""
    ports = ", ".join(acc.ports.to_strings())
    svc = (
        ", ".join(acc.services)
        if len(acc.services) <= 4
        else f"{', '.join(acc.services[:3])} and {len(acc.services) - 3} more services"
    )
    t = acc.rule.template
    if t in ("service-reachable", "other-ports-reachable"):
        what = f"{svc} ({ports})" if svc else ports
        via = f" through {acc.via}" if acc.via else ""
        src = {"internet": "the internet", "lan": "the whole LAN"}.get(acc.source, acc.source)
        msg = f"{what} on {acc.target}{name} is reachable from {src}{via}"
    elif t == "host-access":
        msg = f"{acc.source}{name} can reach {acc.target}: {'; '.join(acc.details)}"
    elif t == "lateral":
        msg = f"{acc.target}{name} accepts every peer of {acc.source} on {ports}" + (
            f" ({'; '.join(acc.details)})" if acc.details else ""
        )
    elif t == "tenant-shared":
        msg = f"tenant {acc.source} shares {acc.target} with other tenants: {'; '.join(acc.details)}"
    elif t == "egress":
        msg = f"{acc.source}{name} can open connections to the internet on {ports}"
    else:
        msg = "; ".join(acc.details) or acc.rule.summary
    if acc.status is Status.CONDITIONAL and acc.unknowns:
        msg += f" — if {', '.join(acc.unknowns)} allow it"
    return msg


def _service_reachable(rule: Rule, model: Model, catalog: Catalog, out: _Collector) -> None:
    kinds = {SourceKind(k) for k in rule.params.get("sources", [])}
    cats = tuple(rule.params.get("categories", []))
    exclude_allow = bool(rule.params.get("exclude_allow_listed", True))
    svcs = catalog.services_in(cats)
    for r in model.reaches:
        if r.source_kind not in kinds or (exclude_allow and r.allow_listed):
            continue
        ep = model.endpoints.get(r.target)
        for svc, ports in services_for(ep, r.ports, svcs):
            out.add(
                rule,
                r.source,
                r.target,
                ports,
                r.status,
                r.location if r.location.file else (ep.location if ep else r.location),
                r.path,
                [svc.name],
                r.unknowns,
                r.via,
            )


def _other_ports(rule: Rule, model: Model, catalog: Catalog, out: _Collector) -> None:
    kinds = {SourceKind(k) for k in rule.params.get("sources", [])}
    excluded = catalog.services_in(tuple(rule.params.get("exclude_categories", [])))
    exclude_allow = bool(rule.params.get("exclude_allow_listed", True))
    for r in model.reaches:
        if r.source_kind not in kinds or (exclude_allow and r.allow_listed):
            continue
        ep = model.endpoints.get(r.target)
        rest = r.ports
        for _svc, ports in services_for(ep, r.ports, excluded):
            rest = rest - ports
        if rest:
            loc = r.location if r.location.file else (ep.location if ep else r.location)
            out.add(rule, r.source, r.target, rest, r.status, loc, r.path, (), r.unknowns, r.via)


def _host_access(rule: Rule, model: Model, catalog: Catalog, out: _Collector) -> None:
    for f in model.host_access:
        out.add(
            rule, f.endpoint, f.host, f.ports, f.status, f.location, f.path, (), f.unknowns, detail=f.detail or f.kind
        )


def _lateral(rule: Rule, model: Model, catalog: Catalog, out: _Collector) -> None:
    for f in model.lateral:
        out.add(rule, f.network, f.endpoint, f.ports, Status.EXPOSED, f.location, f.path, detail=f.detail)


def _tenant(rule: Rule, model: Model, catalog: Catalog, out: _Collector) -> None:
    for f in model.tenants:
        source = f.source or ",".join(f.tenants)
        out.add(rule, source, f.network, f.ports, Status.EXPOSED, f.location, (), detail=f.detail)


def _egress(rule: Rule, model: Model, catalog: Catalog, out: _Collector) -> None:
    for f in model.egress:
        out.add(rule, f.endpoint, "internet", f.ports, f.status, f.location, f.path, (), f.unknowns)


Template = Callable[[Rule, Model, Catalog, _Collector], None]
TEMPLATE_IMPLS: dict[str, Template] = {
    "service-reachable": _service_reachable,
    "other-ports-reachable": _other_ports,
    "host-access": _host_access,
    "lateral": _lateral,
    "tenant-shared": _tenant,
    "egress": _egress,
}

# Extra finding producers (intent, suppressions...) registered explicitly by the pipeline.
ExtraProducer = Callable[[Rule, Model, Catalog], list[Finding]]


def evaluate(
    model: Model,
    catalog: Catalog,
    enabled: Callable[[Rule], bool] = lambda r: True,
    extra: dict[str, ExtraProducer] | None = None,
) -> list[Finding]:
    findings: list[Finding] = []
    for rule in catalog.rules:
        if not enabled(rule):
            continue
        impl = TEMPLATE_IMPLS.get(rule.template)
        if impl is None:
            producer = (extra or {}).get(rule.template)
            if producer is not None:
                findings.extend(producer(rule, model, catalog))
            continue
        out = _Collector()
        impl(rule, model, catalog, out)
        for acc in out.items.values():
            findings.append(
                Finding(
                    rule=rule.slug,
                    rule_id=rule.id,
                    severity=rule.severity,
                    confidence=rule.confidence,
                    status=acc.status,
                    message=_message(acc, model),
                    source=acc.source,
                    target=acc.target,
                    ports=acc.ports,
                    location=acc.location,
                    path=acc.path,
                    service=", ".join(acc.services),
                    unknowns=tuple(acc.unknowns),
                    via=acc.via,
                )
            )
    findings.sort(key=lambda f: f.sort_key())
    return findings
