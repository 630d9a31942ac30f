"""AdminNetworkPolicy and BaselineAdminNetworkPolicy (``policy.networking.k8s.io/v1alpha1``).

Model, parsing and the per-direction evaluation the connectivity engine
(:mod:`iacscan.k8s.netpol`) composes with NetworkPolicies (KEP-2091):

* ANPs are cluster-scoped and ordered by ``priority`` (lower first), their rules
  by position; for every port the first matching rule decides: ``Allow`` admits
  it without looking further, ``Deny`` refuses it, ``Pass`` hands it on;
* ports no ANP allowed or denied are decided by the NetworkPolicies when one
  selects the pod in that direction, else by the BANP (the singleton
  ``default``: first match of ``Allow`` / ``Deny``), else they are allowed;
* a connection needs both the source's egress and the destination's ingress;
* ``pods`` / ``namespaces`` peers match pods only; egress ``networks`` match only
  addresses outside the cluster; ``nodes`` peers are not modelled (they match
  nothing: no node objects are loaded);
* ``namedPort`` resolves on the destination pod by container port name (any
  protocol) and never matches external addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iacscan.k8s.manifests import YMap
from iacscan.k8s.model import PodTemplate, Selector
from iacscan.k8s.parse import Invalid, _cidr, _list, _map, _port_number, _protocol, selector
from iacscan.model.addr import AddrMap, CidrSet
from iacscan.model.ports import PortSet
from iacscan.source import NOWHERE, Location

ANP_KIND = "AdminNetworkPolicy"
BANP_KIND = "BaselineAdminNetworkPolicy"
KINDS = (ANP_KIND, BANP_KIND)
ALLOW, DENY, PASS = "Allow", "Deny", "Pass"
_ALL = PortSet.all()


# -- model --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminPort:
    """``portNumber`` (start == end), ``portRange`` or ``namedPort`` (``name`` set)."""

    protocol: str = "TCP"
    start: int = 0
    end: int = 0
    name: str = ""

    def resolve(self, pod: PodTemplate | None) -> PortSet:
        if not self.name:
            return PortSet.proto(self.protocol.lower(), self.start, self.end)
        out = PortSet()
        for p in pod.ports if pod is not None else ():
            if p.name == self.name:
                out = out | PortSet.proto(p.protocol.lower(), p.port)
        return out


@dataclass(frozen=True)
class AdminPeer:
    """``namespaces`` (pod_selector None), ``pods``, ``networks`` or ``nodes``."""

    namespace_selector: Selector | None = None
    pod_selector: Selector | None = None
    networks: CidrSet | None = None
    nodes: bool = False
    line: int = 0

    @property
    def in_cluster(self) -> bool:
        return self.namespace_selector is not None

    def matches(self, ns_labels: Mapping[str, str], labels: Mapping[str, str]) -> bool:
        if self.namespace_selector is None or not self.namespace_selector.matches(ns_labels):
            return False
        return self.pod_selector is None or self.pod_selector.matches(labels)


@dataclass(frozen=True)
class AdminRule:
    action: str
    peers: tuple[AdminPeer, ...]
    ports: tuple[AdminPort, ...] | None  # None = every port
    name: str = ""
    line: int = 0

    @property
    def named(self) -> bool:
        return any(p.name for p in self.ports or ())

    def ports_for(self, pod: PodTemplate | None) -> PortSet:
        if self.ports is None:
            return _ALL
        out = PortSet()
        for p in self.ports:
            out = out | p.resolve(pod)
        return out


@dataclass(frozen=True)
class AdminPolicy:
    name: str
    priority: int | None  # None: the BaselineAdminNetworkPolicy
    ns_selector: Selector
    pod_selector: Selector | None  # None: subject ``namespaces`` (every pod of them)
    ingress: tuple[AdminRule, ...] = ()
    egress: tuple[AdminRule, ...] = ()
    location: Location = NOWHERE

    @property
    def baseline(self) -> bool:
        return self.priority is None

    @property
    def kind(self) -> str:
        return BANP_KIND if self.baseline else ANP_KIND

    @property
    def address(self) -> str:
        return f"{self.name}[{self.kind}]"

    def selects(self, ns_labels: Mapping[str, str], labels: Mapping[str, str]) -> bool:
        if not self.ns_selector.matches(ns_labels):
            return False
        return self.pod_selector is None or self.pod_selector.matches(labels)


def ordered(policies: list[AdminPolicy]) -> list[AdminPolicy]:
    """ANPs by priority (stable), then the baseline policies."""
    anps = sorted((p for p in policies if not p.baseline), key=lambda p: p.priority or 0)
    return [*anps, *(p for p in policies if p.baseline)]


# -- evaluation ---------------------------------------------------------------------------------


@dataclass
class Verdict:
    """First match per port over rules fed in evaluation order."""

    allow: PortSet = field(default_factory=PortSet)
    deny: PortSet = field(default_factory=PortSet)
    decided: PortSet = field(default_factory=PortSet)

    def add(self, action: str, ports: PortSet) -> None:
        fresh = ports - self.decided
        if not fresh:
            return
        self.decided = self.decided | fresh
        if action == ALLOW:
            self.allow = self.allow | fresh
        elif action == DENY:
            self.deny = self.deny | fresh

    def final(self, lower: PortSet) -> PortSet:
        """Allowed ports: the allowed ones, and what ``lower`` allows of those neither allowed nor denied."""
        return self.allow | (lower - (self.allow | self.deny))


@dataclass
class AddrVerdict:
    """:class:`Verdict` per external address (egress ``networks`` peers)."""

    allow: AddrMap = field(default_factory=AddrMap.empty)
    deny: AddrMap = field(default_factory=AddrMap.empty)
    decided: AddrMap = field(default_factory=AddrMap.empty)

    def add(self, action: str, where: CidrSet, ports: PortSet) -> None:
        if not ports:
            return
        fresh = AddrMap.constant(ports, where).combine(self.decided, lambda n, d: n - d)
        self.decided = self.decided | fresh
        if action == ALLOW:
            self.allow = self.allow | fresh
        elif action == DENY:
            self.deny = self.deny | fresh

    def final(self, lower: AddrMap) -> AddrMap:
        return self.allow | lower.combine(self.allow | self.deny, lambda lo, d: lo - d)


# -- parsing ------------------------------------------------------------------------------------


def _ports(v: Any, where: str, line: int) -> tuple[AdminPort, ...] | None:
    if v is None:
        return None
    pts = _list(v, where, line)
    out = []
    for j, p_v in enumerate(pts):
        pw = f"{where}[{j}]"
        p = _map(p_v, pw, pts.line_of(j))
        if p.get("namedPort") is not None:
            name = p.get("namedPort")
            if not isinstance(name, str) or not name:
                raise Invalid(f"{pw}.namedPort must be a port name", p.line_of("namedPort"))
            out.append(AdminPort(name=name))
        elif p.get("portNumber") is not None:
            pn = _map(p.get("portNumber"), f"{pw}.portNumber", p.line_of("portNumber"))
            proto = _protocol(pn.get("protocol"), f"{pw}.portNumber.protocol", pn.line_of("protocol"))
            num = _port_number(pn.get("port"), f"{pw}.portNumber.port", pn.line_of("port"))
            out.append(AdminPort(proto, num, num))
        elif p.get("portRange") is not None:
            pr = _map(p.get("portRange"), f"{pw}.portRange", p.line_of("portRange"))
            proto = _protocol(pr.get("protocol"), f"{pw}.portRange.protocol", pr.line_of("protocol"))
            start = _port_number(pr.get("start"), f"{pw}.portRange.start", pr.line_of("start"))
            end = _port_number(pr.get("end"), f"{pw}.portRange.end", pr.line_of("end"))
            if end < start:
                raise Invalid(f"{pw}.portRange: end {end} is below start {start}", pr.line_of("end"))
            out.append(AdminPort(proto, start, end))
        else:
            raise Invalid(f"{pw}: needs portNumber, portRange or namedPort", pts.line_of(j))
    return tuple(out)


def _pods_peer(v: Any, where: str, line: int) -> tuple[Selector, Selector]:
    m = _map(v, where, line)
    nss = selector(m.get("namespaceSelector"), f"{where}.namespaceSelector", m.line_of("namespaceSelector"))
    pods = selector(m.get("podSelector"), f"{where}.podSelector", m.line_of("podSelector"))
    return nss, pods


def _peers(v: Any, where: str, line: int, egress: bool) -> tuple[AdminPeer, ...]:
    pl = _list(v, where, line)
    out = []
    for j, p_v in enumerate(pl):
        pw = f"{where}[{j}]"
        pline = pl.line_of(j)
        p = _map(p_v, pw, pline)
        if "namespaces" in p:
            nss = selector(p.get("namespaces"), f"{pw}.namespaces", p.line_of("namespaces"))
            out.append(AdminPeer(nss, None, line=pline))
        elif "pods" in p:
            nss, pods = _pods_peer(p.get("pods"), f"{pw}.pods", p.line_of("pods"))
            out.append(AdminPeer(nss, pods, line=pline))
        elif egress and "networks" in p:
            nets = _list(p.get("networks"), f"{pw}.networks", p.line_of("networks"))
            block = CidrSet()
            for k, c in enumerate(nets):
                block = block | _cidr(c, f"{pw}.networks[{k}]", nets.line_of(k))
            out.append(AdminPeer(networks=block, line=pline))
        elif egress and "nodes" in p:
            selector(p.get("nodes"), f"{pw}.nodes", p.line_of("nodes"))
            out.append(AdminPeer(nodes=True, line=pline))
        else:
            allowed = "namespaces, pods, nodes or networks" if egress else "namespaces or pods"
            raise Invalid(f"{pw}: a peer needs {allowed}", pline)
    return tuple(out)


def _rules(v: Any, where: str, line: int, egress: bool, baseline: bool) -> tuple[AdminRule, ...]:
    rules = _list(v, where, line)
    actions = (ALLOW, DENY) if baseline else (ALLOW, DENY, PASS)
    out = []
    for i, r_v in enumerate(rules):
        rw = f"{where}[{i}]"
        r = _map(r_v, rw, rules.line_of(i))
        action = r.get("action")
        if action not in actions:
            raise Invalid(f"{rw}.action {action!r} is not {' / '.join(actions)}", r.line_of("action"))
        key = "to" if egress else "from"
        peers = _peers(r.get(key), f"{rw}.{key}", r.line_of(key), egress)
        ports = _ports(r.get("ports"), f"{rw}.ports", r.line_of("ports"))
        name = r.get("name")
        out.append(AdminRule(str(action), peers, ports, name if isinstance(name, str) else "", rules.line_of(i)))
    return tuple(out)


def admin_policy(obj: YMap, kind: str, name: str, loc: Location) -> AdminPolicy:
    """An ``AdminNetworkPolicy`` or ``BaselineAdminNetworkPolicy`` object; raises :class:`Invalid`."""
    baseline = kind == BANP_KIND
    spec = _map(obj.get("spec"), "spec", obj.line_of("spec"))
    priority: int | None = None
    if not baseline:
        pv = spec.get("priority")
        if isinstance(pv, bool) or not isinstance(pv, int) or not 0 <= pv <= 1000:
            raise Invalid(f"spec.priority {pv!r} is not an integer 0-1000", spec.line_of("priority"))
        priority = pv
    subj = _map(spec.get("subject"), "spec.subject", spec.line_of("subject"))
    if "namespaces" in subj:
        ns_sel = selector(subj.get("namespaces"), "spec.subject.namespaces", subj.line_of("namespaces"))
        pod_sel: Selector | None = None
    elif "pods" in subj:
        ns_sel, pod_sel = _pods_peer(subj.get("pods"), "spec.subject.pods", subj.line_of("pods"))
    else:
        raise Invalid("spec.subject needs namespaces or pods", subj.line or spec.line)
    ing = _rules(spec.get("ingress"), "spec.ingress", spec.line_of("ingress"), False, baseline)
    eg = _rules(spec.get("egress"), "spec.egress", spec.line_of("egress"), True, baseline)
    return AdminPolicy(name, priority, ns_sel, pod_sel, ing, eg, loc)
