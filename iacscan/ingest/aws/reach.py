"""AWS reachability with real VPC semantics (see ../shared/SEMANTICS.md items 1-15).

For every endpoint this computes, per source address, the protocol/port set
that can open a connection, as an :class:`~iacscan.model.addr.AddrMap`:

* routes: longest-prefix match per subnet; the return path of internet traffic
  must route to an internet gateway; a NAT gateway admits nothing unsolicited;
* network ACLs: ordered, first match wins, implicit deny; stateless, so the
  response on the client's ephemeral ports must be allowed outbound; applied
  only when traffic crosses the subnet boundary;
* security groups: stateful, allow-only, union of every group on the ENI;
  group references match private traffic from members only; ``self`` and CIDRs
  in one rule add up; IPv4 and IPv6 are separate;
* load balancers forward listener traffic to targets on the target port, if the
  target's groups and NACLs admit the load balancer.
* VPC peering: an active peering joins two VPCs only where each side's subnet
  routes the other's range to that peering (not transitive; the peer's internet
  and NAT gateways are never lent, since only a subnet's own ``igw``/``nat`` routes
  count); a rule covering the whole peer VPC gives a ``lan`` reach from source
  ``peer:<vpc>``, and :meth:`Analyzer.conns` pairs classes across such peerings.

Work is done per equivalence class: endpoints sharing a subnet and a set of
security groups share one computation.  Unknown values are evaluated twice —
*definite* (unknown allow rules match nothing, unknown public IPs are private)
and *possible* (they match everything) — and what only the second shows is
reported as ``conditional`` naming the unknowns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache

from iacscan.ingest.aws.estate import (
    Compute,
    Estate,
    LoadBalancer,
    Nacl,
    NaclEntry,
    Peering,
    Placement,
    Route,
    SgRule,
    Subnet,
)
from iacscan.model.addr import ALL_ADDRESSES, PUBLIC, PUBLIC_V4, PUBLIC_V6, AddrMap, CidrSet
from iacscan.model.core import (
    INTERNET,
    Conn,
    EgressFact,
    Endpoint,
    Hop,
    LateralFact,
    Model,
    Reach,
    SourceKind,
    Status,
    Zone,
)
from iacscan.model.ports import PortSet
from iacscan.source import NOWHERE, Diagnostics, Location

ALL = PortSet.all()
ALLOW_LIST_MAX = 1 << 16  # a public source narrower than a /16 is an allow-list, not "the internet"
# Client ephemeral port ranges: the response must reach at least one common client range.
CLIENT_RANGES = (PortSet.tcp(32768, 60999), PortSet.tcp(49152, 65535), PortSet.tcp(1024, 65535))
_DEFAULT_NACL_ENTRIES = (
    NaclEntry(100, False, True, ALL, ALL_ADDRESSES),
    NaclEntry(100, True, True, ALL, ALL_ADDRESSES),
)
UNKNOWN_PLACEMENT = "the instance's subnet and public addressing"


@lru_cache(maxsize=4096)
def _returnable(v: PortSet) -> PortSet:
    """Protocols whose responses an egress NACL value ``v`` lets back to a client."""
    out = PortSet()
    for proto in ("tcp", "udp", "sctp"):
        for rng in CLIENT_RANGES:
            lo, hi = rng.intervals("tcp")[0]
            if PortSet.of({proto: [(lo, hi)]}) <= v:
                out = out | PortSet.proto(proto)
                break
    if v.intervals("icmp"):
        out = out | PortSet.proto("icmp")
    if v.intervals("icmpv6"):
        out = out | PortSet.proto("icmpv6")
    if v.intervals("other"):
        out = out | PortSet.proto("other")
    return out


@dataclass(frozen=True)
class Grant:
    """Ports an address map allows, and the rules that allowed them (for paths and locations)."""

    ports: PortSet
    rules: tuple[SgRule, ...]


@dataclass(eq=False)
class Analyzer:
    estate: Estate
    diagnostics: Diagnostics
    model: Model = field(default_factory=Model)
    _warned: set[str] = field(default_factory=set)

    # -- naming -----------------------------------------------------------
    def addr(self, key: str) -> str:
        return f"{self.estate.prefix}{key}"

    def label(self, key: str) -> str:
        name = self.estate.names.get(key)
        return f"{self.addr(key)} ({name})" if name else self.addr(key)

    # -- routes -----------------------------------------------------------
    def route_table(self, subnet: Subnet) -> tuple[Route, ...]:
        rt_id = self.estate.associations.get(subnet.id)
        rt = self.estate.route_tables.get(rt_id) if rt_id else None
        if rt is None:
            rt = next((t for t in self.estate.route_tables.values() if t.vpc == subnet.vpc and t.main), None)
        routes = rt.routes if rt else ()
        vpc = self.estate.vpcs.get(subnet.vpc)
        local = vpc.cidrs if vpc else subnet.cidrs
        return (Route(local, 0 if not local else 8, "local", "local", rt.location if rt else NOWHERE), *routes)

    @cache  # noqa: B019 - analyzer lives for one scan
    def route_regions(self, subnet_id: str) -> tuple[tuple[CidrSet, Route], ...]:
        """Each route with the destinations it wins by longest-prefix match."""
        subnet = self.estate.subnets[subnet_id]
        routes = sorted(self.route_table(subnet), key=lambda r: -r.prefix)
        taken = CidrSet()
        out = []
        for r in routes:
            won = r.destination - taken
            if r.target_kind == "local":
                won = r.destination  # the local route always wins for the VPC range
            if won:
                out.append((won, r))
            taken = taken | r.destination
        return tuple(out)

    def dests(self, subnet_id: str, kinds: Iterable[str]) -> tuple[CidrSet, Route | None]:
        ks = set(kinds)
        dest = CidrSet()
        first: Route | None = None
        for won, r in self.route_regions(subnet_id):
            if r.target_kind in ks:
                dest = dest | won
                first = first or r
        return dest, first

    # -- VPC peering (SEMANTICS 13) ----------------------------------------
    def peerings_of(self, vpc: str) -> list[tuple[Peering, str]]:
        """Active peerings of ``vpc`` and the VPC on their other side (only VPCs of this estate)."""
        out = []
        for p in self.estate.peerings.values():
            other = p.other(vpc)
            if other is not None and other != vpc and other in self.estate.vpcs:
                out.append((p, other))
        return out

    @cache  # noqa: B019
    def peer_dests(self, subnet_id: str, pcx: str) -> CidrSet:
        """Destinations ``subnet_id`` routes (by longest prefix) to the peering ``pcx``."""
        p = self.estate.peerings[pcx]
        ids = {p.id, *p.aliases}
        dest = CidrSet()
        for won, r in self.route_regions(subnet_id):
            if r.target_kind == "peering" and r.target in ids:
                dest = dest | won
        return dest

    @cache  # noqa: B019
    def peer_sources(self, subnet_id: str, pcx: str) -> CidrSet:
        """Addresses of the peer VPC that can talk to ``subnet_id`` over ``pcx``: routes are needed on
        both sides (the peer subnet routes this whole subnet to the peering, this subnet routes the
        peer addresses back to it).  Not transitive: only the VPC on the other side counts."""
        subnet = self.estate.subnets[subnet_id]
        other = self.estate.peerings[pcx].other(subnet.vpc)
        back = self.peer_dests(subnet_id, pcx)
        mine = _v4(subnet.cidrs)
        out = CidrSet()
        if not back or not mine:
            return out
        for s in self.estate.subnets.values():
            if s.vpc == other and mine <= self.peer_dests(s.id, pcx):
                out = out | (_v4(s.cidrs) & back)
        return out

    @cache  # noqa: B019
    def peered(self, a: str, b: str) -> str | None:
        """The peering over which subnets ``a`` and ``b`` (of different VPCs) route to each other."""
        sa, sb = self.estate.subnets[a], self.estate.subnets[b]
        if sa.vpc == sb.vpc:
            return None
        for p, other in self.peerings_of(sa.vpc):
            if other != sb.vpc:
                continue
            va, vb = _v4(sa.cidrs), _v4(sb.cidrs)
            if va and vb and vb <= self.peer_dests(a, p.id) and va <= self.peer_dests(b, p.id):
                return p.id
        return None

    # -- NACLs ------------------------------------------------------------
    def nacl(self, subnet: Subnet) -> Nacl:
        for n in self.estate.nacls.values():
            if subnet.id in n.subnets:
                return n
        for n in self.estate.nacls.values():
            if n.vpc == subnet.vpc and n.default:
                return n
        return Nacl(f"default NACL of {subnet.vpc}", subnet.vpc, _DEFAULT_NACL_ENTRIES, default=True)

    @cache  # noqa: B019
    def nacl_map(self, nacl: Nacl, egress: bool, possible: bool) -> AddrMap:
        """Per source/destination address, the ports ``nacl`` allows in one direction (first match wins)."""
        allowed = AddrMap.empty()
        decided = AddrMap.empty()
        for e in sorted((e for e in nacl.entries if e.egress == egress), key=lambda e: e.rule_no):
            cidrs = e.cidrs
            if e.unknown:
                # an unknown allow matches everything only when optimistic; an unknown deny only when pessimistic
                cidrs = ALL_ADDRESSES if (e.allow == possible) else CidrSet()
            region = AddrMap.constant(e.ports, cidrs)
            if e.allow:
                allowed = allowed | region.combine(decided, lambda r, d: r - d)
            decided = decided | region
        return allowed

    @cache  # noqa: B019
    def nacl_inbound(self, subnet: Subnet, possible: bool) -> AddrMap:
        """Requests admitted at the subnet boundary whose responses can also leave it."""
        n = self.nacl(subnet)
        inbound = self.nacl_map(n, False, possible)
        ret = self.nacl_map(n, True, possible).map(_returnable)
        return inbound & ret

    @cache  # noqa: B019
    def nacl_outbound(self, subnet: Subnet, possible: bool) -> AddrMap:
        n = self.nacl(subnet)
        out = self.nacl_map(n, True, possible)
        ret = self.nacl_map(n, False, possible).map(_returnable)
        return out & ret

    # -- security groups --------------------------------------------------
    def sg_rules(self, groups: tuple[str, ...], egress: bool) -> list[SgRule]:
        out: list[SgRule] = []
        for g in groups:
            sg = self.estate.groups.get(g)
            if sg is None:
                continue
            out.extend(r for r in sg.rules if r.egress == egress)
        return out

    @cache  # noqa: B019
    def sg_map(self, groups: tuple[str, ...], egress: bool, possible: bool) -> AddrMap:
        return _sg_map(tuple(self.sg_rules(groups, egress)), possible)

    # -- placement helpers ----------------------------------------------
    def has_public_ip(self, p: Placement, subnet: Subnet | None) -> bool:
        if p.public_ip is not None:
            return p.public_ip
        return bool(subnet and subnet.map_public_ip)

    def unknown_groups(self, groups: tuple[str, ...]) -> list[str]:
        return [g for g in groups if g not in self.estate.groups]

    # -- the analysis -----------------------------------------------------
    def run(self) -> Model:
        for v in self.estate.vpcs.values():
            self.model.add_zone(Zone(self.addr(v.id), "vpc", v.name or v.id, "", v.location, v.cidrs))
        for s in self.estate.subnets.values():
            self.model.add_zone(Zone(self.addr(s.id), "subnet", s.name or s.id, self.addr(s.vpc), s.location, s.cidrs))
        self.model.add_zone(Zone(INTERNET, "internet", "internet"))
        for c in self.estate.computes.values():
            self.compute(c)
        for lb in self.estate.load_balancers.values():
            self.load_balancer(lb)
        for m in self.estate.managed.values():
            self.managed(m)
        self.conns()
        return self.model

    def endpoint_for(self, c: Compute) -> Endpoint:
        zones = tuple(self.addr(p.subnet) for p in c.placements if p.subnet)
        return Endpoint(
            address=self.addr(c.id),
            kind=c.kind,
            layer="aws",
            location=c.location,
            name=c.name or self.estate.names.get(c.id, ""),
            zones=zones,
            listening=c.listening,
            service_hints=c.service_hints,
            is_workload=c.is_workload,
            identity=c.identity,
        )

    @cache  # noqa: B019
    def internet_map(self, p: Placement, possible: bool) -> tuple[AddrMap, list[Hop]]:
        subnet = self.estate.subnets.get(p.subnet)
        if subnet is None:
            if not possible:
                return AddrMap.empty(), []
            return self.sg_map(p.groups, False, True).map(lambda v: v) & AddrMap.constant(ALL, PUBLIC), []
        sources = CidrSet()
        igw, route = self.dests(subnet.id, ("igw",))
        pub = self.has_public_ip(p, subnet) or (possible and p.public_ip is None and bool(subnet.unknowns))
        if pub:
            sources = sources | (PUBLIC_V4 & igw)
        if p.ipv6 or subnet.ipv6:
            sources = sources | (PUBLIC_V6 & igw)
        if not sources:
            return AddrMap.empty(), []
        m = (
            AddrMap.constant(ALL, sources)
            & self.nacl_inbound(subnet, possible)
            & self.sg_map(p.groups, False, possible)
        )
        hops = []
        if route is not None:
            gw = self.estate.gateways.get(route.target)
            hops.append(
                Hop(
                    self.addr(route.target) if route.target else "internet gateway",
                    "internet gateway",
                    gw.location if gw else route.location,
                    "gateway",
                )
            )
            hops.append(
                Hop(self.addr(subnet.id), f"route {route.destination} -> {route.target_kind}", route.location, "route")
            )
        n = self.nacl(subnet)
        hops.append(
            Hop(
                self.addr(n.id) if not n.id.startswith("default NACL") else n.id,
                "NACL allows request and response",
                n.location,
                "nacl",
            )
        )
        return m, hops

    def classify(
        self, m_def: AddrMap, m_pos: AddrMap, universe: CidrSet = PUBLIC
    ) -> list[tuple[str, SourceKind, PortSet, bool, Status, CidrSet]]:
        """Split an address map over public sources into (source, kind, ports, allow_listed, status, cidrs)."""
        out: list[tuple[str, SourceKind, PortSet, bool, Status, CidrSet]] = []
        for m, status in ((m_def, Status.EXPOSED), (m_pos, Status.CONDITIONAL)):
            every4, _ = m.ports_over(PUBLIC_V4 & universe)
            every6, _ = m.ports_over(PUBLIC_V6 & universe)
            every = every4 | every6
            if status is Status.CONDITIONAL:
                prev = next((o[2] for o in out if o[1] is SourceKind.INTERNET), PortSet())
                every = every - prev
            if every:
                out.append((INTERNET, SourceKind.INTERNET, every, False, status, PUBLIC))
            for cidrs, ports in m.grouped(PUBLIC & universe):
                rest = ports - every4 - every6
                if status is Status.CONDITIONAL:
                    for src, _k, p2, _a, _s, c2 in out:
                        if src != INTERNET and c2 == cidrs:
                            rest = rest - p2
                if rest:
                    narrow = cidrs.size(4) + cidrs.size(6) < ALLOW_LIST_MAX
                    out.append((str(cidrs), SourceKind.PUBLIC_CIDR, rest, narrow, status, cidrs))
        return out

    def granting(
        self, rules: list[SgRule], cidrs: CidrSet, ports: PortSet, possible: bool
    ) -> list[tuple[SgRule, PortSet]]:
        out = []
        for r in rules:
            peer = r.cidrs if not (possible and r.unknowns) else ALL_ADDRESSES
            if (peer & cidrs) and (r.ports & ports):
                out.append((r, r.ports & ports))
        return out

    def emit_reaches(
        self,
        target: str,
        rules: list[SgRule],
        classes: list[tuple[str, SourceKind, PortSet, bool, Status, CidrSet]],
        pre_hops: list[Hop],
        unknowns: tuple[str, ...],
        target_loc: Location,
        via: str = "",
        extra_hops: tuple[Hop, ...] = (),
    ) -> None:
        for source, kind, ports, narrow, status, cidrs in classes:
            remaining = ports
            for rule, granted in self.granting(rules, cidrs, ports, status is Status.CONDITIONAL):
                part = granted & remaining
                if not part:
                    continue
                remaining = remaining - part
                hops = (
                    Hop(source, "source", NOWHERE, "zone"),
                    *pre_hops,
                    *extra_hops,
                    Hop(self.addr(self.rule_group(rule)), rule.describe(), rule.location, "security-group"),
                    Hop(target, "endpoint", target_loc, "endpoint"),
                )
                self.model.reaches.append(
                    Reach(
                        source,
                        kind,
                        target,
                        part,
                        hops,
                        status,
                        unknowns=(rule.unknowns or unknowns) if status is Status.CONDITIONAL else (),
                        allow_listed=narrow,
                        via=via,
                        location=rule.location,
                        source_cidrs=cidrs,
                    )
                )
            if remaining:
                hops = (
                    Hop(source, "source", NOWHERE, "zone"),
                    *pre_hops,
                    *extra_hops,
                    Hop(target, "endpoint", target_loc, "endpoint"),
                )
                self.model.reaches.append(
                    Reach(
                        source,
                        kind,
                        target,
                        remaining,
                        hops,
                        status,
                        unknowns=unknowns if status is Status.CONDITIONAL else (),
                        allow_listed=narrow,
                        via=via,
                        location=target_loc,
                        source_cidrs=cidrs,
                    )
                )

    def emit_direct(
        self,
        target: str,
        classes: list[tuple[str, SourceKind, PortSet, bool, Status, CidrSet]],
        hops: tuple[Hop, ...],
        unknowns: tuple[str, ...],
        location: Location,
    ) -> None:
        """Reaches for a target no security-group rule attributes (an LB without groups, a managed endpoint)."""
        for source, kind, ports, narrow, status, cidrs in classes:
            self.model.reaches.append(
                Reach(
                    source,
                    kind,
                    target,
                    ports,
                    (Hop(source, "source", NOWHERE, "zone"), *hops),
                    status,
                    unknowns if status is Status.CONDITIONAL else (),
                    narrow,
                    location=location,
                    source_cidrs=cidrs,
                )
            )

    def rule_group(self, rule: SgRule) -> str:
        for g in self.estate.groups.values():
            if rule in g.rules:
                return g.id
        return "security group"

    def compute(self, c: Compute) -> None:
        ep = self.endpoint_for(c)
        self.model.add_endpoint(ep)
        results: list[tuple[AddrMap, AddrMap, list[Hop], Placement]] = []
        for p in c.placements:
            m_def, hops = self.internet_map(p, False)
            m_pos, hops_pos = self.internet_map(p, True)
            results.append((m_def, m_pos, hops or hops_pos, p))
        if not results:
            return
        unknowns: list[str] = []
        for p in c.placements:
            unknowns.extend(p.unknowns)
            subnet = self.estate.subnets.get(p.subnet)
            if subnet is not None:
                unknowns.extend(subnet.unknowns)
            for r in self.sg_rules(p.groups, False):
                unknowns.extend(r.unknowns)
        if c.any_of and len(results) > 1:
            m_def = results[0][0]
            m_pos = results[0][1]
            for d, q, _, _ in results[1:]:
                m_def = m_def & d
                m_pos = m_pos | q
            unknowns.append(f"which of its subnets AWS places {self.addr(c.id)} in")
        else:
            m_def = AddrMap.empty()
            m_pos = AddrMap.empty()
            for d, q, _, _ in results:
                m_def = m_def | d
                m_pos = m_pos | q
        if c.listening is not None:
            m_def = m_def.restrict(c.listening)
            m_pos = m_pos.restrict(c.listening)
        hops = next((h for _, _, h, _ in results if h), [])
        self.check_return_path(c)
        rules = [r for p in c.placements for r in self.sg_rules(p.groups, False)]
        classes = self.classify(m_def, m_pos)
        self.emit_reaches(ep.address, rules, classes, hops, tuple(dict.fromkeys(unknowns)), c.location)
        internet_ports = next(
            (x[2] for x in classes if x[1] is SourceKind.INTERNET and x[4] is Status.EXPOSED), PortSet()
        )
        if c.is_workload:
            self.lan(c, ep, rules, internet_ports)
            self.egress(c, ep)

    def check_return_path(self, c: Compute) -> None:
        """Report "request allowed, response blocked" (stateless NACL) distinctly from "allowed"."""
        for p in c.placements:
            blocked_ports = self.response_blocked(p, c.listening)
            if blocked_ports is not None:
                blocked, n = blocked_ports
                self.diagnostics.info(
                    f"{self.addr(c.id)}: request allowed, response blocked on {','.join(blocked.to_strings())}: "
                    f"the NACL {self.addr(n.id)} does not allow the return traffic to client ephemeral ports",
                    n.location if n.location.file else c.location,
                    "nacl-return-blocked",
                )

    @cache  # noqa: B019
    def response_blocked(self, p: Placement, listening: PortSet | None) -> tuple[PortSet, Nacl] | None:
        subnet = self.estate.subnets.get(p.subnet)
        if subnet is None or not self.has_public_ip(p, subnet):
            return None
        igw, _ = self.dests(subnet.id, ("igw",))
        if not PUBLIC_V4 & igw:
            return None
        n = self.nacl(subnet)
        req = AddrMap.constant(ALL, PUBLIC_V4 & igw) & self.nacl_map(n, False, False)
        req = req & self.sg_map(p.groups, False, False)
        full, _ = (req & self.nacl_inbound(subnet, False)).ports_over(PUBLIC_V4)
        asked, _ = req.ports_over(PUBLIC_V4)
        blocked = asked - full
        if listening is not None:
            blocked = blocked & listening
        if blocked:
            return blocked, n
        return None

    def lan(self, c: Compute, ep: Endpoint, rules: list[SgRule], internet_ports: PortSet) -> None:
        """Ports every address of the VPC can reach (not an allow-list)."""
        for p in c.placements[:1]:
            subnet = self.estate.subnets.get(p.subnet)
            if subnet is None:
                continue
            vpc = self.estate.vpcs.get(subnet.vpc)
            if vpc is None or not vpc.cidrs:
                continue
            self.peer_lan(c, ep, p, subnet, rules, internet_ports)
            every = self.lan_ports(p.groups, subnet) - internet_ports
            if c.listening is not None:
                every = every & c.listening
            if not every:
                continue
            zone = Hop(f"{self.addr(vpc.id)} ({vpc.cidrs})", "any address of the VPC", vpc.location, "zone")
            self.lan_reaches(ep, c, rules, every, vpc.cidrs, vpc.cidrs, "lan", (zone,), "", self.addr(vpc.id))

    def lan_reaches(
        self,
        ep: Endpoint,
        c: Compute,
        rules: list[SgRule],
        every: PortSet,
        sources: CidrSet,
        cover: CidrSet,
        src: str,
        lead: tuple[Hop, ...],
        detail: str,
        lateral_zone: str | None,
    ) -> None:
        """One ``lan`` reach per SG rule that admits all of ``cover`` (narrower rules are allow-lists);
        a rule that opens every TCP port to it is also lateral movement within ``lateral_zone``."""
        for rule, granted in self.granting(rules, sources, every, False):
            if not cover <= rule.cidrs:
                continue  # narrower than the whole network: an allow-list
            part = granted & every
            if not part:
                continue
            every = every - part
            hops = (
                *lead,
                Hop(self.addr(self.rule_group(rule)), rule.describe(), rule.location, "security-group"),
                Hop(ep.address, "endpoint", c.location, "endpoint"),
            )
            self.model.reaches.append(
                Reach(
                    src,
                    SourceKind.LAN,
                    ep.address,
                    part,
                    hops,
                    location=rule.location,
                    detail=f"from {rule.cidrs}{detail}",
                    source_cidrs=sources,
                )
            )
            if lateral_zone is not None and PortSet.proto("tcp") <= rule.ports:
                self.model.lateral.append(
                    LateralFact(
                        ep.address,
                        lateral_zone,
                        part,
                        f"security group rule allows {rule.cidrs} on {','.join(part.to_strings())}",
                        rule.location,
                        hops,
                    )
                )

    def peer_lan(
        self, c: Compute, ep: Endpoint, p: Placement, subnet: Subnet, rules: list[SgRule], internet_ports: PortSet
    ) -> None:
        """Ports every routable address of a peered VPC can reach: source ``peer:<vpc>`` (kind lan)."""
        for pcx, other in self.peerings_of(subnet.vpc):
            sources = self.peer_sources(subnet.id, pcx.id)
            if not sources:
                continue
            peer_vpc = self.estate.vpcs[other]
            every = self.peer_lan_ports(p.groups, subnet, sources) - internet_ports
            if c.listening is not None:
                every = every & c.listening
            lead = (
                Hop(
                    f"{self.addr(other)} ({sources})",
                    "any routable address of the peered VPC",
                    peer_vpc.location,
                    "zone",
                ),
                Hop(self.addr(pcx.id), "VPC peering, routes on both sides", pcx.location, "peering"),
            )
            self.lan_reaches(
                ep,
                c,
                rules,
                every,
                sources,
                peer_vpc.cidrs & _V4,
                f"peer:{self.addr(other)}",
                lead,
                f" via peering {self.label(pcx.id)}",
                None,
            )

    @cache  # noqa: B019
    def peer_lan_ports(self, groups: tuple[str, ...], subnet: Subnet, sources: CidrSet) -> PortSet:
        """Ports that every address of ``sources`` (another VPC: always across the NACL) may open."""
        m = self.sg_map(groups, False, False) & self.nacl_inbound(subnet, False)
        return m.ports_over(sources)[0]

    @cache  # noqa: B019
    def lan_ports(self, groups: tuple[str, ...], subnet: Subnet) -> PortSet:
        """Ports that every address of the VPC may open on an ENI with ``groups`` in ``subnet``."""
        vpc = self.estate.vpcs[subnet.vpc]
        outside = vpc.cidrs - subnet.cidrs
        nacl = self.nacl_inbound(subnet, False)
        boundary = AddrMap.constant(ALL, subnet.cidrs) | (nacl & AddrMap.constant(ALL, outside))
        m = self.sg_map(groups, False, False) & boundary
        return m.ports_over(vpc.cidrs)[0]

    @cache  # noqa: B019
    def egress_ports(self, p: Placement, subnet: Subnet) -> tuple[PortSet, CidrSet]:
        """Ports on which an ENI can reach every public address, and the NAT-routed destinations."""
        igw, _ = self.dests(subnet.id, ("igw",))
        nat, _ = self.dests(subnet.id, ("nat",))
        dests = (PUBLIC_V4 & (igw if self.has_public_ip(p, subnet) else CidrSet())) | (PUBLIC_V4 & nat)
        if p.ipv6 or subnet.ipv6:
            eigw, _ = self.dests(subnet.id, ("igw", "eigw"))
            dests = dests | (PUBLIC_V6 & eigw)
        if not dests:
            return PortSet(), nat
        m = AddrMap.constant(ALL, dests) & self.sg_map(p.groups, True, False) & self.nacl_outbound(subnet, False)
        every4, _ = m.ports_over(PUBLIC_V4)
        every6, _ = m.ports_over(PUBLIC_V6)
        return every4 | every6, nat

    def egress(self, c: Compute, ep: Endpoint) -> None:
        for p in c.placements[:1]:
            subnet = self.estate.subnets.get(p.subnet)
            if subnet is None:
                continue
            ports, nat = self.egress_ports(p, subnet)
            if not ports:
                continue
            _, r_igw = self.dests(subnet.id, ("igw",))
            _, r_nat = self.dests(subnet.id, ("nat",))
            rules = self.granting(self.sg_rules(p.groups, True), PUBLIC_V4, ports, False)
            loc = rules[0][0].location if rules else c.location
            route = r_nat if (PUBLIC_V4 & nat) else r_igw
            hops = [Hop(ep.address, "endpoint", c.location, "endpoint")]
            if rules:
                hops.append(Hop(self.addr(self.rule_group(rules[0][0])), rules[0][0].describe(), loc, "security-group"))
            if route is not None:
                hops.append(
                    Hop(
                        self.addr(route.target),
                        f"route {route.destination} -> {route.target_kind}",
                        route.location,
                        "route",
                    )
                )
            hops.append(Hop(INTERNET, "destination", NOWHERE, "zone"))
            self.model.egress.append(EgressFact(ep.address, ports, tuple(hops), loc))

    def load_balancer(self, lb: LoadBalancer) -> None:
        address = self.addr(lb.id)
        listen = PortSet()
        for ls in lb.listeners:
            listen = listen | ls.port
        ep = Endpoint(
            address,
            f"aws_lb/{lb.kind}",
            "aws",
            lb.location,
            lb.name,
            tuple(self.addr(s) for s in lb.subnets),
            listening=listen,
            is_workload=False,
        )
        self.model.add_endpoint(ep)
        if lb.internal:
            return
        maps: list[AddrMap] = []
        for possible in (False, True):
            m = AddrMap.empty()
            for sid in lb.subnets:
                subnet = self.estate.subnets.get(sid)
                if subnet is None:
                    continue
                igw, _ = self.dests(sid, ("igw",))
                sources = PUBLIC & igw
                m = m | (AddrMap.constant(ALL, sources) & self.nacl_inbound(subnet, possible))
            if lb.groups:
                m = m & self.sg_map(lb.groups, False, possible)
            maps.append(m.restrict(listen))
        classes = self.classify(maps[0], maps[1])
        rules = self.sg_rules(lb.groups, False)
        igw_hop: list[Hop] = []
        for sid in lb.subnets:
            if sid in self.estate.subnets:
                _, route = self.dests(sid, ("igw",))
                if route is not None:
                    gw = self.estate.gateways.get(route.target)
                    igw_hop = [
                        Hop(
                            self.addr(route.target),
                            "internet gateway",
                            gw.location if gw else route.location,
                            "gateway",
                        ),
                        Hop(self.addr(sid), f"route {route.destination} -> igw", route.location, "route"),
                    ]
                    break
        if rules:
            self.emit_reaches(address, rules, classes, igw_hop, lb.unknowns, lb.location)
        else:
            self.emit_direct(
                address,
                classes,
                (*igw_hop, Hop(address, "listener", lb.location, "endpoint")),
                lb.unknowns,
                lb.location,
            )
        # Backends: a target reached through the load balancer is itself a finding target.
        lb_cidrs = CidrSet()
        for sid in lb.subnets:
            s = self.estate.subnets.get(sid)
            if s is not None:
                lb_cidrs = lb_cidrs | s.cidrs
        for ls in lb.listeners:
            for source, kind, ports, narrow, status, cidrs in classes:
                if not ports & ls.port:
                    continue
                for tg_id in ls.target_groups:
                    tg = self.estate.target_groups.get(tg_id)
                    if tg is None:
                        continue
                    for target_id, port_override in tg.targets:
                        self.backend(
                            lb,
                            ls.location,
                            tg_id,
                            target_id,
                            port_override or tg.port,
                            (source, kind, narrow, status, cidrs),
                            lb_cidrs,
                        )

    def backend(
        self,
        lb: LoadBalancer,
        listener_loc: Location,
        tg_id: str,
        target_id: str,
        port: int | None,
        cls: tuple[str, SourceKind, bool, Status, CidrSet],
        lb_cidrs: CidrSet,
    ) -> None:
        source, kind, narrow, status, cidrs = cls
        c = self.estate.computes.get(target_id)
        if c is None or port is None:
            return
        want = PortSet.tcp(port)
        for p in c.placements:
            subnet = self.estate.subnets.get(p.subnet)
            rules = self.sg_rules(p.groups, False)
            granted: tuple[SgRule, PortSet] | None = None
            for r in rules:
                ok_ref = bool(set(r.groups) & set(lb.groups))
                ok_cidr = bool(lb_cidrs) and lb_cidrs <= r.cidrs
                preserved = lb.kind == "network" and not lb.groups and cidrs <= r.cidrs
                ok_unknown = bool(r.unknowns) and status is Status.CONDITIONAL
                if (ok_ref or ok_cidr or preserved or ok_unknown) and r.ports & want:
                    granted = (r, r.ports & want)
                    break
            if granted is None or subnet is None:
                continue
            if not (lb_cidrs <= subnet.cidrs):
                nacl = self.nacl_inbound(subnet, status is Status.CONDITIONAL)
                every, _ = nacl.ports_over(lb_cidrs) if lb_cidrs else (ALL, ALL)
                if not (want <= every):
                    continue
            rule, ports = granted
            tg = self.estate.target_groups[tg_id]
            hops = (
                Hop(source, "source", NOWHERE, "zone"),
                Hop(
                    self.addr(lb.id),
                    f"load balancer ({'internal' if lb.internal else 'internet-facing'})",
                    lb.location,
                    "load-balancer",
                ),
                Hop(self.addr(lb.id) + " listener", "listener forwards", listener_loc, "listener"),
                Hop(self.addr(tg_id), f"target group port {port}", tg.location, "target-group"),
                Hop(self.addr(self.rule_group(rule)), rule.describe(), rule.location, "security-group"),
                Hop(self.addr(c.id), "endpoint", c.location, "endpoint"),
            )
            self.model.reaches.append(
                Reach(
                    source,
                    kind,
                    self.addr(c.id),
                    ports,
                    hops,
                    status,
                    unknowns=lb.unknowns + rule.unknowns if status is Status.CONDITIONAL else (),
                    allow_listed=narrow,
                    via=self.addr(lb.id),
                    location=listener_loc,
                    source_cidrs=cidrs,
                )
            )
            return

    def managed(self, m: object) -> None:
        from iacscan.ingest.aws.estate import ManagedEndpoint

        assert isinstance(m, ManagedEndpoint)
        address = self.addr(m.id)
        self.model.add_endpoint(
            Endpoint(
                address,
                m.kind,
                "aws",
                m.location,
                m.name,
                listening=m.ports,
                service_hints=m.service_hints,
                is_workload=False,
            )
        )
        if not m.public:
            return
        definite = AddrMap.constant(m.ports, m.public_cidrs)
        possible = AddrMap.constant(m.ports, ALL_ADDRESSES) if m.unknowns else definite
        hop = Hop(address, f"public endpoint allows {m.public_cidrs}", m.location, "endpoint")
        self.emit_direct(address, self.classify(definite, possible), (hop,), m.unknowns, m.location)

    def conns(self) -> None:
        """Endpoint-to-endpoint connectivity inside each VPC, per (subnet, groups) class."""
        classes: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for c in self.estate.computes.values():
            for p in c.placements[:1]:
                if p.subnet in self.estate.subnets:
                    classes.setdefault((p.subnet, tuple(sorted(p.groups))), []).append(self.addr(c.id))
        keys = list(classes)
        for a in keys:
            sa = self.estate.subnets[a[0]]
            out_map = self.sg_map(a[1], True, False)
            for b in keys:
                sb = self.estate.subnets[b[0]]
                if sa.vpc != sb.vpc and self.peered(sa.id, sb.id) is None:
                    continue
                allowed = self.pair_ports(a, b, sa, sb, out_map)
                if allowed:
                    self.model.conns.append(Conn(tuple(classes[a]), tuple(classes[b]), allowed, layer="aws"))

    def pair_ports(
        self, a: tuple[str, tuple[str, ...]], b: tuple[str, tuple[str, ...]], sa: Subnet, sb: Subnet, out_map: AddrMap
    ) -> PortSet:
        egress = self.every(a[1], True, sb.cidrs) | self.ref_ports(a[1], b[1], True)
        if not egress:
            return egress
        allowed = egress & (self.every(b[1], False, sa.cidrs) | self.ref_ports(b[1], a[1], False))
        if allowed and sa.id != sb.id:
            allowed = allowed & self.nacl_pair(sa, sb)
        return allowed

    @cache  # noqa: B019
    def every(self, groups: tuple[str, ...], egress: bool, peer: CidrSet) -> PortSet:
        return self.sg_map(groups, egress, False).ports_over(peer)[0]

    @cache  # noqa: B019
    def ref_ports(self, mine: tuple[str, ...], peer: tuple[str, ...], egress: bool) -> PortSet:
        out = PortSet()
        for r in self.sg_rules(mine, egress):
            if set(r.groups) & set(peer) or (r.self_ref and set(mine) & set(peer)):
                out = out | r.ports
        return out

    @cache  # noqa: B019
    def nacl_pair(self, sa: Subnet, sb: Subnet) -> PortSet:
        n_out, _ = self.nacl_outbound(sa, False).ports_over(sb.cidrs)
        n_in, _ = self.nacl_inbound(sb, False).ports_over(sa.cidrs)
        return n_out & n_in


_V4 = CidrSet.from_intervals(((0, (1 << 32) - 1),))


def _v4(c: CidrSet) -> CidrSet:
    return c & _V4


@lru_cache(maxsize=4096)
def _sg_map(rules: tuple[SgRule, ...], possible: bool) -> AddrMap:
    m = AddrMap.empty()
    for r in rules:
        cidrs = ALL_ADDRESSES if (possible and r.unknowns) else r.cidrs
        if cidrs:
            m = m | AddrMap.constant(r.ports, cidrs)
    return m


def analyse(estate: Estate, diagnostics: Diagnostics) -> Model:
    return Analyzer(estate, diagnostics).run()
