"""The Kubernetes cluster → the common model: endpoints, zones, connectivity and facts.

Aggregation (so that 2,000 workloads do not give 2,000 copies of one problem):

* in-cluster reachability of a workload: one :class:`Reach` from ``cluster:workloads``
  (source kind ``lan``) for the ports its ingress admits from *every* pod; the rest,
  admitted only from the peers NetworkPolicies name, as one allow-listed ``Reach`` per
  source namespace (``namespace:<ns>``), which rules ignore;
* exposure through a Service / Ingress: one ``Reach`` per (client set, backend workload);
* node management interfaces, metadata service and internet egress: one fact per
  namespace (``namespace:<ns>``) whose workloads have unrestricted egress, naming them;
* lateral movement: one fact per workload that no ingress policy isolates;
* tenants: one fact per ordered pair of tenants whose workloads connect.
"""

from __future__ import annotations

from collections.abc import Iterable

from iacscan.engine.catalog import load_catalog
from iacscan.ingest import ScanContext
from iacscan.k8s.model import Cluster, Ingress, Namespace, PodTemplate, Service, ServicePort, Workload
from iacscan.k8s.netpol import (
    ALL,
    INGRESS_CONTROLLER_NS,
    INGRESS_CONTROLLER_NS_LABELS,
    Connectivity,
    PodClass,
    pods_of,
    value_at,
)
from iacscan.model.addr import ALL_ADDRESSES, PRIVATE, PUBLIC, CidrSet, covers_internet, parse_cidr
from iacscan.model.core import (
    Conn,
    EgressFact,
    Endpoint,
    Hop,
    HostAccessFact,
    LateralFact,
    Model,
    Reach,
    SourceKind,
    TenantFact,
    Zone,
)
from iacscan.model.ports import PortSet
from iacscan.source import Location

LAYER = "k8s"
EVERY_POD = "cluster:workloads"
NODES = "k8s:nodes"
INGRESS_CONTROLLER = "{ingress-controller}"
NODE_MGMT = PortSet.of({"tcp": [(10250, 10250), (10255, 10255), (10249, 10249), (10256, 10256)]})
IMDS = CidrSet.of("169.254.169.254/32")
IMDS_PORTS = PortSet.tcp(80)
RFC1918 = (CidrSet.of("10.0.0.0/8"), CidrSet.of("172.16.0.0/12"), CidrSet.of("192.168.0.0/16"))
PUBLIC_V4 = PUBLIC & CidrSet.of("0.0.0.0/0")
PRIVATE_V4 = PRIVATE & CidrSet.of("0.0.0.0/0")


def _ns_source(ns: str) -> str:
    return f"namespace:{ns}"


def _names(items: Iterable[str], limit: int = 5) -> str:
    lst = sorted(items)
    more = f" and {len(lst) - limit} more" if len(lst) > limit else ""
    return ", ".join(lst[:limit]) + more


NODE_PORT_RANGE = (30000, 32767)  # the default --service-node-port-range
LB_ZONE = "k8s-load-balancer"  # zone kind: a LoadBalancer Service whose cloud LB forwards to NodePorts


