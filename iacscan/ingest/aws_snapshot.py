"""Live AWS snapshots (``iacscan collect aws``) → :class:`~iacscan.ingest.aws.estate.Estate` → facts.

A snapshot is recognised by content: a JSON object whose ``schema`` is
``iacscan/aws-snapshot/v1``.  The raw EC2/ELB/RDS/EKS API shapes are converted
with the same semantics as the Terraform converter; identifiers are live ids
(``i-…``, ``sg-…``, ARNs for load balancers, target groups, RDS and EKS) and
``Estate.names`` carries the Name tags shown in messages.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from iacscan.ingest import ScanContext
from iacscan.ingest.aws.estate import (
    DB_PORTS,
    DB_SERVICES,
    Compute,
    Estate,
    Gateway,
    Listener,
    LoadBalancer,
    ManagedEndpoint,
    Nacl,
    NaclEntry,
    Peering,
    Placement,
    Route,
    RouteTable,
    SecurityGroup,
    SgRule,
    Subnet,
    TargetGroup,
    Vpc,
    sg_identity,
)
from iacscan.ingest.aws.reach import analyse
from iacscan.model.addr import CidrSet, parse_cidr
from iacscan.model.core import Model
from iacscan.model.ports import PortSet, canonical_protocol
from iacscan.source import Diagnostics, Location

SCHEMA = "iacscan/aws-snapshot/v1"
MAX_BYTES = 512 * 1024 * 1024
_GONE = {"terminated", "shutting-down", "deleted", "deleting", "failed"}


def is_snapshot(path: Path) -> bool:
    """Cheap content sniff: a JSON object naming our schema near its start."""
    if path.suffix.lower() != ".json":
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
            size = fh.seek(0, 2)
            fh.seek(max(size - 4096, 0))
            tail = fh.read(4096)  # a re-serialised snapshot may carry "schema" last
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and (SCHEMA.encode() in head or SCHEMA.encode() in tail)


def read_snapshot(path: Path, diagnostics: Diagnostics, loc: Location) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > MAX_BYTES:
            diagnostics.error("AWS snapshot larger than 512 MiB skipped", loc, "limit")
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        diagnostics.error(f"unreadable AWS snapshot: {exc}", loc, "aws-snapshot")
        return None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("regions"), dict):
        diagnostics.error(f"not an {SCHEMA} document", loc, "aws-snapshot")
        return None
    return doc


def load(ctx: ScanContext) -> Model:
    model = Model()
    for f in ctx.files:
        if not is_snapshot(f):
            continue
        loc = ctx.loc(f)
        doc = read_snapshot(f, ctx.diagnostics, loc)
        if doc is None:
            continue
        for d in doc.get("diagnostics") or []:
            if isinstance(d, dict):
                ctx.diagnostics.warning(
                    f"collection: {d.get('region', '')} {d.get('service', '')}:{d.get('operation', '')}: "
                    f"{d.get('message', '')}",
                    loc,
                    f"aws-{d.get('code', 'collect')}",
                )
        for region, data in sorted(doc["regions"].items()):
            if isinstance(data, dict):
                estate = convert(data, loc, ctx.diagnostics, region, str(doc.get("account") or ""))
                model.merge(analyse(estate, ctx.diagnostics))
    return model


# ---------------------------------------------------------------------------


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _dicts(v: Any) -> list[dict[str, Any]]:
    return [x for x in _list(v) if isinstance(x, dict)]


# Tags AWS puts on the instances of an auto scaling group / EKS managed node group -> identity key.
_GROUP_TAGS = (("aws:autoscaling:groupName", "asg"), ("eks:nodegroup-name", "eks"))


def _tag(obj: dict[str, Any], key: str) -> str:
    for t in _dicts(obj.get("Tags") or obj.get("TagSet")):
        if t.get("Key") == key and isinstance(t.get("Value"), str):
            return str(t["Value"])
    return ""


def name_tag(obj: dict[str, Any]) -> str:
    for t in _dicts(obj.get("Tags") or obj.get("TagSet")):
        if t.get("Key") == "Name" and isinstance(t.get("Value"), str):
            return str(t["Value"])
    return ""


def live_ports(proto: Any, lo: Any, hi: Any) -> PortSet:
    """An AWS IpProtocol/FromPort/ToPort triple (SG rules, NACL entries) as a port set."""
    p = canonical_protocol(str(proto if proto is not None else "-1"))
    if p is None:
        return PortSet()
    if p == "all":
        return PortSet.all()
    if p in ("icmp", "icmpv6", "other"):
        return PortSet.proto(p)
    if not isinstance(lo, int) or not isinstance(hi, int) or lo < 0 or hi < 0:
        return PortSet.proto(p)
    if lo > hi or hi > 65535:
        return PortSet()
    return PortSet.proto(p, lo, hi)


class _Converter:
    def __init__(self, data: dict[str, Any], loc: Location, d: Diagnostics, region: str, account: str) -> None:
        self.data = data
        self.base = loc
        self.d = d
        self.region = region
        self.account = account
        self.e = Estate(prefix="")
        self.prefix_lists: dict[str, CidrSet] = {}
        for pid, entries in (data.get("PrefixListEntries") or {}).items():
            self.prefix_lists[pid] = self.cidrs(e.get("Cidr") for e in _dicts(entries))

    def loc(self, key: str) -> Location:
        return Location(self.base.file, 0, 0, self.base.root, key)

    def cidrs(self, values: Any) -> CidrSet:
        out = CidrSet()
        for v in values:
            if isinstance(v, str) and v:
                try:
                    out = out | CidrSet.of(parse_cidr(v))
                except ValueError:
                    self.d.warning(f"invalid CIDR {v!r} in AWS snapshot", self.base, "invalid-cidr")
        return out

    def name(self, key: str, obj: dict[str, Any], fallback: str = "") -> str:
        n = name_tag(obj) or fallback
        if n:
            self.e.names[key] = n
        return n

    def run(self) -> Estate:
        self.vpcs()
        self.gateways()
        self.peerings()
        self.routes()
        self.nacls()
        self.groups()
        self.computes()
        self.load_balancers()
        self.managed()
        return self.e

    def vpcs(self) -> None:
        for v in _dicts(self.data.get("Vpcs")):
            vid = str(v.get("VpcId", ""))
            blocks = [a.get("CidrBlock") for a in _dicts(v.get("CidrBlockAssociationSet"))] or [v.get("CidrBlock")]
            blocks += [a.get("Ipv6CidrBlock") for a in _dicts(v.get("Ipv6CidrBlockAssociationSet"))]
            self.e.vpcs[vid] = Vpc(vid, self.cidrs(blocks), self.loc(vid), self.name(vid, v))
        for s in _dicts(self.data.get("Subnets")):
            sid = str(s.get("SubnetId", ""))
            c6 = self.cidrs(a.get("Ipv6CidrBlock") for a in _dicts(s.get("Ipv6CidrBlockAssociationSet")))
            self.e.subnets[sid] = Subnet(
                sid,
                str(s.get("VpcId", "")),
                self.cidrs([s.get("CidrBlock")]) | c6,
                s.get("MapPublicIpOnLaunch") is True,
                bool(c6) or s.get("AssignIpv6AddressOnCreation") is True,
                self.loc(sid),
                self.name(sid, s),
            )

    def gateways(self) -> None:
        for g in _dicts(self.data.get("InternetGateways")):
            gid = str(g.get("InternetGatewayId", ""))
            vpc = next((str(a.get("VpcId", "")) for a in _dicts(g.get("Attachments"))), "")
            self.e.gateways[gid] = Gateway(gid, "igw", vpc, "", self.loc(gid))
            self.name(gid, g)
        for g in _dicts(self.data.get("EgressOnlyInternetGateways")):
            gid = str(g.get("EgressOnlyInternetGatewayId", ""))
            vpc = next((str(a.get("VpcId", "")) for a in _dicts(g.get("Attachments"))), "")
            self.e.gateways[gid] = Gateway(gid, "eigw", vpc, "", self.loc(gid))
            self.name(gid, g)
        for g in _dicts(self.data.get("NatGateways")):
            if g.get("State") in _GONE:
                continue
            gid = str(g.get("NatGatewayId", ""))
            kind = "private-nat" if g.get("ConnectivityType") == "private" else "nat"
            self.e.gateways[gid] = Gateway(
                gid, kind, str(g.get("VpcId", "")), str(g.get("SubnetId", "")), self.loc(gid)
            )
            self.name(gid, g)

    def peerings(self) -> None:
        """Active VPC peering connections (``DescribeVpcPeeringConnections``)."""
        for p in _dicts(self.data.get("VpcPeeringConnections")):
            status = p.get("Status") if isinstance(p.get("Status"), dict) else {}
            assert isinstance(status, dict)
            if status.get("Code") != "active":
                continue
            pid = str(p.get("VpcPeeringConnectionId", ""))
            sides = []
            for k in ("RequesterVpcInfo", "AccepterVpcInfo"):
                info = p.get(k) if isinstance(p.get(k), dict) else {}
                assert isinstance(info, dict)
                sides.append(str(info.get("VpcId") or ""))
            if pid and all(sides):
                self.e.peerings[pid] = Peering(pid, sides[0], sides[1], self.loc(pid))
                self.name(pid, p)

    def _route(self, rt_id: str, r: dict[str, Any]) -> Route | None:
        if r.get("State") == "blackhole":
            return None
        raw = r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock")
        if not isinstance(raw, str):
            return None  # prefix-list destinations are not modelled (as for Terraform)
        dest = self.cidrs([raw])
        if not dest:
            return None
        prefix = next(iter(dest.networks())).prefixlen
        loc = self.loc(f"{rt_id}:{raw}")
        gw = r.get("GatewayId")
        if gw == "local":
            return Route(dest, prefix, "local", "local", loc)
        for attr, kind in (
            ("GatewayId", "igw"),
            ("EgressOnlyInternetGatewayId", "eigw"),
            ("NatGatewayId", "nat"),
            ("VpcPeeringConnectionId", "peering"),
            ("TransitGatewayId", "tgw"),
            ("NetworkInterfaceId", "eni"),
            ("InstanceId", "instance"),
            ("LocalGatewayId", "other"),
            ("CarrierGatewayId", "other"),
        ):
            v = r.get(attr)
            if not isinstance(v, str) or not v:
                continue
            if kind == "igw":
                known = self.e.gateways.get(v)
                kind = known.kind if known is not None else ("igw" if v.startswith("igw-") else "other")
            elif kind == "nat" and v in self.e.gateways:
                kind = self.e.gateways[v].kind
            return Route(dest, prefix, kind, v, loc)
        return Route(dest, prefix, "other", "", loc)

    def routes(self) -> None:
        for t in _dicts(self.data.get("RouteTables")):
            rt_id = str(t.get("RouteTableId", ""))
            routes = [x for x in (self._route(rt_id, r) for r in _dicts(t.get("Routes"))) if x is not None]
            main = False
            for a in _dicts(t.get("Associations")):
                if a.get("Main") is True:
                    main = True
                elif isinstance(a.get("SubnetId"), str):
                    self.e.associations[a["SubnetId"]] = rt_id
            self.e.route_tables[rt_id] = RouteTable(
                rt_id, str(t.get("VpcId", "")), tuple(routes), main, self.loc(rt_id)
            )
            self.name(rt_id, t)

    def nacls(self) -> None:
        for n in _dicts(self.data.get("NetworkAcls")):
            nid = str(n.get("NetworkAclId", ""))
            entries = []
            for e in _dicts(n.get("Entries")):
                rng = e.get("PortRange") if isinstance(e.get("PortRange"), dict) else {}
                assert isinstance(rng, dict)
                proto = e.get("Protocol")
                lo, hi = rng.get("From"), rng.get("To")
                if canonical_protocol(str(proto)) in ("tcp", "udp") and lo is None:
                    lo, hi = 0, 65535
                entries.append(
                    NaclEntry(
                        int(e.get("RuleNumber", 32767)),
                        e.get("Egress") is True,
                        str(e.get("RuleAction", "deny")).lower() == "allow",
                        live_ports(proto, lo, hi),
                        self.cidrs([e.get("CidrBlock"), e.get("Ipv6CidrBlock")]),
                        self.loc(f"{nid}:{'egress' if e.get('Egress') else 'ingress'}:{e.get('RuleNumber')}"),
                    )
                )
            subnets = tuple(str(a.get("SubnetId")) for a in _dicts(n.get("Associations")) if a.get("SubnetId"))
            self.e.nacls[nid] = Nacl(
                nid, str(n.get("VpcId", "")), tuple(entries), subnets, n.get("IsDefault") is True, self.loc(nid)
            )
            self.name(nid, n)

    def _perm(self, gid: str, p: dict[str, Any], egress: bool) -> SgRule:
        ports = live_ports(p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"))
        cidrs = self.cidrs([r.get("CidrIp") for r in _dicts(p.get("IpRanges"))])
        cidrs = cidrs | self.cidrs([r.get("CidrIpv6") for r in _dicts(p.get("Ipv6Ranges"))])
        groups = [str(g["GroupId"]) for g in _dicts(p.get("UserIdGroupPairs")) if g.get("GroupId")]
        unknowns = []
        for pl in _dicts(p.get("PrefixListIds")):
            pid = str(pl.get("PrefixListId", ""))
            if pid in self.prefix_lists:
                cidrs = cidrs | self.prefix_lists[pid]
            else:
                unknowns.append(f"prefix list {pid} (entries not collected)")
        descs = [
            str(r.get("Description"))
            for k in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs")
            for r in _dicts(p.get(k))
            if r.get("Description")
        ]
        return SgRule(
            egress,
            ports,
            cidrs,
            tuple(dict.fromkeys(groups)),
            gid in groups,
            self.loc(f"{gid}:{'egress' if egress else 'ingress'}:{p.get('IpProtocol')}:{p.get('FromPort')}"),
            tuple(unknowns),
            "; ".join(descs),
        )

    def groups(self) -> None:
        for g in _dicts(self.data.get("SecurityGroups")):
            gid = str(g.get("GroupId", ""))
            vpc = str(g.get("VpcId", ""))
            rules = [self._perm(gid, p, False) for p in _dicts(g.get("IpPermissions"))]
            rules += [self._perm(gid, p, True) for p in _dicts(g.get("IpPermissionsEgress"))]
            gname = str(g.get("GroupName", ""))
            self.e.groups[gid] = SecurityGroup(gid, vpc, gname, tuple(rules), self.loc(gid))
            self.name(gid, g, gname)
            if gname == "default" and vpc:
                self.e.default_groups[vpc] = gid

    def computes(self) -> None:
        eips: set[str] = set()
        for a in _dicts(self.data.get("Addresses")):
            for k in ("InstanceId", "NetworkInterfaceId"):
                if isinstance(a.get(k), str) and a.get(k):
                    eips.add(a[k])
        enis = {str(n.get("NetworkInterfaceId")): n for n in _dicts(self.data.get("NetworkInterfaces"))}
        attached: set[str] = {
            str(a.get("NetworkInterfaceId"))
            for g in _dicts(self.data.get("NatGateways"))
            for a in _dicts(g.get("NatGatewayAddresses"))
        }  # a NAT gateway's interface is the gateway, not a workload
        for res in _dicts(self.data.get("Reservations")):
            for inst in _dicts(res.get("Instances")):
                state = inst.get("State") if isinstance(inst.get("State"), dict) else {}
                assert isinstance(state, dict)
                if state.get("Name") in _GONE:
                    continue
                iid = str(inst.get("InstanceId", ""))
                placements: list[Placement] = []
                for ni in sorted(
                    _dicts(inst.get("NetworkInterfaces")),
                    key=lambda n: int((n.get("Attachment") or {}).get("DeviceIndex", 0)),
                ):
                    eni_id = str(ni.get("NetworkInterfaceId", ""))
                    attached.add(eni_id)
                    placements.append(self._eni_placement(ni, eni_id in eips or (iid in eips and not placements)))
                if not placements:
                    groups = tuple(str(g.get("GroupId")) for g in _dicts(inst.get("SecurityGroups")))
                    public = bool(inst.get("PublicIpAddress")) or iid in eips
                    ipv6 = bool(inst.get("Ipv6Address"))
                    placements.append(Placement(str(inst.get("SubnetId", "")), groups, public, ipv6))
                name = self.name(iid, inst)
                ident = [("name", name)] if name else []
                ident += [(k, v) for t, k in _GROUP_TAGS if (v := _tag(inst, t))]
                self.e.computes[iid] = Compute(
                    iid,
                    "aws_instance",
                    tuple(placements),
                    False,
                    name,
                    self.loc(iid),
                    identity=tuple(ident) + sg_identity(self.e, tuple(placements)),
                )
        for eni_id, n in enis.items():
            att = n.get("Attachment") if isinstance(n.get("Attachment"), dict) else {}
            assert isinstance(att, dict)
            if eni_id in attached or att.get("InstanceId") or n.get("RequesterManaged") is True:
                continue
            if n.get("InterfaceType", "interface") != "interface":
                continue  # NAT, load balancer, endpoint ENIs are modelled as their owners
            desc = str(n.get("Description") or "")
            if desc.startswith(("ELB ", "RDSNetworkInterface", "Amazon EKS")):
                continue
            self.e.computes[eni_id] = Compute(
                eni_id,
                "aws_network_interface",
                (self._eni_placement(n, eni_id in eips),),
                False,
                self.name(eni_id, n),
                self.loc(eni_id),
            )
        self.databases()
        for cid, c in list(self.e.computes.items()):
            if c.kind == "aws_network_interface":
                self.e.computes[cid] = replace(c, identity=sg_identity(self.e, c.placements))
            elif c.kind == "aws_db_instance" and c.name:
                self.e.computes[cid] = replace(c, identity=(("db", c.name),))

    def _eni_placement(self, ni: dict[str, Any], eip: bool) -> Placement:
        groups = tuple(str(g.get("GroupId")) for g in _dicts(ni.get("Groups")) if g.get("GroupId"))
        assoc = ni.get("Association") if isinstance(ni.get("Association"), dict) else {}
        assert isinstance(assoc, dict)
        public = bool(assoc.get("PublicIp")) or eip
        ipv6 = bool(_list(ni.get("Ipv6Addresses")))
        return Placement(str(ni.get("SubnetId", "")), groups, public, ipv6)

    def databases(self) -> None:
        for db in _dicts(self.data.get("DBInstances")):
            if str(db.get("DBInstanceStatus", "")) in _GONE:
                continue
            ident = str(db.get("DBInstanceIdentifier", ""))
            key = str(db.get("DBInstanceArn") or f"arn:aws:rds:{self.region}:{self.account}:db:{ident}")
            engine = str(db.get("Engine") or "")
            ep = db.get("Endpoint") if isinstance(db.get("Endpoint"), dict) else {}
            assert isinstance(ep, dict)
            port = ep.get("Port") if isinstance(ep.get("Port"), int) else DB_PORTS.get(engine)
            groups = tuple(
                str(g.get("VpcSecurityGroupId"))
                for g in _dicts(db.get("VpcSecurityGroups"))
                if g.get("VpcSecurityGroupId")
            )
            sng = db.get("DBSubnetGroup") if isinstance(db.get("DBSubnetGroup"), dict) else {}
            assert isinstance(sng, dict)
            subnets = [str(s.get("SubnetIdentifier")) for s in _dicts(sng.get("Subnets")) if s.get("SubnetIdentifier")]
            public = db.get("PubliclyAccessible") is True
            placements = tuple(Placement(s, groups, public) for s in subnets) or (Placement("", groups, public),)
            svc = next((v for k, v in DB_SERVICES.items() if engine.startswith(k)), "")
            self.e.names[key] = ident
            self.e.computes[key] = Compute(
                key,
                "aws_db_instance",
                placements,
                True,
                ident,
                self.loc(key),
                PortSet.tcp(port) if isinstance(port, int) else None,
                (svc,) if svc else (),
            )

    def private_ips(self) -> dict[str, str]:
        """Private IPv4 address -> the compute (instance or free interface) that holds it."""
        out: dict[str, str] = {}

        def add(owner: str, ni: dict[str, Any]) -> None:
            for a in [ni, *_dicts(ni.get("PrivateIpAddresses"))]:
                if isinstance(a.get("PrivateIpAddress"), str) and a["PrivateIpAddress"]:
                    out[a["PrivateIpAddress"]] = owner

        for res in _dicts(self.data.get("Reservations")):
            for inst in _dicts(res.get("Instances")):
                iid = str(inst.get("InstanceId", ""))
                if iid in self.e.computes:
                    add(iid, inst)
                    for ni in _dicts(inst.get("NetworkInterfaces")):
                        add(iid, ni)
        for n in _dicts(self.data.get("NetworkInterfaces")):
            eni = str(n.get("NetworkInterfaceId", ""))
            att = n.get("Attachment") if isinstance(n.get("Attachment"), dict) else {}
            assert isinstance(att, dict)
            owner = eni if eni in self.e.computes else str(att.get("InstanceId") or "")
            if owner in self.e.computes:
                add(owner, n)
        return out

    def load_balancers(self) -> None:
        ips = self.private_ips()
        targets: dict[str, list[tuple[str, int | None]]] = {}
        for th in _dicts(self.data.get("TargetHealth")):
            for desc in _dicts(th.get("TargetHealthDescriptions")):
                t = desc.get("Target") if isinstance(desc.get("Target"), dict) else {}
                assert isinstance(t, dict)
                if t.get("Id"):
                    port = t.get("Port") if isinstance(t.get("Port"), int) else None
                    tid = ips.get(str(t["Id"]), str(t["Id"]))  # target_type "ip": the interface's owner
                    targets.setdefault(str(th.get("TargetGroupArn")), []).append((tid, port))
        for tg in _dicts(self.data.get("TargetGroups")):
            arn = str(tg.get("TargetGroupArn", ""))
            self.e.target_groups[arn] = TargetGroup(
                arn,
                tg.get("Port") if isinstance(tg.get("Port"), int) else None,
                str(tg.get("Protocol") or "HTTP"),
                tuple(targets.get(arn, [])),
                self.loc(arn),
                str(tg.get("TargetType") or "instance"),
            )
            self.name(arn, tg, str(tg.get("TargetGroupName") or ""))
        rules: dict[str, list[str]] = {}
        for r in _dicts(self.data.get("ListenerRules")):
            rules.setdefault(str(r.get("ListenerArn")), []).extend(_forward(r.get("Actions")))
        listeners: dict[str, list[Listener]] = {}
        for ls in _dicts(self.data.get("Listeners")):
            port = ls.get("Port")
            if not isinstance(port, int):
                continue
            proto = str(ls.get("Protocol") or "HTTP").upper()
            ps = PortSet.udp(port) if proto == "UDP" else PortSet.tcp(port)
            if proto == "TCP_UDP":
                ps = PortSet.tcp(port) | PortSet.udp(port)
            arn = str(ls.get("ListenerArn", ""))
            tgs = _forward(ls.get("DefaultActions")) + rules.get(arn, [])
            listeners.setdefault(str(ls.get("LoadBalancerArn")), []).append(
                Listener(ps, tuple(dict.fromkeys(tgs)), self.loc(arn))
            )
        for lb in _dicts(self.data.get("LoadBalancersV2")):
            arn = str(lb.get("LoadBalancerArn", ""))
            subnets = tuple(str(z.get("SubnetId")) for z in _dicts(lb.get("AvailabilityZones")) if z.get("SubnetId"))
            name = str(lb.get("LoadBalancerName") or "")
            self.e.names[arn] = name
            self.e.load_balancers[arn] = LoadBalancer(
                arn,
                str(lb.get("Type") or "application"),
                lb.get("Scheme") == "internal",
                subnets,
                tuple(str(g) for g in _list(lb.get("SecurityGroups"))),
                tuple(listeners.get(arn, [])),
                self.loc(arn),
                name,
            )
        for lb in _dicts(self.data.get("ClassicLoadBalancers")):
            name = str(lb.get("LoadBalancerName") or "")
            arn = f"arn:aws:elasticloadbalancing:{self.region}:{self.account}:loadbalancer/{name}"
            instances = [str(i.get("InstanceId")) for i in _dicts(lb.get("Instances")) if i.get("InstanceId")]
            cls_listeners: list[Listener] = []
            for i, desc in enumerate(_dicts(lb.get("ListenerDescriptions"))):
                li = desc.get("Listener") if isinstance(desc.get("Listener"), dict) else {}
                assert isinstance(li, dict)
                lp, ip = li.get("LoadBalancerPort"), li.get("InstancePort")
                if not isinstance(lp, int):
                    continue
                ipn = ip if isinstance(ip, int) else None
                tg_id = f"{arn}/listener/{i}"
                self.e.target_groups[tg_id] = TargetGroup(
                    tg_id, ipn, "TCP", tuple((x, ipn) for x in instances), self.loc(tg_id)
                )
                cls_listeners.append(Listener(PortSet.tcp(lp), (tg_id,), self.loc(tg_id)))
            self.e.names[arn] = name
            self.e.load_balancers[arn] = LoadBalancer(
                arn,
                "classic",
                lb.get("Scheme") == "internal",
                tuple(str(s) for s in _list(lb.get("Subnets"))),
                tuple(str(g) for g in _list(lb.get("SecurityGroups"))),
                tuple(cls_listeners),
                self.loc(arn),
                name,
            )

    def managed(self) -> None:
        for c in _dicts(self.data.get("EksClusters")):
            name = str(c.get("name") or "")
            arn = str(c.get("arn") or f"arn:aws:eks:{self.region}:{self.account}:cluster/{name}")
            vc = c.get("resourcesVpcConfig") if isinstance(c.get("resourcesVpcConfig"), dict) else {}
            assert isinstance(vc, dict)
            public = vc.get("endpointPublicAccess") is not False
            raw = vc.get("publicAccessCidrs")
            cidrs = self.cidrs(raw if isinstance(raw, list) else ["0.0.0.0/0"])
            self.e.names[arn] = name
            self.e.managed[arn] = ManagedEndpoint(
                arn, "aws_eks_cluster", public, cidrs, PortSet.tcp(443), self.loc(arn), name, ("kube-apiserver",)
            )


def _forward(actions: Any) -> list[str]:
    out: list[str] = []
    for act in _dicts(actions):
        if str(act.get("Type", "forward")).lower() != "forward":
            continue
        if isinstance(act.get("TargetGroupArn"), str):
            out.append(act["TargetGroupArn"])
        fc = act.get("ForwardConfig") if isinstance(act.get("ForwardConfig"), dict) else {}
        assert isinstance(fc, dict)
        out += [str(t["TargetGroupArn"]) for t in _dicts(fc.get("TargetGroups")) if t.get("TargetGroupArn")]
    return out


def convert(
    data: dict[str, Any], loc: Location, diagnostics: Diagnostics, region: str = "", account: str = ""
) -> Estate:
    return _Converter(data, loc, diagnostics, region, account).run()
