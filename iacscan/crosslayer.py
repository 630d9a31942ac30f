"""Binding layers: Kubernetes nodes and compose hosts to the machines that run them.

A NodePort is internet-exposed only if the nodes' security groups, NACLs and routes let the
internet in; a compose port published on ``0.0.0.0`` only if its EC2 host is.  The Kubernetes
and compose layers cannot know that, so they report such ports as reachable from ``lan``.  This
step runs after every layer has loaded (``pipeline.scan``) and joins them:

```yaml
clusters:
  - name: prod
    nodes: ["aws_instance.node*"]        # endpoint address globs (Terraform or live ids)
    manifests: ["k8s/"]                  # paths, relative to the config file
hosts:
  - name: ci-box
    instance: "infra:aws_instance.ci"    # the machine that runs these compose projects
    compose: ["ops/"]
```

For every node-level port of a bound cluster or host (NodePort, hostPort, hostNetwork, compose
published ports and host-network services) and every outer :class:`Reach` of a bound machine
(the AWS layer's, from the internet, public CIDRs or the VPC) that admits the port, a cross-layer
:class:`Reach` from the outer source to the inner workload is added; its path is the outer hops
(internet → gateway → subnet → NACL → security group), the machine, then the inner hops
(NodePort → Service → pod).  The layers' own ``lan`` facts stay (peers on the node still reach
the port).  Pods' reach to the node management ports (``k8s:nodes``) is re-targeted at the real
node addresses.

LoadBalancer Services (not ``allocateLoadBalancerNodePorts: false``) are a cloud load balancer
in front of the nodes' NodePorts: the Kubernetes layer's reach (``internet``/public CIDRs for a
public LB, ``lan`` for an internal one) keeps its source and gets the node hop (LB → node SG →
node → pod); it becomes ``conditional`` on the rules the cloud controller adds for the LB when
no bound node admits any of its NodePorts from the VPC or the internet (see :func:`_through_lb`).
Their NodePorts are also bound like a NodePort Service's.

Without ``clusters:``, a binding is inferred when unambiguous: exactly one ``aws_eks_cluster`` in
the scan and Kubernetes manifests scanned alongside it bind to its node groups (an info
diagnostic says so).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iacscan.config import Config
from iacscan.graph.query import matches
from iacscan.ingest import ScanContext
from iacscan.model.core import Hop, Model, Reach, SourceKind, Status, Zone
from iacscan.model.ports import PortSet
from iacscan.source import NOWHERE, Diagnostics, Location

K8S_NODES = "k8s:nodes"  # the Kubernetes layer's stand-in for "every node"
NODE_PORT_RANGE = PortSet.tcp(30000, 32767)
OUTER_KINDS = (SourceKind.INTERNET, SourceKind.PUBLIC_CIDR, SourceKind.LAN)
LB_ZONE = "k8s-load-balancer"  # the Kubernetes layer's zone kind for a LoadBalancer Service with NodePorts
LB_UNKNOWN = "the security group rules the cloud controller adds for the load balancer"


@dataclass(frozen=True)
class Binding:
    kind: str  # "cluster" (Kubernetes nodes) or "host" (a compose docker host)
    name: str
    machines: tuple[str, ...]  # endpoint address globs of the nodes / the host instance
    paths: tuple[Path, ...]  # manifests / compose directories (absolute); () = everything scanned
    location: Location = NOWHERE
    inferred: bool = False

    def covers(self, loc: Location) -> bool:
        if not self.paths:
            return True
        if not loc.file:
            return False
        f = (Path(loc.root) / loc.file).resolve() if loc.root else Path(loc.file).resolve()
        return any(f == p or p in f.parents for p in self.paths)

    def nodes(self, model: Model) -> list[str]:
        return sorted(a for a, ep in model.endpoints.items() if ep.layer not in ("k8s", "compose") and self._m(a))

    def _m(self, address: str) -> bool:
        return any(matches(g, address) for g in self.machines)


def _strings(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def parse_bindings(config: Config, diagnostics: Diagnostics) -> list[Binding]:
    path = config.path
    loc = Location(path.name, 0, root=str(path.parent.resolve())) if path else NOWHERE
    base = config.base_dir.resolve()
    out: list[Binding] = []
    for key, kind, machine_key, paths_key in (
        ("clusters", "cluster", "nodes", "manifests"),
        ("hosts", "host", "instance", "compose"),
    ):
        raw = config.raw.get(key)
        if raw is None:
            continue
        if not isinstance(raw, list):
            diagnostics.error(f"{key}: must be a list", loc, "config-binding")
            continue
        for i, entry in enumerate(raw):
            if not isinstance(entry, dict):
                diagnostics.error(f"{key}[{i}]: must be a mapping", loc, "config-binding")
                continue
            machines, paths = _strings(entry.get(machine_key)), _strings(entry.get(paths_key))
            if not machines or paths is None:
                diagnostics.error(
                    f"{key}[{i}]: needs {machine_key} (address glob or list of them) and optional {paths_key} (paths)",
                    loc,
                    "config-binding",
                )
                continue
            name = str(entry.get("name") or f"{key}[{i}]")
            out.append(Binding(kind, name, machines, tuple((base / p).resolve() for p in paths), loc))
    return out


def infer(model: Model, diagnostics: Diagnostics) -> Binding | None:
    """Exactly one EKS cluster and Kubernetes manifests in the same scan: bind them to its node groups."""
    clusters = sorted(a for a, ep in model.endpoints.items() if ep.kind == "aws_eks_cluster")
    if not any(ep.layer == "k8s" for ep in model.endpoints.values()):
        return None
    if len(clusters) != 1:
        if len(clusters) > 1:
            diagnostics.info(
                f"{len(clusters)} EKS clusters in the scan: Kubernetes manifests are not bound to any of them "
                "(declare `clusters:` in .iacscan.yml)",
                NOWHERE,
                "binding",
            )
        return None
    groups = sorted(a for a, ep in model.endpoints.items() if ep.kind in ("aws_eks_node_group",))
    if not groups:
        return None
    cluster = model.endpoints[clusters[0]]
    diagnostics.info(
        f"inferred binding: the Kubernetes manifests run on {clusters[0]} (nodes {', '.join(groups)}); "
        "declare `clusters:` in .iacscan.yml to change it",
        cluster.location,
        "binding-inferred",
    )
    return Binding("cluster", cluster.name or clusters[0], tuple(groups), (), cluster.location, inferred=True)


@dataclass(frozen=True)
class _Port:
    """A port a node or host opens for an inner workload."""

    target: str  # inner endpoint
    node_ports: PortSet  # on the machine
    target_ports: PortSet  # on the workload
    inner: tuple[Hop, ...]  # hops after the machine (NodePort → Service → pod)
    location: Location
    via: str
    status: Status = Status.EXPOSED
    unknowns: tuple[str, ...] = ()
    detail: str = ""


def _inner_ports(model: Model, layer: str) -> list[_Port]:
    out: list[_Port] = []
    for r in model.reaches:
        ep = model.endpoints.get(r.target)
        if ep is None or ep.layer != layer or r.source_kind is not SourceKind.LAN or r.host_ports is None:
            continue
        # the layers record, as data, which ports a reach opens on the node or host (NodePort,
        # published host port, host network); the allocated NodePort is unknown when not fixed
        auto = layer == "k8s" and r.host_ports.count("tcp") + r.host_ports.count("udp") > 1
        unknowns = ("the NodePort Kubernetes allocates",) if auto else ()
        out.append(
            _Port(r.target, r.host_ports, r.ports, r.path[1:], r.location, r.via, r.status, r.unknowns + unknowns)
        )
    if layer == "k8s":
        for f in model.host_access:
            ep = model.endpoints.get(f.endpoint)
            if ep is None or ep.layer != "k8s":
                continue
            hop = Hop(f.endpoint, f.detail, f.location, "endpoint")
            if f.kind == "host-port" and f.host_ports is not None and f.target_ports is not None:
                out.append(
                    _Port(
                        f.endpoint,
                        f.host_ports,
                        f.target_ports,
                        (hop,),
                        f.location,
                        f"hostPort {','.join(f.host_ports.to_strings())}",
                    )
                )
            elif f.kind == "host-network" and ep.listening:
                out.append(_Port(f.endpoint, ep.listening, ep.listening, (hop,), f.location, "the node's network"))
    return out


def _map_ports(p: _Port, covered: PortSet) -> PortSet:
    if covered == p.node_ports or p.node_ports == p.target_ports:
        return p.target_ports & (covered if p.node_ports == p.target_ports else p.target_ports)
    return p.target_ports


def _cross(model: Model, binding: Binding, nodes: list[str], ports: list[_Port]) -> list[Reach]:
    outer: dict[str, list[Reach]] = {n: [] for n in nodes}
    for r in model.reaches:
        if r.target in outer and r.source_kind in OUTER_KINDS:
            outer[r.target].append(r)
    what = "node of cluster" if binding.kind == "cluster" else "docker host"
    out: list[Reach] = []
    for p in ports:
        if not binding.covers(p.location):
            continue
        for node in nodes:
            node_ep = model.endpoints[node]
            for o in outer[node]:
                covered = o.ports & p.node_ports
                if not covered:
                    continue
                partial = covered != p.node_ports and p.node_ports != p.target_ports
                status = Status.CONDITIONAL if Status.CONDITIONAL in (o.status, p.status) or partial else Status.EXPOSED
                unknowns = tuple(dict.fromkeys((*o.unknowns, *p.unknowns)))
                if partial and not unknowns:
                    unknowns = (f"which of {', '.join(p.node_ports.to_strings())} the workload uses",)
                outer_hops = o.path[:-1] if o.path and o.path[-1].node == node else o.path
                machine = Hop(
                    node,
                    f"{what} {binding.name}: {', '.join(covered.to_strings())} admitted",
                    node_ep.location,
                    "host",
                )
                out.append(
                    Reach(
                        o.source,
                        o.source_kind,
                        p.target,
                        _map_ports(p, covered),
                        (*outer_hops, machine, *p.inner),
                        status,
                        unknowns if status is Status.CONDITIONAL else (),
                        o.allow_listed,
                        p.via or node,
                        p.location,
                        f"through {node}" + (f"; {p.detail}" if p.detail else ""),
                        o.source_cidrs,
                    )
                )
    return out


def _outer(model: Model, nodes: list[str]) -> dict[str, list[Reach]]:
    """The machines' own reaches from outside (the AWS layer's: internet, public CIDRs, the VPC)."""
    out: dict[str, list[Reach]] = {n: [] for n in nodes}
    for r in model.reaches:
        ep = model.endpoints.get(r.target)
        if r.target in out and r.source_kind in OUTER_KINDS and ep is not None and ep.layer not in ("k8s", "compose"):
            out[r.target].append(r)
    return out


def _through_lb(model: Model, binding: Binding, nodes: list[str], done: set[int]) -> None:
    """LoadBalancer Services of a bound cluster: the cloud LB forwards to the nodes' NodePorts.

    The LB itself is reachable whatever the node security groups say (it has its own group, which the
    cloud controller creates), so the Kubernetes layer's reach keeps its source (``internet`` /
    ``public-cidr`` for a public LB, ``lan`` for an internal one) and ports; the node hop is inserted
    in its path (LB → node SG → node → pod), and when no bound node admits any of its NodePorts from
    the VPC or the internet the reach becomes ``conditional`` on the rules the cloud controller adds
    to the node security group for the LB (it does for a classic ELB and an NLB in instance mode).
    Replaced in place (``done`` holds the replaced indexes), so the finding keeps its fingerprint."""
    outer = _outer(model, nodes)
    pref = {SourceKind.INTERNET: 0, SourceKind.PUBLIC_CIDR: 1, SourceKind.LAN: 2}
    for i, r in enumerate(model.reaches):
        zone, ep = model.zones.get(r.via), model.endpoints.get(r.target)
        if (
            i in done
            or zone is None
            or zone.kind != LB_ZONE
            or r.host_ports is None
            or ep is None
            or ep.layer != "k8s"
            or r.source_kind not in OUTER_KINDS
            or len(r.path) < 2
            or not binding.covers(r.location)
        ):
            continue
        best: tuple[tuple[bool, int, str], str, Reach] | None = None
        for node in nodes:
            for o in outer[node]:
                if o.ports & r.host_ports:
                    rank = (o.status is not Status.EXPOSED, pref[o.source_kind], node)
                    if best is None or rank < best[0]:
                        best = (rank, node, o)
        node_ports = ", ".join(r.host_ports.to_strings())
        if r.host_ports.count("tcp") + r.host_ports.count("udp") > 1:
            node_ports = f"allocated in {node_ports}"
        if best is None:
            node = nodes[0]
            sg: tuple[Hop, ...] = ()
            status, unknowns = Status.CONDITIONAL, (*r.unknowns, LB_UNKNOWN)
            why = f"NodePort {node_ports}: no security group rule of the nodes admits it from the VPC or the internet"
        else:
            _rank, node, o = best
            sg = (o.path[-2],) if len(o.path) >= 2 and o.path[-1].node == node else ()
            status = Status.CONDITIONAL if Status.CONDITIONAL in (o.status, r.status) else Status.EXPOSED
            unknowns = tuple(dict.fromkeys((*r.unknowns, *o.unknowns))) if status is Status.CONDITIONAL else ()
            why = f"NodePort {node_ports}, the load balancer's target"
        first = r.path[0]
        if r.source_kind is SourceKind.LAN:
            first = Hop(first.node, "internal load balancer: addresses of the VPC", first.location, first.kind)
        machine = Hop(node, f"node of cluster {binding.name}: {why}", model.endpoints[node].location, "host")
        model.reaches[i] = dataclasses.replace(
            r,
            path=(first, r.path[1], *sg, machine, *r.path[2:]),
            status=status,
            unknowns=unknowns,
            detail=r.detail or f"through {node}",
        )
        done.add(i)


def _retarget_node_mgmt(model: Model, binding: Binding, nodes: list[str]) -> tuple[list[Reach], list[Reach]]:
    """Pods' reach to ``k8s:nodes`` → the same reach to each bound node (removed, added)."""
    removed, added = [], []
    for r in model.reaches:
        if r.target != K8S_NODES or not binding.covers(r.location):
            continue
        removed.append(r)
        for node in nodes:
            ep = model.endpoints[node]
            hop = Hop(node, f"node of cluster {binding.name}: kubelet and kube-proxy listen here", ep.location, "host")
            path = (*(r.path[:-1] if r.path and r.path[-1].node == K8S_NODES else r.path), hop)
            added.append(dataclasses.replace(r, target=node, path=path, detail=r.detail or f"node of {binding.name}"))
    return removed, added