class _Builder:
    def __init__(self, cluster: Cluster, ctx: ScanContext) -> None:
        self.c = cluster
        self.ctx = ctx
        self.model = Model()
        self.pods = pods_of(cluster)
        self.net = Connectivity(cluster, self.pods)
        # (workload, template) -> class
        self.placed: dict[str, list[tuple[PodTemplate, PodClass]]] = {}
        for i, p in enumerate(self.pods):
            self.placed.setdefault(p.workload, []).append((p.template, self.net.classes[self.net.class_of[i]]))
        self.catalog = load_catalog()
        self.tenant_label = ctx.config.tenant_label

    # -- helpers ---------------------------------------------------------------------------------

    def tenant(self, ns: str) -> str:
        n = self.c.namespaces.get(ns)
        return dict(n.labels).get(self.tenant_label, "") if n else ""

    def listening(self, w: Workload) -> PortSet | None:
        ps = PortSet()
        for t in w.pods:
            for p in t.ports:
                ps = ps | PortSet.proto(p.protocol.lower(), p.port)
        return ps or None

    def restrict(self, w: Workload, ports: PortSet) -> PortSet:
        """Reachable ports worth reporting: the declared ones, else the image's catalogue ports."""
        ep = self.model.endpoints[w.address]
        if ep.listening is not None:
            return ports & ep.listening
        if not ports.is_all():
            return ports
        hinted = PortSet()
        for s in self.catalog.services:
            if any(s.matches_image(i) for i in ep.images):
                hinted = hinted | s.ports
        return ports & hinted

    def ns_location(self, ns: str, fallback: Location) -> Location:
        n = self.c.namespaces.get(ns)
        return n.location if n is not None and n.declared else fallback

    # -- endpoints and zones --------------------------------------------------------------------

    def endpoints(self) -> None:
        self.model.add_zone(Zone("k8s:cluster", "cluster", "cluster"))
        for ns in self.c.namespaces.values():
            self.model.add_zone(Zone(f"k8s:ns:{ns.name}", "namespace", ns.name, "k8s:cluster", ns.location))
        for w in self.c.workloads.values():
            images = tuple(dict.fromkeys(i for t in w.pods for i in t.images))
            self.model.add_endpoint(
                Endpoint(
                    w.address,
                    "workload",
                    LAYER,
                    w.location,
                    w.name,
                    (f"k8s:ns:{w.namespace}",),
                    images,
                    (),
                    self.listening(w),
                    self.tenant(w.namespace),
                    w.pods[0].labels if w.pods else (),
                )
            )
        self.model.add_endpoint(
            Endpoint(
                NODES,
                "k8s-node",
                LAYER,
                name="every node (kubelet, kube-proxy)",
                zones=("k8s:cluster",),
                service_hints=("kubelet", "kube-proxy"),
                listening=NODE_MGMT,
                is_workload=False,
            )
        )

    # -- connectivity (Conn) --------------------------------------------------------------------

    def conns(self) -> None:
        net = self.net
        free_e, free_i = net.free()
        if free_e and free_i:
            self.model.conns.append(
                Conn(_flat(c.workloads for c in free_e), _flat(c.workloads for c in free_i), ALL, layer=LAYER)
            )
        for s, d, ports in net.pairs():
            self.model.conns.append(Conn(s.workloads, d.workloads, ports, layer=LAYER))
        atoms = net.atoms(ingress=True)
        labels = tuple(a.label for a in atoms)
        for d in net.classes:
            if not d.ing_isolated:
                continue
            for a in atoms:
                ports = value_at(d.in_ext, a.lo)
                if ports:
                    self.model.conns.append(Conn((a.label,), d.workloads, ports, layer=LAYER))
        if free_i:
            self.model.conns.append(Conn(labels, _flat(c.workloads for c in free_i), ALL, layer=LAYER))
        atoms = net.atoms(ingress=False)
        labels = tuple(a.label for a in atoms)
        for s in net.classes:
            if not s.eg_isolated:
                continue
            for a in atoms:
                ports = value_at(s.out_ext, a.lo)
                if ports:
                    self.model.conns.append(Conn(s.workloads, (a.label,), ports, layer=LAYER))
        if free_e:
            self.model.conns.append(Conn(_flat(c.workloads for c in free_e), labels, ALL, layer=LAYER))

    # -- exposure through Services and Ingresses -------------------------------------------------

    def backends(self, svc: Service) -> list[tuple[Workload, PodTemplate, PodClass]]:
        if not svc.selector:
            return []
        out = []
        for w in self.c.workloads.values():
            if w.namespace != svc.namespace:
                continue
            for t, cls in self.placed.get(w.address, ()):
                labels = t.label_map
                if all(labels.get(k) == v for k, v in svc.selector):
                    out.append((w, t, cls))
        return out

    @staticmethod
    def target_ports(sp: ServicePort, t: PodTemplate) -> PortSet:
        proto = sp.protocol.lower()
        if isinstance(sp.target, int):
            return PortSet.proto(proto, sp.target)
        n = t.named_port(sp.target, sp.protocol)
        return PortSet.proto(proto, n) if n is not None else PortSet()

    def _exposed(
        self,
        w: Workload,
        cls: PodClass,
        clients: CidrSet,
        ports: PortSet,
        lan: bool,
        via: str,
        hops: tuple[Hop, ...],
        location: Location,
        host_ports: PortSet | None = None,
    ) -> None:
        admitted = self.net.ingress_addr(cls)
        for cidrs, allowed in admitted.grouped(clients):
            got = self.restrict(w, allowed & ports)
            if not got:
                continue
            if lan:
                kind, source, narrow = SourceKind.LAN, "lan", False
            elif covers_internet(cidrs):
                kind, source, narrow = SourceKind.INTERNET, "internet", False
            else:
                kind, source = SourceKind.PUBLIC_CIDR, ",".join(cidrs.to_strings(limit=4))
                narrow = cidrs.size(4) + cidrs.size(6) < 65536
            why = (
                "no NetworkPolicy isolates its ingress"
                if not cls.ing_isolated
                else "NetworkPolicy ipBlock admits the clients"
            )
            path = (*hops, Hop(w.address, why, w.location, "endpoint"))
            self.model.reaches.append(
                Reach(
                    source,
                    kind,
                    w.address,
                    got,
                    path,
                    allow_listed=narrow,
                    via=via,
                    location=location,
                    source_cidrs=cidrs,
                    host_ports=host_ports,
                )
            )

    def services(self) -> None:
        for svc in self.c.services:
            if svc.type == "ExternalName":
                continue
            sloc = svc.location.at(svc.type_line) if svc.type_line else svc.location
            public_lb = svc.type == "LoadBalancer" and not svc.internal
            # a LoadBalancer Service also allocates NodePorts (unless allocateLoadBalancerNodePorts:
            # false): the cloud load balancer forwards to them, so a cluster binding recomputes its
            # reach through the nodes (crosslayer.py); the zone marks the Service as a load balancer
            lb_nodes = svc.type == "LoadBalancer" and svc.allocate_node_ports
            if lb_nodes:
                self.model.add_zone(
                    Zone(
                        svc.address, LB_ZONE, svc.name, f"k8s:ns:{svc.namespace}", sloc, svc.source_ranges or CidrSet()
                    )
                )
            for w, t, cls in self.backends(svc):
                for sp in svc.ports:
                    tp = self.target_ports(sp, t)
                    if not tp:
                        continue
                    recv = ",".join(tp.to_strings())
                    node_ports = None
                    if svc.type == "NodePort" or lb_nodes:
                        node_ports = (
                            PortSet.proto(sp.protocol, sp.node_port)
                            if sp.node_port
                            else PortSet.proto(sp.protocol, *NODE_PORT_RANGE)
                        )
                    if public_lb:
                        clients = (svc.source_ranges or ALL_ADDRESSES) & PUBLIC
                        limit = f" from {svc.source_ranges}" if svc.source_ranges else ""
                        hop = Hop(
                            svc.address,
                            f"type LoadBalancer, port {sp.port}/{sp.protocol} -> {recv}{limit}",
                            sloc.at(sp.line),
                            "service",
                        )
                        self._exposed(
                            w,
                            cls,
                            clients,
                            tp,
                            False,
                            svc.address,
                            (Hop("internet", "public load balancer", kind="zone"), hop),
                            sloc,
                            node_ports,
                        )
                    elif svc.type in ("NodePort", "LoadBalancer"):
                        how = (
                            f"internal LoadBalancer ({svc.internal})"
                            if svc.type == "LoadBalancer"
                            else f"NodePort {sp.node_port or 'auto'}"
                        )
                        hop = Hop(
                            svc.address,
                            f"{how}, port {sp.port}/{sp.protocol} -> {recv} on every node",
                            sloc.at(sp.line),
                            "service",
                        )
                        clients = (svc.source_ranges or PRIVATE_V4) & PRIVATE_V4 if svc.source_ranges else PRIVATE_V4
                        self._exposed(
                            w,
                            cls,
                            clients,
                            tp,
                            True,
                            svc.address,
                            (Hop("lan", "node addresses", kind="zone"), hop),
                            sloc,
                            node_ports,
                        )
                    for ip in svc.external_ips:
                        addr = CidrSet.of(parse_cidr(ip))
                        public = bool(addr & PUBLIC)
                        hop = Hop(
                            svc.address,
                            f"externalIP {ip}:{sp.port}/{sp.protocol} -> {recv}",
                            sloc.at(sp.line),
                            "service",
                        )
                        self._exposed(
                            w,
                            cls,
                            PUBLIC if public else PRIVATE_V4,
                            tp,
                            not public,
                            svc.address,
                            (Hop("internet" if public else "lan", f"routes to {ip}", kind="zone"), hop),
                            sloc,
                        )

    def ingresses(self) -> None:
        by_name = {(s.namespace, s.name): s for s in self.c.services}
        controller: dict[str, tuple[PortSet, Ingress]] = {}
        for ing in self.c.ingresses:
            for b in ing.backends:
                svc = by_name.get((ing.namespace, b.service))
                if svc is None:
                    self.ctx.diagnostics.warning(
                        f"{ing.kind} {ing.namespace}/{ing.name}: backend Service {b.service!r} not found",
                        ing.location.at(b.line),
                        "k8s-dangling",
                    )
                    continue
                sps = [
                    sp
                    for sp in svc.ports
                    if b.port is None or b.port in (sp.port, sp.name) or (ing.kind == "Route" and b.port == sp.target)
                ]
                for w, t, cls in self.backends(svc):
                    ports = PortSet()
                    for sp in sps:
                        ports = ports | self.target_ports(sp, t)
                    allowed = self.net.ingress_from_pod(cls, INGRESS_CONTROLLER_NS, INGRESS_CONTROLLER_NS_LABELS, {})
                    got = ports & allowed
                    if not got:
                        continue
                    old = controller.get(w.address)
                    controller[w.address] = ((old[0] | got) if old else got, old[1] if old else ing)
                    hops = (
                        Hop("internet", "ingress controller (public)", kind="zone"),
                        Hop(
                            ing.address,
                            f"backend {b.service}:{b.port if b.port is not None else '*'}",
                            ing.location.at(b.line),
                            "ingress",
                        ),
                        Hop(svc.address, f"-> {','.join(got.to_strings())}", svc.location, "service"),
                        Hop(w.address, "admits the ingress controller", w.location, "endpoint"),
                    )
                    rest = self.restrict(w, got)
                    if rest:
                        self.model.reaches.append(
                            Reach(
                                "internet",
                                SourceKind.INTERNET,
                                w.address,
                                rest,
                                hops,
                                via=ing.address,
                                location=ing.location,
                            )
                        )
        for addr, (ports, _ing) in sorted(controller.items()):
            self.model.conns.append(Conn((INGRESS_CONTROLLER,), (addr,), ports, layer=LAYER))

    # -- in-cluster reachability, lateral movement -----------------------------------------------

    def in_cluster(self) -> None:
        for w in self.c.workloads.values():
            every = PortSet()
            named: dict[str, PortSet] = {}
            isolated = True
            for _t, cls in self.placed.get(w.address, ()):
                every = every | self.net.ingress_from_every_pod(cls)
                isolated = isolated and cls.ing_isolated
                if cls.ing_isolated:
                    for k in cls.in_by:
                        for ns in {p.namespace for p in self.net.classes[k].members}:
                            named[ns] = named.get(ns, PortSet()) | cls.in_by[k]
            if not isolated:
                self.model.lateral.append(
                    LateralFact(w.address, EVERY_POD, ALL, "no NetworkPolicy selects it for ingress", w.location)
                )
            ports = self.restrict(w, every)
            if ports:
                why = "no NetworkPolicy isolates its ingress" if not isolated else "a NetworkPolicy admits every pod"
                self.model.reaches.append(
                    Reach(
                        EVERY_POD,
                        SourceKind.LAN,
                        w.address,
                        ports,
                        (
                            Hop(EVERY_POD, "every pod of the cluster", kind="zone"),
                            Hop(w.address, why, w.location, "endpoint"),
                        ),
                        location=w.location,
                    )
                )
            for ns, p in sorted(named.items()):
                rest = self.restrict(w, p - every)
                if rest:
                    self.model.reaches.append(
                        Reach(
                            _ns_source(ns),
                            SourceKind.ENDPOINT,
                            w.address,
                            rest,
                            (
                                Hop(_ns_source(ns), "peers named by a NetworkPolicy", kind="zone"),
                                Hop(w.address, "NetworkPolicy allow-list", w.location, "endpoint"),
                            ),
                            allow_listed=True,
                            location=w.location,
                        )
                    )

    # -- host access -------------------------------------------------------------------------------

    def host(self) -> None:
        for w in self.c.workloads.values():
            seen = set()
            for t in w.pods:
                for f in t.host:
                    if (f.kind, f.detail) in seen:
                        continue
                    seen.add((f.kind, f.detail))
                    self.model.host_access.append(
                        HostAccessFact(
                            w.address,
                            f"node:{f.kind}",
                            f.kind,
                            f.detail,
                            t.location.at(f.line),
                            host_ports=f.host_ports,
                            target_ports=f.target_ports,
                        )
                    )

    def egress(self) -> None:
        """Per namespace: workloads whose egress reaches the nodes, the metadata service, the internet."""
        per_ns: dict[str, dict[str, list[tuple[str, PortSet]]]] = {}
        first_loc: dict[str, Location] = {}
        for w in self.c.workloads.values():
            node = imds = internet = PortSet()
            for _t, cls in self.placed.get(w.address, ()):
                m = self.net.egress_addr(cls)
                for block in RFC1918:
                    node = node | (m.ports_over(block)[0] & NODE_MGMT)
                imds = imds | (m.ports_over(IMDS)[0] & IMDS_PORTS)
                internet = internet | m.ports_over(PUBLIC_V4)[0]
            d = per_ns.setdefault(w.namespace, {"node": [], "imds": [], "internet": [], "all": []})
            d["all"].append((w.address, PortSet()))
            first_loc.setdefault(w.namespace, w.location)
            for key, ports in (("node", node), ("imds", imds), ("internet", internet)):
                if ports:
                    d[key].append((w.address, ports))
        for ns, d in sorted(per_ns.items()):
            loc = self.ns_location(ns, first_loc[ns])
            total = len(d["all"])
            src = _ns_source(ns)
            for key in ("node", "imds", "internet"):
                items = d[key]
                if not items:
                    continue
                ports = PortSet()
                for _a, p in items:
                    ports = ports | p
                who = f"{len(items)} of {total} workloads ({_names(a for a, _ in items)})"
                hop = Hop(src, f"no NetworkPolicy restricts the egress of {who}", loc, "zone")
                if key == "node":
                    self.model.reaches.append(
                        Reach(
                            src,
                            SourceKind.LAN,
                            NODES,
                            ports,
                            (hop, Hop(NODES, "kubelet and kube-proxy listen on every node address", kind="endpoint")),
                            location=loc,
                            detail=who,
                        )
                    )
                elif key == "imds":
                    self.model.host_access.append(
                        HostAccessFact(
                            src,
                            "169.254.169.254 (instance metadata service)",
                            "imds",
                            f"{who} can reach the cloud metadata service: no egress policy denies 169.254.169.254",
                            loc,
                            ports,
                            (hop,),
                        )
                    )
                else:
                    self.model.egress.append(EgressFact(src, ports, (hop,), loc))

    # -- tenants -----------------------------------------------------------------------------------

    def tenants(self) -> None:
        def tenants_of(classes: Iterable[PodClass]) -> dict[str, set[str]]:
            out: dict[str, set[str]] = {}
            for c in classes:
                for p in c.members:
                    t = self.tenant(p.namespace)
                    if t:
                        out.setdefault(t, set()).add(p.workload)
            return out

        reach: dict[tuple[str, str], set[str]] = {}
        free_e, free_i = self.net.free()
        pairs: list[tuple[list[PodClass], list[PodClass]]] = [(free_e, free_i)] if free_e and free_i else []
        pairs.extend(([s], [d]) for s, d, _p in self.net.pairs())
        for srcs, dsts in pairs:
            ts, td = tenants_of(srcs), tenants_of(dsts)
            for a in ts:
                for b, targets in td.items():
                    if a != b:
                        reach.setdefault((a, b), set()).update(targets)
        for (a, b), targets in sorted(reach.items()):
            namespaces = sorted({t.split("/", 1)[0] for t in targets})
            first = self.c.workloads[min(targets)]
            loc = self.ns_location(first.namespace, first.location)
            self.model.tenants.append(
                TenantFact(
                    f"tenant:{b}",
                    (a, b),
                    tuple(sorted(targets))[:20],
                    a,
                    f"workloads of tenant {a} can connect to {len(targets)} workloads of tenant {b} "
                    f"(namespaces {_names(namespaces)})",
                    loc,
                )
            )


def _flat(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for g in groups for a in g))


def build_model(cluster: Cluster, ctx: ScanContext) -> Model:
    b = _Builder(cluster, ctx)
    b.endpoints()
    b.conns()
    b.services()
    b.ingresses()
    b.in_cluster()
    b.host()
    b.egress()
    b.tenants()
    return b.model


__all__ = ["Namespace", "build_model"]
