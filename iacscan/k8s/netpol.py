"""NetworkPolicy connectivity, computed per equivalence class of pods.

Two pods are equivalent when the same policies select them (per direction),
the same policy peers match them, and the policies' named ports resolve to the
same numbers on them: then every policy treats them alike, so connectivity is
computed once per class pair.  A pair where neither side is isolated allows
everything; it is kept symbolic (one group) instead of being enumerated.

Semantics (kubernetes.io "Network Policies"; SEMANTICS.md items 16-20):
isolation per direction only when a selecting policy has that type; policies
add up; a connection needs the source's egress and the destination's ingress;
a rule without peers allows every source (including external addresses);
``namespaceSelector`` peers never match external addresses; ``ipBlock`` peers
match only addresses outside the cluster; named ports resolve on the
destination pod by name and protocol.

AdminNetworkPolicies and the BaselineAdminNetworkPolicy (:mod:`iacscan.k8s.anp`)
wrap that per direction: ANP rules first (by priority, first match per port),
then the NetworkPolicies when one selects the pod in that direction, else the
BANP, else allowed.  A class is *restricted* in a direction (``ing_isolated`` /
``eg_isolated``) when a NetworkPolicy or an admin policy with rules in that
direction selects it; ``in_ext`` / ``out_ext`` are then the final maps.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from iacscan.k8s.anp import AddrVerdict, AdminPeer, AdminPolicy, AdminRule, Verdict, ordered
from iacscan.k8s.model import NS_NAME_LABEL, Cluster, NetworkPolicy, Peer, PodTemplate, PolicyRule, Selector
from iacscan.model.addr import AddrMap, CidrSet
from iacscan.model.ports import PortSet

ALL = PortSet.all()
_V4_TOP = (1 << 32) - 1


@dataclass
class Pod:
    workload: str  # address of the top owner
    namespace: str
    template: PodTemplate
    labels: dict[str, str]


@dataclass
class PodClass:
    id: int
    members: list[Pod]
    ing_policies: tuple[int, ...]
    eg_policies: tuple[int, ...]
    adm_in: tuple[int, ...] = ()  # admin policies (indexes into Connectivity.admin) with ingress rules
    adm_eg: tuple[int, ...] = ()
    # ingress: ports every class may use, per-class extras, external address map
    in_all: PortSet = field(default_factory=PortSet)
    in_by: dict[int, PortSet] = field(default_factory=dict)
    in_ext: AddrMap = field(default_factory=AddrMap)
    # egress: rules towards every pod, per destination class, external address map
    out_all: list[PolicyRule] = field(default_factory=list)
    out_by: dict[int, list[PolicyRule]] = field(default_factory=dict)
    out_ext: AddrMap = field(default_factory=AddrMap)

    @property
    def rep(self) -> PodTemplate:
        return self.members[0].template

    @property
    def ing_isolated(self) -> bool:
        """Ingress restricted by a NetworkPolicy or an admin policy."""
        return bool(self.ing_policies or self.adm_in)

    @property
    def eg_isolated(self) -> bool:
        """Egress restricted by a NetworkPolicy or an admin policy."""
        return bool(self.eg_policies or self.adm_eg)

    @property
    def workloads(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.workload for p in self.members))


@dataclass(frozen=True)
class Atom:
    lo: int
    hi: int

    @property
    def label(self) -> str:
        return f"{ipaddress.IPv4Address(self.lo)}-{ipaddress.IPv4Address(self.hi)}[External]"

    @property
    def cidrs(self) -> CidrSet:
        return CidrSet(((self.lo, self.hi),), ())


def value_at(m: AddrMap, addr: int, fam: int = 4) -> PortSet:
    segs = m.v4 if fam == 4 else m.v6
    i = bisect.bisect_right([s for s, _ in segs], addr) - 1
    return segs[max(i, 0)][1]


class Connectivity:
    def __init__(self, cluster: Cluster, pods: list[Pod]) -> None:
        self.cluster = cluster
        self.policies: list[NetworkPolicy] = list(cluster.policies)
        self.ns_labels: dict[str, dict[str, str]] = {n: dict(ns.labels) for n, ns in cluster.namespaces.items()}
        by_ns: dict[str, list[int]] = {}
        for i, p in enumerate(pods):
            by_ns.setdefault(p.namespace, []).append(i)
        self.pods = pods
        self._by_ns = by_ns
        # which pods each policy selects, per direction
        pol_by_ns: dict[str, list[int]] = {}
        for j, pol in enumerate(self.policies):
            pol_by_ns.setdefault(pol.namespace, []).append(j)
        ing: list[list[int]] = [[] for _ in pods]
        eg: list[list[int]] = [[] for _ in pods]
        for ns, idxs in by_ns.items():
            for j in pol_by_ns.get(ns, ()):
                pol = self.policies[j]
                for i in idxs:
                    if pol.pod_selector.matches(pods[i].labels):
                        if pol.affects_ingress:
                            ing[i].append(j)
                        if pol.affects_egress:
                            eg[i].append(j)
        # which pods each in-cluster peer matches
        self.peers: list[tuple[NetworkPolicy, Peer]] = []
        peer_pods: list[list[int]] = []
        matched_by: list[list[int]] = [[] for _ in pods]
        ns_cache: dict[Selector, list[str]] = {}
        names: set[tuple[str, str]] = set()
        for pol in self.policies:
            for rule in (*pol.ingress, *pol.egress):
                for pp in rule.ports or ():
                    if isinstance(pp.port, str):
                        names.add((pp.port, pp.protocol))
                for peer in rule.peers or ():
                    if peer.ip_block is not None:
                        continue
                    k = len(self.peers)
                    self.peers.append((pol, peer))
                    hits = self._peer_pods(pol, peer, ns_cache)
                    peer_pods.append(hits)
                    for i in hits:
                        matched_by[i].append(k)
        self.port_names = sorted(names)
        # admin policies: subjects, in-cluster peers, named ports
        self.admin: list[AdminPolicy] = ordered(list(cluster.admin_policies))
        adm_in: list[list[int]] = [[] for _ in pods]
        adm_eg: list[list[int]] = [[] for _ in pods]
        self.apeers: list[AdminPeer] = []
        apeer_pods: list[list[int]] = []
        amatched: list[list[int]] = [[] for _ in pods]
        anames: set[str] = set()
        for j, apol in enumerate(self.admin):
            for i, p in enumerate(pods):
                if apol.selects(self.ns_labels.get(p.namespace, {}), p.labels):
                    if apol.ingress:
                        adm_in[i].append(j)
                    if apol.egress:
                        adm_eg[i].append(j)
            for arule in (*apol.ingress, *apol.egress):
                anames.update(ap.name for ap in arule.ports or () if ap.name)
                for apeer in arule.peers:
                    if not apeer.in_cluster:
                        continue
                    k = len(self.apeers)
                    self.apeers.append(apeer)
                    hits = [
                        i for i, p in enumerate(pods) if apeer.matches(self.ns_labels.get(p.namespace, {}), p.labels)
                    ]
                    apeer_pods.append(hits)
                    for i in hits:
                        amatched[i].append(k)
        # equivalence classes
        classes: dict[tuple[object, ...], PodClass] = {}
        self.class_of: list[int] = []
        for i, p in enumerate(pods):
            named = tuple(p.template.named_port(n, proto) for n, proto in self.port_names)
            anamed = tuple((cp.name, cp.protocol, cp.port) for cp in p.template.ports if cp.name in anames)
            key = (
                tuple(ing[i]),
                tuple(eg[i]),
                tuple(matched_by[i]),
                named,
                tuple(adm_in[i]),
                tuple(adm_eg[i]),
                tuple(amatched[i]),
                anamed,
            )
            c = classes.get(key)
            if c is None:
                c = classes[key] = PodClass(
                    len(classes), [], tuple(ing[i]), tuple(eg[i]), tuple(adm_in[i]), tuple(adm_eg[i])
                )
            c.members.append(p)
            self.class_of.append(c.id)
        self.classes = list(classes.values())
        self.peer_classes: list[set[int]] = [{self.class_of[i] for i in hits} for hits in peer_pods]
        self._peer_index = {id(peer): k for k, (_pol, peer) in enumerate(self.peers)}
        self.apeer_classes: list[set[int]] = [{self.class_of[i] for i in hits} for hits in apeer_pods]
        self._apeer_index = {id(peer): k for k, peer in enumerate(self.apeers)}
        for c in self.classes:
            self._build(c)
        self._port_cache: dict[tuple[int, int], PortSet] = {}

    # -- construction ---------------------------------------------------------------------------

    def _namespaces(self, pol: NetworkPolicy, peer: Peer, cache: dict[Selector, list[str]]) -> list[str]:
        if peer.namespace_selector is None:
            return [pol.namespace]
        sel = peer.namespace_selector
        hit = cache.get(sel)
        if hit is None:
            hit = cache[sel] = [n for n, labels in self.ns_labels.items() if sel.matches(labels)]
        return hit

    def _peer_pods(self, pol: NetworkPolicy, peer: Peer, cache: dict[Selector, list[str]]) -> list[int]:
        out: list[int] = []
        for ns in self._namespaces(pol, peer, cache):
            for i in self._by_ns.get(ns, ()):
                if peer.pod_selector is None or peer.pod_selector.matches(self.pods[i].labels):
                    out.append(i)
        return out

    def _build(self, c: PodClass) -> None:
        for j in c.ing_policies:
            for rule in self.policies[j].ingress:
                ports = rule.ports_for(c.rep)
                if not ports:
                    continue
                if rule.peers is None:
                    c.in_all = c.in_all | ports
                    c.in_ext = c.in_ext.map(lambda v, p=ports: v | p)  # type: ignore[misc]
                    continue
                for peer in rule.peers:
                    if peer.ip_block is not None:
                        c.in_ext = c.in_ext.assign(peer.ip_block, lambda v, p=ports: v | p)  # type: ignore[misc]
                        continue
                    for k in self.peer_classes[self._peer_index[id(peer)]]:
                        c.in_by[k] = c.in_by.get(k, PortSet()) | ports
        for j in c.eg_policies:
            for rule in self.policies[j].egress:
                ext_ports = rule.ports_for(None)
                if rule.peers is None:
                    c.out_all.append(rule)
                    if ext_ports:
                        c.out_ext = c.out_ext.map(lambda v, p=ext_ports: v | p)  # type: ignore[misc]
                    continue
                for peer in rule.peers:
                    if peer.ip_block is not None:
                        if ext_ports:
                            c.out_ext = c.out_ext.assign(peer.ip_block, lambda v, p=ext_ports: v | p)  # type: ignore[misc]
                        continue
                    for k in self.peer_classes[self._peer_index[id(peer)]]:
                        c.out_by.setdefault(k, []).append(rule)
        if c.adm_in and not c.ing_policies:
            c.in_ext = AddrMap.constant(ALL)  # admin ingress rules never match external sources
        if c.adm_eg:
            anp, banp = AddrVerdict(), AddrVerdict()
            for j in c.adm_eg:
                apol = self.admin[j]
                v = banp if apol.baseline else anp
                for arule in apol.egress:
                    ports = arule.ports_for(None)
                    for apeer in arule.peers:
                        if apeer.networks is not None:
                            v.add(arule.action, apeer.networks, ports)
            lower = c.out_ext if c.eg_policies else banp.final(AddrMap.constant(ALL))
            c.out_ext = anp.final(lower)

    # -- queries --------------------------------------------------------------------------------

    def _rule_ports(self, rule: PolicyRule | AdminRule, dst: PodClass) -> PortSet:
        key = (id(rule), dst.id)
        v = self._port_cache.get(key)
        if v is None:
            v = self._port_cache[key] = rule.ports_for(dst.rep)
        return v

    def _admin(
        self, subject: tuple[int, ...], ingress: bool, other: PodClass, dst: PodClass
    ) -> tuple[Verdict, Verdict]:
        """(ANP, BANP) first-match verdicts of the admin rules of ``subject`` whose peers match ``other``."""
        anp, banp = Verdict(), Verdict()
        for j in subject:
            apol = self.admin[j]
            v = banp if apol.baseline else anp
            for arule in apol.ingress if ingress else apol.egress:
                if any(
                    apeer.in_cluster and other.id in self.apeer_classes[self._apeer_index[id(apeer)]]
                    for apeer in arule.peers
                ):
                    v.add(arule.action, self._rule_ports(arule, dst))
        return anp, banp

    def ingress(self, dst: PodClass, src: PodClass) -> PortSet:
        np = dst.in_all | dst.in_by.get(src.id, PortSet()) if dst.ing_policies else ALL
        if not dst.adm_in:
            return np
        anp, banp = self._admin(dst.adm_in, True, src, dst)
        return anp.final(np if dst.ing_policies else banp.final(ALL))

    def egress(self, src: PodClass, dst: PodClass) -> PortSet:
        np = ALL
        if src.eg_policies:
            np = PortSet()
            for rule in (*src.out_all, *src.out_by.get(dst.id, ())):
                np = np | self._rule_ports(rule, dst)
        if not src.adm_eg:
            return np
        anp, banp = self._admin(src.adm_eg, False, dst, dst)
        return anp.final(np if src.eg_policies else banp.final(ALL))

    def conn(self, src: PodClass, dst: PodClass) -> PortSet:
        e = self.egress(src, dst)
        return e & self.ingress(dst, src) if e else e

    def ingress_addr(self, dst: PodClass) -> AddrMap:
        return dst.in_ext if dst.ing_isolated else AddrMap.constant(ALL)

    def egress_addr(self, src: PodClass) -> AddrMap:
        return src.out_ext if src.eg_isolated else AddrMap.constant(ALL)

    def ingress_from_every_pod(self, dst: PodClass) -> PortSet:
        """Ports ``dst`` admits from every pod of the cluster (the source side's egress aside)."""
        if not dst.ing_isolated:
            return ALL
        if dst.adm_in:
            every: PortSet | None = None
            for s in self.classes:
                every = self.ingress(dst, s) if every is None else every & self.ingress(dst, s)
            return every or PortSet()
        out = dst.in_all
        if len(dst.in_by) == len(self.classes):
            common: PortSet | None = None
            for v in dst.in_by.values():
                common = v if common is None else common & v
            out = out | (common or PortSet())
        return out

    def ingress_from_pod(
        self, dst: PodClass, ns: str, ns_labels: Mapping[str, str], labels: Mapping[str, str]
    ) -> PortSet:
        """Ports ``dst`` admits from a hypothetical pod (e.g. the ingress controller)."""
        if not dst.ing_isolated:
            return ALL
        out = PortSet() if dst.ing_policies else ALL
        for j in dst.ing_policies:
            pol = self.policies[j]
            for rule in pol.ingress:
                if rule.peers is None or any(_peer_matches(pol, p, ns, ns_labels, labels) for p in rule.peers):
                    out = out | rule.ports_for(dst.rep)
        if not dst.adm_in:
            return out
        anp, banp = Verdict(), Verdict()
        for j in dst.adm_in:
            apol = self.admin[j]
            v = banp if apol.baseline else anp
            for arule in apol.ingress:
                if any(apeer.matches(ns_labels, labels) for apeer in arule.peers):
                    v.add(arule.action, arule.ports_for(dst.rep))
        return anp.final(out if dst.ing_policies else banp.final(ALL))

    def pairs(self) -> Iterator[tuple[PodClass, PodClass, PortSet]]:
        """Every class pair with some connectivity, except free-egress x free-ingress (see ``free``)."""
        if self.admin:  # admin rules may name any class: no candidate shortcut
            for s in self.classes:
                for d in self.classes:
                    if s.eg_isolated or d.ing_isolated:
                        ports = self.conn(s, d)
                        if ports:
                            yield s, d, ports
            return
        for s in self.classes:
            if not s.eg_isolated:
                continue
            cands = self.classes if s.out_all else [self.classes[k] for k in sorted(s.out_by)]
            for d in cands:
                ports = self.conn(s, d)
                if ports:
                    yield s, d, ports
        for d in self.classes:
            if not d.ing_isolated:
                continue
            cands = self.classes if d.in_all else [self.classes[k] for k in sorted(d.in_by)]
            for s in cands:
                if s.eg_isolated:
                    continue
                ports = self.ingress(d, s)
                if ports:
                    yield s, d, ports

    def free(self) -> tuple[list[PodClass], list[PodClass]]:
        """(classes with unrestricted egress, classes with unrestricted ingress): all of them connect fully."""
        return [c for c in self.classes if not c.eg_isolated], [c for c in self.classes if not c.ing_isolated]

    def atoms(self, ingress: bool) -> list[Atom]:
        """The IPv4 space cut at every ipBlock boundary of the direction's rules (netpol-analyzer's
        disjoint external peers: ingress ipBlocks cut the sources, egress ipBlocks the destinations)."""
        cuts = {0}
        for pol in self.policies:
            for rule in pol.ingress if ingress else pol.egress:
                for peer in rule.peers or ():
                    if peer.ip_block is not None:
                        for lo, hi in peer.ip_block.v4:
                            cuts.add(lo)
                            if hi < _V4_TOP:
                                cuts.add(hi + 1)
        for apol in [] if ingress else self.admin:
            for arule in apol.egress:
                for apeer in arule.peers:
                    for lo, hi in apeer.networks.v4 if apeer.networks is not None else ():
                        cuts.add(lo)
                        if hi < _V4_TOP:
                            cuts.add(hi + 1)
        pts = sorted(cuts)
        return [Atom(lo, (pts[i + 1] - 1) if i + 1 < len(pts) else _V4_TOP) for i, lo in enumerate(pts)]


def _peer_matches(
    pol: NetworkPolicy, peer: Peer, ns: str, ns_labels: Mapping[str, str], labels: Mapping[str, str]
) -> bool:
    if peer.ip_block is not None:
        return False
    if peer.namespace_selector is None:
        if ns != pol.namespace:
            return False
    elif not peer.namespace_selector.matches(ns_labels):
        return False
    return peer.pod_selector is None or peer.pod_selector.matches(labels)


def pods_of(cluster: Cluster) -> list[Pod]:
    out = []
    for w in cluster.workloads.values():
        for t in w.pods:
            out.append(Pod(w.address, w.namespace, t, t.label_map))
    return out


INGRESS_CONTROLLER_NS = "ingress-controller-ns"
INGRESS_CONTROLLER_NS_LABELS = {NS_NAME_LABEL: INGRESS_CONTROLLER_NS}
