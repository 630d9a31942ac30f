"""Typed, frozen Kubernetes objects: what the connectivity engine and the fact builder read.

Parser dictionaries never leave :mod:`iacscan.k8s.parse`; everything here is
immutable and carries its :class:`~iacscan.source.Location`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from iacscan.model.addr import CidrSet
from iacscan.model.ports import PortSet
from iacscan.source import NOWHERE, Location

if TYPE_CHECKING:
    from iacscan.k8s.anp import AdminPolicy

Labels = tuple[tuple[str, str], ...]
NS_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # In, NotIn, Exists, DoesNotExist
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.op == "In":
            return self.key in labels and labels[self.key] in self.values
        if self.op == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.op == "Exists":
            return self.key in labels
        return self.key not in labels  # DoesNotExist


@dataclass(frozen=True)
class Selector:
    """A label selector; the empty selector matches everything."""

    match_labels: Labels = ()
    expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        for k, v in self.match_labels:
            if labels.get(k) != v:
                return False
        return all(r.matches(labels) for r in self.expressions)

    @property
    def empty(self) -> bool:
        return not self.match_labels and not self.expressions


@dataclass(frozen=True)
class ContainerPort:
    port: int
    protocol: str = "TCP"  # TCP, UDP, SCTP
    name: str = ""
    host_port: int = 0
    line: int = 0


@dataclass(frozen=True)
class HostFlag:
    """Something that gives a pod access to its node (host network, runtime socket...)."""

    kind: str  # host-network, host-pid, host-port, docker-socket, containerd-socket, host-root-mount
    detail: str
    line: int = 0
    host_ports: PortSet | None = None  # host-port: the node port, and the container port behind it
    target_ports: PortSet | None = None


@dataclass(frozen=True)
class PodTemplate:
    labels: Labels
    ports: tuple[ContainerPort, ...] = ()
    images: tuple[str, ...] = ()
    host: tuple[HostFlag, ...] = ()
    location: Location = NOWHERE

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    def named_port(self, name: str, protocol: str) -> int | None:
        for p in self.ports:
            if p.name == name and p.protocol == protocol:
                return p.port
        return None


@dataclass(frozen=True)
class Workload:
    """Pods grouped by their top owner: ``namespace/name[Kind]``."""

    namespace: str
    name: str
    kind: str
    pods: tuple[PodTemplate, ...]
    location: Location = NOWHERE

    @property
    def address(self) -> str:
        return f"{self.namespace}/{self.name}[{self.kind}]"


@dataclass(frozen=True)
class Namespace:
    name: str
    labels: Labels
    location: Location = NOWHERE
    declared: bool = True


@dataclass(frozen=True)
class ServicePort:
    port: int
    target: int | str  # number or container port name
    protocol: str = "TCP"
    name: str = ""
    node_port: int = 0
    line: int = 0


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    type: str  # ClusterIP, NodePort, LoadBalancer, ExternalName
    selector: Labels | None  # None = no selector (manual endpoints)
    ports: tuple[ServicePort, ...]
    external_ips: tuple[str, ...] = ()
    source_ranges: CidrSet | None = None
    internal: str = ""  # the annotation that makes a LoadBalancer internal
    external_traffic_policy: str = "Cluster"
    allocate_node_ports: bool = True
    location: Location = NOWHERE
    type_line: int = 0

    @property
    def address(self) -> str:
        return f"{self.namespace}/{self.name}[Service]"


@dataclass(frozen=True)
class IngressBackend:
    service: str
    port: int | str | None  # service port number or name; None = every port
    line: int = 0


@dataclass(frozen=True)
class Ingress:
    namespace: str
    name: str
    backends: tuple[IngressBackend, ...]
    kind: str = "Ingress"  # or Route
    location: Location = NOWHERE

    @property
    def address(self) -> str:
        return f"{self.namespace}/{self.name}[{self.kind}]"


@dataclass(frozen=True)
class PolicyPort:
    protocol: str = "TCP"
    port: int | str | None = None  # None = every port of the protocol
    end_port: int | None = None

    def resolve(self, pod: PodTemplate | None) -> PortSet:
        """The ports this entry allows towards ``pod`` (named ports resolve on the pod; never on external peers)."""
        proto = self.protocol.lower()
        if self.port is None:
            return PortSet.proto(proto)
        if isinstance(self.port, int):
            return PortSet.proto(proto, self.port, self.end_port if self.end_port is not None else self.port)
        if pod is None:
            return PortSet()
        n = pod.named_port(self.port, self.protocol)
        return PortSet() if n is None else PortSet.proto(proto, n)


@dataclass(frozen=True)
class Peer:
    pod_selector: Selector | None = None
    namespace_selector: Selector | None = None
    ip_block: CidrSet | None = None
    cidr_text: str = ""
    line: int = 0


@dataclass(frozen=True)
class PolicyRule:
    peers: tuple[Peer, ...] | None  # None = every source/destination (missing or empty from/to)
    ports: tuple[PolicyPort, ...] | None  # None = every port
    line: int = 0

    @property
    def named(self) -> bool:
        return any(isinstance(p.port, str) for p in self.ports or ())

    def ports_for(self, pod: PodTemplate | None) -> PortSet:
        if self.ports is None:
            return PortSet.all()
        out = PortSet()
        for p in self.ports:
            out = out | p.resolve(pod)
        return out


@dataclass(frozen=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: Selector
    ingress: tuple[PolicyRule, ...] = ()
    egress: tuple[PolicyRule, ...] = ()
    affects_ingress: bool = True
    affects_egress: bool = False
    location: Location = NOWHERE

    @property
    def address(self) -> str:
        return f"{self.namespace}/{self.name}[NetworkPolicy]"


@dataclass
class Cluster:
    """Everything the manifests declare (mutable while loading, read-only afterwards)."""

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    workloads: dict[str, Workload] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    ingresses: list[Ingress] = field(default_factory=list)
    policies: list[NetworkPolicy] = field(default_factory=list)
    admin_policies: list[AdminPolicy] = field(default_factory=list)  # ANPs and BANPs, as loaded

    def namespace(self, name: str) -> Namespace:
        ns = self.namespaces.get(name)
        if ns is None:
            ns = self.namespaces[name] = Namespace(name, ((NS_NAME_LABEL, name),), declared=False)
        return ns
