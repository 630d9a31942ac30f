"""The typed network model every ingester produces and every rule reads.

Layers (AWS, Kubernetes, compose, docker) convert their inputs into
:class:`Endpoint` and :class:`Zone` objects and compute *facts* about them:

* :class:`Reach` — a source (a zone such as ``internet``/``lan``, a CIDR set,
  or another endpoint) can open connections to a target endpoint on a port set,
  along a path of :class:`Hop` s, each naming what allowed it and where.
* :class:`EgressFact` — an endpoint can open connections to the internet.
* :class:`HostAccessFact` — an endpoint can reach its host's own services.
* :class:`LateralFact` — an endpoint accepts every peer of its network on every port.
* :class:`TenantFact` — endpoints of different tenants share a network.

Rules (``rules/*.yaml``) turn facts into findings; they never see parser data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from iacscan.model.addr import CidrSet
from iacscan.model.ports import PortSet
from iacscan.source import NOWHERE, Location

INTERNET = "internet"
LAN = "lan"


class SourceKind(StrEnum):
    INTERNET = "internet"  # the whole public address space
    PUBLIC_CIDR = "public-cidr"  # part of the public address space
    LAN = "lan"  # private networks / the whole VPC / every workload of a cluster or network
    ENDPOINT = "endpoint"  # one named endpoint (an allow-list when ``allow_listed``)
    HOST = "host"  # the host or node itself


class Status(StrEnum):
    EXPOSED = "exposed"
    CONDITIONAL = "conditional"


@dataclass(frozen=True)
class Hop:
    """One step of a reachability path: a node and what let the traffic through it."""

    node: str  # e.g. "internet", "aws_internet_gateway.main", "aws_security_group.web"
    allowed_by: str  # e.g. "route 0.0.0.0/0 -> igw", "NACL rule 100 allow all", "ingress tcp/22 from 0.0.0.0/0"
    location: Location = NOWHERE
    kind: str = ""  # zone, gateway, route, nacl, security-group, listener, service, policy, endpoint ...

    def to_json(self) -> dict[str, object]:
        return {
            "node": self.node,
            "kind": self.kind,
            "allowed_by": self.allowed_by,
            "location": {"file": self.location.file, "line": self.location.line},
        }


@dataclass(frozen=True)
class Endpoint:
    """Something that accepts connections: an instance, a pod workload, a compose service, an LB..."""

    address: str  # "ROOT:aws_instance.web[0]", "ns/name[Deployment]", "project/service", "host/container"
    kind: str  # "aws_instance", "aws_lb", "aws_db_instance", "aws_eks_cluster", "workload", "compose-service", ...
    layer: str  # "aws", "k8s", "compose", "docker"
    location: Location = NOWHERE
    name: str = ""  # human name (Name tag, service name)
    zones: tuple[str, ...] = ()  # zone ids it sits in (subnet, namespace, network)
    images: tuple[str, ...] = ()  # container images (service catalogue hints)
    service_hints: tuple[str, ...] = ()  # service ids known from the resource type (e.g. RDS engine "postgres")
    listening: PortSet | None = None  # ports it is known to listen on (None = unknown, assume the reachable ones)
    tenant: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    is_workload: bool = True  # False for load balancers / managed API endpoints (never a source of egress)
    # Identity attributes that survive between code and the live estate, for confirmation matching:
    # ("name", Name tag), ("sg", "<vpc name or IPv4 CIDR>/<group name>") per security group,
    # ("asg", auto scaling group name), ("eks", EKS node group name), ("db", DB identifier).
    identity: tuple[tuple[str, str], ...] = ()

    def label(self, key: str) -> str | None:
        for k, v in self.labels:
            if k == key:
                return v
        return None


@dataclass(frozen=True)
class Zone:
    id: str
    kind: str  # internet, lan, vpc, subnet, namespace, network, host, cluster
    name: str = ""
    parent: str = ""
    location: Location = NOWHERE
    cidrs: CidrSet = field(default_factory=CidrSet)


@dataclass(frozen=True)
class Reach:
    source: str
    source_kind: SourceKind
    target: str  # endpoint address
    ports: PortSet
    path: tuple[Hop, ...] = ()
    status: Status = Status.EXPOSED
    unknowns: tuple[str, ...] = ()
    allow_listed: bool = False  # permitted by a narrow, explicit allow-list (intended communication)
    via: str = ""  # what fronts the target (load balancer, Service, Ingress), when not reached directly
    location: Location = NOWHERE  # primary location of the finding (the rule that opens it)
    detail: str = ""  # extra words for the message (e.g. "request allowed, response blocked")
    source_cidrs: CidrSet | None = None
    # Ports this reach opens on the machine that carries the target (NodePort, published host port,
    # host network): what a cross-layer binding recomputes through that machine's own network path.
    # None = the reach does not enter through the node or host.
    host_ports: PortSet | None = None


@dataclass(frozen=True)
class EgressFact:
    endpoint: str
    ports: PortSet
    path: tuple[Hop, ...] = ()
    location: Location = NOWHERE
    status: Status = Status.EXPOSED
    unknowns: tuple[str, ...] = ()


@dataclass(frozen=True)
class HostAccessFact:
    endpoint: str  # the workload
    host: str  # the host / node / "instance metadata service"
    kind: str  # host-network, host-pid, docker-socket, containerd-socket, host-root-mount, privileged, imds, ...
    detail: str
    location: Location = NOWHERE
    ports: PortSet = field(default_factory=PortSet)
    path: tuple[Hop, ...] = ()
    status: Status = Status.EXPOSED
    unknowns: tuple[str, ...] = ()
    # for host ports (kind "host-port"): the port opened on the host and the workload port behind it
    host_ports: PortSet | None = None
    target_ports: PortSet | None = None


@dataclass(frozen=True)
class LateralFact:
    endpoint: str
    network: str  # the network / namespace / subnet whose every peer it accepts
    ports: PortSet
    detail: str = ""
    location: Location = NOWHERE
    path: tuple[Hop, ...] = ()


@dataclass(frozen=True)
class TenantFact:
    network: str  # the shared network (or the other tenant)
    tenants: tuple[str, ...]
    endpoints: tuple[str, ...]
    source: str = ""  # one tenant (the one that can connect)
    detail: str = ""
    location: Location = NOWHERE
    ports: PortSet = field(default_factory=PortSet.all)


@dataclass(frozen=True)
class Conn:
    """Connectivity between groups of endpoints (an equivalence class pair): every source may
    open connections to every target on ``ports``.  Sources may also be zones (``internet``,
    ``lan``, a CIDR-set label).  Self-connections are implied away when ``exclude_self``."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    ports: PortSet
    path: tuple[Hop, ...] = ()
    exclude_self: bool = True
    layer: str = ""