def bind(model: Model, contexts: Sequence[ScanContext], config: Config, diagnostics: Diagnostics) -> Model:
    """Join the layers of one scan (see the module docstring); returns the same, extended model."""
    del contexts  # layers' facts carry their locations; kept for bindings that need the raw inputs
    bindings = parse_bindings(config, diagnostics)
    if not any(b.kind == "cluster" for b in bindings):
        inferred = infer(model, diagnostics)
        if inferred is not None:
            bindings.append(inferred)
    if not bindings:
        return model
    k8s_ports = _inner_ports(model, "k8s")
    compose_ports = _inner_ports(model, "compose")
    added: list[Reach] = []
    removed: set[int] = set()
    lb_done: set[int] = set()
    for b in bindings:
        nodes = b.nodes(model)
        if not nodes:
            diagnostics.warning(
                f"{b.kind} {b.name}: {', '.join(b.machines)} matches no scanned machine; not bound",
                b.location,
                "binding-unmatched",
            )
            continue
        model.add_zone(Zone(f"{b.kind}:{b.name}", b.kind, b.name, location=b.location))
        if b.kind == "cluster":
            _through_lb(model, b, nodes, lb_done)
            added.extend(_cross(model, b, nodes, k8s_ports))
            gone, more = _retarget_node_mgmt(model, b, nodes)
            removed.update(id(r) for r in gone)
            added.extend(more)
        else:
            added.extend(_cross(model, b, nodes, compose_ports))
    if removed:
        model.reaches = [r for r in model.reaches if id(r) not in removed]
    model.reaches.extend(added)
    return model
