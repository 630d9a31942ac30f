"""The AWS network estate: neutral, typed, and blind to where it came from.

Both the Terraform converter (:mod:`iacscan.ingest.terraform.aws`) and the live
snapshot converter (:mod:`iacscan.ingest.aws_snapshot`) produce an
:class:`Estate`; :mod:`iacscan.ingest.aws.reach` computes reachability on it.

Every object is keyed by a stable id (a Terraform address such as
``aws_subnet.public[0]`` or a live id such as ``subnet-0abc``) and carries its
source location.  Values that could not be known statically are recorded as
``unknowns`` (human-readable reasons); analysis treats them both ways and marks
what depends on them as *conditional*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from iacscan.model.addr import CidrSet
from iacscan.model.ports import PortSet
from iacscan.source import NOWHERE, Location

# RDS engines: default port and service-catalogue id (prefix match on the engine name).
DB_PORTS: dict[str, int] = {
    "postgres": 5432,
    "aurora-postgresql": 5432,
    "mysql": 3306,
    "aurora-mysql": 3306,
    "aurora": 3306,
    "mariadb": 3306,
    "sqlserver": 1433,
    "oracle": 1521,
}
DB_SERVICES: dict[str, str] = {
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlserver": "mssql",
    "oracle": "oracle",
}


@dataclass(frozen=True)
class Route:
    destination: CidrSet
    prefix: int  # prefix length, for longest-prefix match
    target_kind: str  # local, igw, eigw, nat, peering, tgw, instance, eni, vgw, other, unknown
    target: str = ""
    location: Location = NOWHERE


@dataclass(frozen=True)
class RouteTable:
    id: str
    vpc: str
    routes: tuple[Route, ...]
    main: bool = False
    location: Location = NOWHERE


@dataclass(frozen=True)
class NaclEntry:
    rule_no: int
    egress: bool
    allow: bool
    ports: PortSet
    cidrs: CidrSet
    location: Location = NOWHERE
    unknown: str = ""  # reason when the entry's cidr/ports are unknown


@dataclass(frozen=True)
class Nacl:
    id: str
    vpc: str
    entries: tuple[NaclEntry, ...]
    subnets: tuple[str, ...] = ()
    default: bool = False
    location: Location = NOWHERE


@dataclass(frozen=True)
class SgRule:
    egress: bool
    ports: PortSet
    cidrs: CidrSet = field(default_factory=CidrSet)
    groups: tuple[str, ...] = ()  # referenced security group ids
    self_ref: bool = False
    location: Location = NOWHERE
    unknowns: tuple[str, ...] = ()  # sources (or ports) that could not be resolved: may match anything
    description: str = ""

    def describe(self) -> str:
        peers = [str(self.cidrs)] if self.cidrs else []
        peers += [f"sg {g}" for g in self.groups]
        if self.self_ref:
            peers.append("self")
        peers += [f"unknown {u}" for u in self.unknowns]
        d = "egress" if self.egress else "ingress"
        return f"{d} {','.join(self.ports.to_strings())} {'to' if self.egress else 'from'} {' + '.join(peers)}"


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    vpc: str
    name: str
    rules: tuple[SgRule, ...]
    location: Location = NOWHERE


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc: str
    cidrs: CidrSet
    map_public_ip: bool = False
    ipv6: bool = False
    location: Location = NOWHERE
    name: str = ""
    unknowns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vpc:
    id: str
    cidrs: CidrSet
    location: Location = NOWHERE
    name: str = ""


@dataclass(frozen=True)
class Gateway:
    id: str
    kind: str  # igw, eigw, nat
    vpc: str = ""
    subnet: str = ""  # for NAT
    location: Location = NOWHERE


@dataclass(frozen=True)
class Placement:
    """Where a network interface sits: subnet, security groups, public addressing."""

    subnet: str  # subnet id ('' = unknown)
    groups: tuple[str, ...]
    public_ip: bool | None = None  # None = follow the subnet's map_public_ip_on_launch
    ipv6: bool = False
    unknowns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Compute:
    """An endpoint with network interfaces: instance, node group, RDS, ENI..."""

    id: str
    kind: str  # aws_instance, aws_db_instance, aws_eks_node_group, aws_network_interface, ...
    placements: tuple[Placement, ...]  # several = "one of these" (RDS subnet groups) or several ENIs
    any_of: bool = False  # True: placements are alternatives (AWS picks one), not all at once
    name: str = ""
    location: Location = NOWHERE
    listening: PortSet | None = None
    service_hints: tuple[str, ...] = ()
    is_workload: bool = True
    identity: tuple[tuple[str, str], ...] = ()  # see iacscan.model.core.Endpoint.identity


@dataclass(frozen=True)
class Listener:
    port: PortSet
    target_groups: tuple[str, ...]
    location: Location = NOWHERE


@dataclass(frozen=True)
class TargetGroup:
    id: str
    port: int | None
    protocol: str
    targets: tuple[tuple[str, int | None], ...]  # (compute id, port override)
    location: Location = NOWHERE
    target_type: str = "instance"


@dataclass(frozen=True)
class LoadBalancer:
    id: str
    kind: str  # application, network, gateway, classic
    internal: bool
    subnets: tuple[str, ...]
    groups: tuple[str, ...]
    listeners: tuple[Listener, ...]
    location: Location = NOWHERE
    name: str = ""
    unknowns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ManagedEndpoint:
    """A provider-managed API endpoint (EKS cluster endpoint)."""

    id: str
    kind: str  # aws_eks_cluster
    public: bool
    public_cidrs: CidrSet
    ports: PortSet
    location: Location = NOWHERE
    name: str = ""
    service_hints: tuple[str, ...] = ()
    unknowns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Peering:
    """An active VPC peering connection (SEMANTICS 13): not transitive, needs routes on both sides,
    never lends the peer's internet or NAT gateway.  ``aliases`` are other ids routes may use for it
    (a Terraform ``aws_vpc_peering_connection_accepter`` address)."""

    id: str
    vpc: str  # requester VPC id
    peer_vpc: str  # accepter VPC id
    location: Location = NOWHERE
    aliases: tuple[str, ...] = ()

    def other(self, vpc: str) -> str | None:
        """The VPC on the other side from ``vpc``, or None when ``vpc`` is not a side of it."""
        if vpc == self.vpc:
            return self.peer_vpc
        if vpc == self.peer_vpc:
            return self.vpc
        return None


@dataclass
class Estate:
    prefix: str = ""  # address prefix ("ROOT:" for Terraform roots below the scanned path)
    vpcs: dict[str, Vpc] = field(default_factory=dict)
    subnets: dict[str, Subnet] = field(default_factory=dict)
    route_tables: dict[str, RouteTable] = field(default_factory=dict)
    associations: dict[str, str] = field(default_factory=dict)  # subnet -> route table
    gateways: dict[str, Gateway] = field(default_factory=dict)
    nacls: dict[str, Nacl] = field(default_factory=dict)
    groups: dict[str, SecurityGroup] = field(default_factory=dict)
    computes: dict[str, Compute] = field(default_factory=dict)
    target_groups: dict[str, TargetGroup] = field(default_factory=dict)
    load_balancers: dict[str, LoadBalancer] = field(default_factory=dict)
    managed: dict[str, ManagedEndpoint] = field(default_factory=dict)
    default_groups: dict[str, str] = field(default_factory=dict)  # vpc -> default SG id
    names: dict[str, str] = field(default_factory=dict)  # id -> Name tag (live)
    peerings: dict[str, Peering] = field(default_factory=dict)  # active VPC peering connections


def vpc_identity(vpc: Vpc) -> str:
    """How a VPC is recognised on both sides: its Name tag, else its IPv4 CIDR blocks."""
    if vpc.name:
        return vpc.name
    return ",".join(str(n) for n in vpc.cidrs.networks() if n.version == 4)


def sg_identity(
    estate: Estate, placements: tuple[Placement, ...], group_names: dict[str, str] | None = None
) -> tuple[tuple[str, str], ...]:
    """("sg", "<vpc identity>/<group name>") for each known security group of ``placements``.
    ``group_names`` overrides :attr:`SecurityGroup.name` with the AWS group name (Terraform ``name``)."""
    out: list[tuple[str, str]] = []
    for p in placements:
        for g in p.groups:
            sg = estate.groups.get(g)
            if sg is None:
                continue
            name = group_names.get(g, "") if group_names is not None else sg.name
            vpc = estate.vpcs.get(sg.vpc)
            if name and vpc is not None:
                out.append(("sg", f"{vpc_identity(vpc)}/{name}"))
    return tuple(dict.fromkeys(out))
