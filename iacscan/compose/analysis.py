"""A docker host (:class:`~iacscan.compose.host.DockerHost`) → endpoints, zones and facts.

Semantics (``/work/shared/SEMANTICS.md`` 23–25, the Compose specification, Docker's
networking documentation):

* Workloads sharing a network reach each other on **every** port (``expose`` filters nothing):
  one :class:`Conn` per network, every member a source and a target.  ``network_mode:
  service:X`` / ``container:X`` share X's namespace, hence X's networks, published ports and
  host network.
* A published port bound to every interface (``0.0.0.0``/``::``/no address) is reachable from
  the host's networks: a :class:`Reach` from ``lan`` to the workload on the *container* port
  (the host port is named in the path and in ``via``).  A private address binds one LAN
  interface (``lan`` too), a public address faces the internet; ``127.0.0.1``/``::1`` is a
  reach from the host only (source kind ``host``) and not an exposure.  A network's
  ``com.docker.network.bridge.host_binding_ipv4`` option changes the default address.
* Published ports of a workload attached only to ``internal`` bridge networks are not reachable
  (Docker sets up no port mapping without a gateway, moby/moby#36174); swarm ``overlay`` networks
  still publish through the routing mesh (moby/moby#38049).
* ``network_mode: host`` and ``macvlan``/``ipvlan`` networks put the workload's own ports on the
  host's LAN: a reach from ``lan`` on the ports it is known to serve (``expose``, ``ports``
  targets, and the catalogue ports of the service its image identifies).
* Egress: a workload with a non-internal network (or the host network) can reach the internet.
* Lateral: every member of a network with at least two network namespaces.
* Tenants: a real network with workloads of two or more tenants (compose projects).
"""

from __future__ import annotations

from iacscan.compose.host import LAN_ATTACHED, Attachment, Binding, DockerHost, NetworkDef, Workload, bind_class
from iacscan.engine.catalog import Catalog
from iacscan.model.core import (
    INTERNET,
    LAN,
    Conn,
    EgressFact,
    Endpoint,
    Hop,
    HostAccessFact,
    LateralFact,
    Model,
    Reach,
    SourceKind,
    Status,
    TenantFact,
    Zone,
)
from iacscan.model.ports import PortSet
from iacscan.source import Diagnostics, Location