@dataclass
class Model:
    """What one scan knows: endpoints, zones and the facts computed over them."""

    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    zones: dict[str, Zone] = field(default_factory=dict)
    reaches: list[Reach] = field(default_factory=list)
    egress: list[EgressFact] = field(default_factory=list)
    host_access: list[HostAccessFact] = field(default_factory=list)
    lateral: list[LateralFact] = field(default_factory=list)
    tenants: list[TenantFact] = field(default_factory=list)
    conns: list[Conn] = field(default_factory=list)
    # Suppressions found inside scanned files: (location of the comment/annotation, slug-or-id, reason)
    inline_ignores: list[tuple[Location, str, str]] = field(default_factory=list)

    def add_endpoint(self, ep: Endpoint) -> None:
        self.endpoints[ep.address] = ep

    def add_zone(self, z: Zone) -> None:
        self.zones[z.id] = z

    def merge(self, other: Model) -> None:
        self.endpoints.update(other.endpoints)
        self.zones.update(other.zones)
        self.reaches.extend(other.reaches)
        self.egress.extend(other.egress)
        self.host_access.extend(other.host_access)
        self.lateral.extend(other.lateral)
        self.tenants.extend(other.tenants)
        self.conns.extend(other.conns)
        self.inline_ignores.extend(other.inline_ignores)