class HostAnalysis:
    def __init__(self, host: DockerHost, catalog: Catalog, diags: Diagnostics) -> None:
        self.host = host
        self.catalog = catalog
        self.diags = diags
        self.by_address = {w.address: w for w in host.workloads}
        self.model = Model()

    # -- naming -----------------------------------------------------------------------------
    def zone_id(self, real: str) -> str:
        return f"network:{self.host.scope}/{real}" if self.host.scope else f"network:{real}"

    def net_label(self, real: str) -> str:
        return f"{self.host.scope}/{real}" if self.host.scope else real

    @property
    def host_zone(self) -> str:
        return f"host:{self.host.name}"

    # -- namespaces ---------------------------------------------------------------------------
    def owner(self, w: Workload) -> Workload:
        """The workload whose network namespace ``w`` uses (following service:/container: chains)."""
        seen = {w.address}
        cur = w
        while cur.network_mode.startswith("share:"):
            nxt = self.by_address.get(cur.network_mode.split(":", 1)[1])
            if nxt is None or nxt.address in seen:
                return cur
            seen.add(nxt.address)
            cur = nxt
        return cur

    def mode(self, w: Workload) -> str:
        o = self.owner(w)
        return "unknown" if o.network_mode.startswith(("share:", "container:", "unknown:")) else o.network_mode

    def attachments(self, w: Workload) -> tuple[Attachment, ...]:
        o = self.owner(w)
        return o.attachments if self.mode(w) == "" else ()

    def net(self, real: str) -> NetworkDef:
        return self.host.networks.get(real) or NetworkDef(real, external=True)

    # -- build --------------------------------------------------------------------------------
    def run(self) -> Model:
        m = self.model
        m.add_zone(Zone(self.host_zone, "host", self.host.name))
        members: dict[str, list[Workload]] = {}
        for w in self.host.workloads:
            atts = self.attachments(w)
            for a in atts:
                members.setdefault(a.network, []).append(w)
            m.add_endpoint(
                Endpoint(
                    address=w.address,
                    kind=w.kind,
                    layer=w.layer,
                    location=w.location,
                    name=w.name,
                    zones=tuple(self.zone_id(a.network) for a in atts) or (self.host_zone,),
                    images=w.images,
                    tenant=w.tenant,
                    labels=w.labels,
                )
            )
        for real in sorted(members):
            net = self.net(real)
            m.add_zone(Zone(self.zone_id(real), "network", real, self.host_zone, net.location))
            self._network(net, members[real])
        for w in self.host.workloads:
            self._host_access(w)
            self._published(w)
            self._lan_attached(w)
            self._egress(w)
        return m

    def _network(self, net: NetworkDef, ws: list[Workload]) -> None:
        addrs = sorted({w.address for w in ws})
        zone = self.zone_id(net.real_name)
        kind = f"{net.driver} network" + (", internal" if net.internal else "")
        hop = Hop(zone, f"shared {kind} {net.real_name}: every port", net.location, "network")
        self.model.conns.append(Conn(tuple(addrs), tuple(addrs), PortSet.all(), (hop,), True, ws[0].layer))
        namespaces = {self.owner(w).address for w in ws}
        if len(namespaces) >= 2:
            for w in sorted(ws, key=lambda x: x.address):
                n_others = len(namespaces) - 1
                self.model.lateral.append(
                    LateralFact(
                        endpoint=w.address,
                        network=zone,
                        ports=PortSet.all(),
                        detail=f"{n_others} other workload(s) on {kind} {net.real_name}, no port filtering",
                        location=self._att_loc(w, net.real_name),
                    )
                )
        tenants = sorted({w.tenant for w in ws if w.tenant})
        if len(tenants) >= 2:
            for t in tenants:
                mine = [w for w in ws if w.tenant == t]
                others = [x for x in tenants if x != t]
                loc = self._tenant_loc(t, net, mine)
                self.model.tenants.append(
                    TenantFact(
                        network=self.net_label(net.real_name),
                        tenants=tuple(tenants),
                        endpoints=tuple(addrs),
                        source=t,
                        detail=f"{', '.join(w.address for w in mine)} share it with {', '.join(others)}",
                        location=loc,
                    )
                )

    def _att_loc(self, w: Workload, real: str) -> Location:
        for a in self.attachments(w):
            if a.network == real and a.location.file:
                return a.location if self.owner(w) is w else w.network_mode_location
        return w.location

    def _tenant_loc(self, tenant: str, net: NetworkDef, mine: list[Workload]) -> Location:
        decl = self.host.tenant_networks.get((tenant, net.real_name))
        if decl is not None:
            return decl
        return self._att_loc(mine[0], net.real_name)

    # -- facts ----------------------------------------------------------------------------------
    def _host_access(self, w: Workload) -> None:
        flags = list(w.host_flags)
        o = self.owner(w)
        if o is not w:
            flags.extend(f for f in o.host_flags if f.kind == "host-network")
        for f in flags:
            self.model.host_access.append(
                HostAccessFact(
                    endpoint=w.address,
                    host=self.host.name,
                    kind=f.kind,
                    detail=f.detail,
                    location=f.location,
                    ports=PortSet.all() if f.kind == "host-network" else PortSet(),
                    path=(Hop(w.address, f.detail, f.location, "endpoint"), Hop(self.host_zone, f.kind, kind="host")),
                    status=Status.CONDITIONAL if f.unknowns else Status.EXPOSED,
                    unknowns=f.unknowns,
                )
            )

    def _default_bind(self, w: Workload) -> str:
        atts = sorted(self.attachments(w), key=lambda a: (-a.priority, a.network))
        for a in atts:
            opt = self.net(a.network).host_binding_ipv4
            if opt:
                return opt
            break
        return ""

    def _published(self, w: Workload) -> None:
        if not w.bindings:
            return
        if self.mode(w) != "":
            return  # host / none / shared namespaces: `ports:` is ignored (a diagnostic was given)
        atts = self.attachments(w)
        if atts and all(self.net(a.network).internal and self.net(a.network).driver != "overlay" for a in atts):
            self.diags.info(
                f"{w.address} publishes ports but is attached only to internal networks; Docker maps none of them",
                w.bindings[0].location,
                "compose-ports-internal",
            )
            return
        targets = [w] + [x for x in self.host.workloads if x is not w and self.owner(x) is w]
        default = self._default_bind(w)
        for b in w.bindings:
            for t in targets:
                self._bind_reach(t, b, default)

    def _bind_reach(self, t: Workload, b: Binding, default: str) -> None:
        ip = b.host_ip or default
        cls = bind_class(ip)
        unknowns = b.unknowns
        if cls == "invalid":
            self.diags.warning(f"invalid host address {ip!r} in port {b.text!r}", b.location, "compose-port")
            return
        hostport = b.host_port_text()
        shown_ip = ip if ip else "0.0.0.0"
        bound = f"{shown_ip}:{hostport}" if ":" not in shown_ip else f"[{shown_ip}]:{hostport}"
        if cls == "loopback":
            source, kind, zone = self.host.name, SourceKind.HOST, self.host_zone
            detail = "bound to loopback: reachable from the host only, not an exposure"
        elif cls == "public":
            source, kind, zone = INTERNET, SourceKind.INTERNET, INTERNET
            detail = f"bound to the public address {ip}"
        else:
            source, kind, zone = LAN, SourceKind.LAN, LAN
            detail = "bound to every host interface" if cls == "all" else f"bound to the host address {ip}"
        via = f"{self.host.name} port {bound}/{b.protocol}"
        path = (
            Hop(zone, detail, kind="zone"),
            Hop(f"{self.host.name}:{hostport}/{b.protocol}", f"published {b.text}", b.location, "published-port"),
            Hop(t.address, f"container port {_rng(b.container_ports)}/{b.protocol}", t.location, "endpoint"),
        )
        self.model.reaches.append(
            Reach(
                source=source,
                source_kind=kind,
                target=t.address,
                ports=b.ports,
                path=path,
                status=Status.CONDITIONAL if unknowns else Status.EXPOSED,
                unknowns=tuple(f"${{{u}}}" for u in unknowns),
                via=via,
                location=b.location,
                detail=detail,
                host_ports=(
                    PortSet.proto(b.protocol, b.host_ports[0], b.host_ports[1]) if b.host_ports is not None else None
                ),
            )
        )

    def known_ports(self, w: Workload) -> PortSet:
        """Ports ``w`` is known to serve: declared ports plus the catalogue ports of its image's service."""
        ports = w.declared_ports
        for s in self.catalog.services:
            if any(s.matches_image(i) for i in w.images):
                ports = ports | s.ports
        return ports

    def _lan_attached(self, w: Workload) -> None:
        mode = self.mode(w)
        o = self.owner(w)
        if mode == "host":
            via, loc = "the host network", (o.network_mode_location if o.network_mode == "host" else o.location)
            for f in o.host_flags:
                if f.kind == "host-network":
                    loc = f.location
                    break
        else:
            lan_nets = [a for a in self.attachments(w) if self.net(a.network).driver in LAN_ATTACHED]
            if not lan_nets:
                return
            a = lan_nets[0]
            via, loc = f"{self.net(a.network).driver} network {a.network}", self._att_loc(w, a.network)
        ports = self.known_ports(w) | self.known_ports(o)
        if not ports:
            return
        path = (
            Hop(LAN, f"{via}: its own ports are on the host's LAN", kind="zone"),
            Hop(w.address, via, loc, "endpoint"),
        )
        self.model.reaches.append(
            Reach(
                LAN,
                SourceKind.LAN,
                w.address,
                ports,
                path,
                via=via,
                location=loc,
                detail=f"on {via}",
                host_ports=ports if mode == "host" else None,
            )
        )

    def _egress(self, w: Workload) -> None:
        mode = self.mode(w)
        if mode == "host":
            o = self.owner(w)
            loc = next((f.location for f in o.host_flags if f.kind == "host-network"), o.location)
            if o is not w:
                loc = w.network_mode_location
            host_path = (
                Hop(w.address, "host network", loc, "endpoint"),
                Hop(INTERNET, "the host's routes", kind="zone"),
            )
            self.model.egress.append(EgressFact(w.address, PortSet.all(), host_path, loc))
            return
        outward = [a for a in self.attachments(w) if not self.net(a.network).internal]
        if not outward:
            return
        a = sorted(outward, key=lambda x: (-x.priority, x.network))[0]
        net = self.net(a.network)
        loc = self._att_loc(w, a.network)
        path = (
            Hop(w.address, "", w.location, "endpoint"),
            Hop(
                self.zone_id(a.network),
                f"{net.driver} network {a.network} is not internal: NAT to the host's routes",
                net.location,
                "network",
            ),
            Hop(INTERNET, "", kind="zone"),
        )
        self.model.egress.append(EgressFact(w.address, PortSet.all(), path, loc))


def _rng(r: tuple[int, int]) -> str:
    return str(r[0]) if r[0] == r[1] else f"{r[0]}-{r[1]}"


def analyse_host(host: DockerHost, catalog: Catalog, diags: Diagnostics) -> Model:
    return HostAnalysis(host, catalog, diags).run()
