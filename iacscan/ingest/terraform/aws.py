"""Terraform AWS resources → :class:`~iacscan.ingest.aws.estate.Estate` → reachability facts.

This module is the Terraform layer's ``load(ctx)``: it loads every root module,
converts the AWS network resources of each root into a neutral estate, and
hands that to :mod:`iacscan.ingest.aws.reach`.  Identifiers are Terraform
addresses; references arrive as :class:`Ref` values and are resolved to the
address of the resource they name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
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
from iacscan.ingest.terraform import TfResource, TfRoot, load_terraform
from iacscan.ingest.terraform.values import Ref, Unknown
from iacscan.model.addr import CidrSet, parse_cidr
from iacscan.model.core import Model
from iacscan.model.ports import PortSet, canonical_protocol
from iacscan.source import Diagnostics, Location

# Resource types we model; anything else aws_* that touches networking is reported once as info.
KNOWN_NETWORK_TYPES = {
    "aws_vpc",
    "aws_vpc_ipv4_cidr_block_association",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_egress_only_internet_gateway",
    "aws_nat_gateway",
    "aws_eip",
    "aws_eip_association",
    "aws_route_table",
    "aws_route",
    "aws_route_table_association",
    "aws_main_route_table_association",
    "aws_default_route_table",
    "aws_network_acl",
    "aws_network_acl_rule",
    "aws_network_acl_association",
    "aws_default_network_acl",
    "aws_security_group",
    "aws_default_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_instance",
    "aws_network_interface",
    "aws_network_interface_sg_attachment",
    "aws_launch_template",
    "aws_autoscaling_group",
    "aws_lb",
    "aws_alb",
    "aws_lb_listener",
    "aws_alb_listener",
    "aws_lb_listener_rule",
    "aws_lb_target_group",
    "aws_alb_target_group",
    "aws_lb_target_group_attachment",
    "aws_alb_target_group_attachment",
    "aws_autoscaling_attachment",
    "aws_elb",
    "aws_db_instance",
    "aws_db_subnet_group",
    "aws_eks_cluster",
    "aws_eks_node_group",
    "aws_vpc_peering_connection",
    "aws_vpc_peering_connection_accepter",
}


def load(ctx: ScanContext) -> Model:
    if not any(f.suffix == ".tf" for f in ctx.files):
        return Model()
    roots = load_terraform(
        ctx.root,
        var_files=ctx.options.var_files,
        environ=ctx.options.environ,
        cache_dir=ctx.options.cache_dir,
        diagnostics=ctx.diagnostics,
        jobs=ctx.options.jobs,
    )
    model = Model()
    for root in roots:
        estate = convert(root, ctx.diagnostics)
        model.merge(analyse(estate, ctx.diagnostics))
    return model


# ---------------------------------------------------------------------------
# value helpers


def _unknown(v: Any) -> str | None:
    if isinstance(v, Unknown):
        return v.reason
    if isinstance(v, Ref):
        return f"{v.address}.{v.attr} (known after apply)"
    return None


def ref(v: Any) -> str | None:
    """The address a reference names, or a literal id string."""
    if isinstance(v, Ref):
        return v.address
    if isinstance(v, str) and v:
        return v
    return None


def refs(v: Any) -> tuple[list[str], list[str]]:
    """Addresses in a list of references, and the reasons of unknown ones."""
    out: list[str] = []
    unknown: list[str] = []
    if isinstance(v, Unknown):
        return [], [v.reason]
    for item in v if isinstance(v, list) else [v] if v is not None else []:
        r = ref(item)
        if r is not None:
            out.append(r)
        elif isinstance(item, Unknown):
            unknown.append(item.reason)
    return out, unknown


def boolean(v: Any, default: bool | None = False) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    if v is None:
        return default
    return None  # unknown


def integer(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            return None
    return None


def name_tag(attrs: dict[str, Any]) -> str:
    tags = attrs.get("tags")
    if isinstance(tags, dict):
        n = tags.get("Name")
        if isinstance(n, str):
            return n
    n = attrs.get("name")
    return n if isinstance(n, str) else ""


class _Converter:
    def __init__(self, root: TfRoot, diagnostics: Diagnostics) -> None:
        self.root = root
        self.d = diagnostics
        self.e = Estate(prefix=f"{root.name}:" if root.name else "")
        self.by_type: dict[str, list[TfResource]] = {}
        for r in root.resources:
            if r.mode == "managed":
                self.by_type.setdefault(r.type, []).append(r)
        self.by_address = {r.address: r for r in root.resources}
        self.group_names: dict[str, str] = {}  # security group address -> AWS group name
        self._ips: dict[str, str] | None = None  # private IP (or attached ENI) -> compute id
        # lookups by configured name (db subnet groups and target groups are often referenced by name)
        self.by_name: dict[tuple[str, str], str] = {}
        for r in root.resources:
            n = r.attrs.get("name")
            if isinstance(n, str):
                self.by_name[(r.type, n)] = r.address

    def of(self, *types: str) -> Iterable[TfResource]:
        for t in types:
            yield from self.by_type.get(t, [])

    def loc(self, r: TfResource, key: str = "") -> Location:
        line = r.attr_lines.get(key, 0) if key else 0
        return r.location.at(line, key) if line else r.location

    def cidrs(self, r: TfResource, values: Any, key: str) -> tuple[CidrSet, list[str]]:
        out = CidrSet()
        unknown: list[str] = []
        if values is None:
            return out, unknown
        if isinstance(values, (Unknown, Ref)):
            return out, [_unknown(values) or "?"]
        for v in values if isinstance(values, list) else [values]:
            if isinstance(v, str):
                try:
                    out = out | CidrSet.of(parse_cidr(v))
                except ValueError:
                    self.d.error(f"invalid CIDR {v!r} in {r.address}", self.loc(r, key), "invalid-cidr")
            elif v is not None:
                unknown.append(_unknown(v) or f"{r.address}.{key}")
        return out, unknown

    def ports(self, r: TfResource, proto: Any, lo: Any, hi: Any, key: str) -> tuple[PortSet, list[str]]:
        reasons = [x for x in (_unknown(proto), _unknown(lo), _unknown(hi)) if x]
        if reasons:
            return PortSet.all(), reasons
        p = canonical_protocol(str(proto if proto is not None else "-1"))
        if p is None:
            self.d.error(f"invalid protocol {proto!r} in {r.address}", self.loc(r, key), "invalid-port")
            return PortSet(), []
        if p == "all":
            return PortSet.all(), []
        if p in ("icmp", "icmpv6", "other"):
            return PortSet.proto(p), []
        a, b = integer(lo), integer(hi)
        if a is None or b is None:
            a = 0 if a is None else a
            b = 65535 if b is None else b
        if not (0 <= a <= 65535 and 0 <= b <= 65535) or a > b:
            if a == -1 or b == -1:
                return PortSet.proto(p), []
            self.d.error(f"invalid port range {lo}-{hi} in {r.address}", self.loc(r, key), "invalid-port")
            return PortSet(), []
        return PortSet.proto(p, a, b), []

    # -- conversion -------------------------------------------------------
    def run(self) -> Estate:
        self.vpcs()
        self.subnets()
        self.gateways()
        self.peerings()
        self.routes()
        self.nacls()
        self.groups()
        self.computes()
        self.identities()
        self.load_balancers()
        self.managed()
        return self.e

    def vpcs(self) -> None:
        for r in self.of("aws_vpc"):
            c, _unk = self.cidrs(r, r.attrs.get("cidr_block"), "cidr_block")
            self.e.vpcs[r.address] = Vpc(r.address, c, r.location, name_tag(r.attrs))
            if name_tag(r.attrs):
                self.e.names[r.address] = name_tag(r.attrs)
        for r in self.of("aws_vpc_ipv4_cidr_block_association"):
            vpc = ref(r.attrs.get("vpc_id"))
            c, _ = self.cidrs(r, r.attrs.get("cidr_block"), "cidr_block")
            if vpc in self.e.vpcs:
                old = self.e.vpcs[vpc]
                self.e.vpcs[vpc] = Vpc(old.id, old.cidrs | c, old.location, old.name)

    def subnets(self) -> None:
        for r in self.of("aws_subnet"):
            a = r.attrs
            c, unk = self.cidrs(r, a.get("cidr_block"), "cidr_block")
            c6, unk6 = self.cidrs(r, a.get("ipv6_cidr_block"), "ipv6_cidr_block")
            mp = boolean(a.get("map_public_ip_on_launch"), False)
            unknowns = unk + unk6
            if mp is None:
                unknowns.append(_unknown(a.get("map_public_ip_on_launch")) or "map_public_ip_on_launch")
            self.e.subnets[r.address] = Subnet(
                r.address,
                ref(a.get("vpc_id")) or "",
                c | c6,
                bool(mp),
                bool(c6) or boolean(a.get("assign_ipv6_address_on_creation"), False) is True,
                r.location,
                name_tag(a),
                tuple(unknowns),
            )

    def gateways(self) -> None:
        for t, kind in (
            ("aws_internet_gateway", "igw"),
            ("aws_egress_only_internet_gateway", "eigw"),
            ("aws_nat_gateway", "nat"),
        ):
            for r in self.of(t):
                a = r.attrs
                if kind == "nat" and a.get("connectivity_type") == "private":
                    kind = "private-nat"
                self.e.gateways[r.address] = Gateway(
                    r.address, kind, ref(a.get("vpc_id")) or "", ref(a.get("subnet_id")) or "", r.location
                )

    def peerings(self) -> None:
        """VPC peering connections, treated as active (accepted by ``auto_accept`` or an accepter)."""
        accepters: dict[str, list[str]] = {}
        for r in self.of("aws_vpc_peering_connection_accepter"):
            pcx = ref(r.attrs.get("vpc_peering_connection_id"))
            if pcx:
                accepters.setdefault(pcx, []).append(r.address)
        for r in self.of("aws_vpc_peering_connection"):
            vpc, peer = ref(r.attrs.get("vpc_id")), ref(r.attrs.get("peer_vpc_id"))
            if vpc and peer:
                self.e.peerings[r.address] = Peering(
                    r.address, vpc, peer, r.location, tuple(accepters.get(r.address, []))
                )

    def _route(self, r: TfResource, block: dict[str, Any], key: str) -> Route | None:
        dest_raw = block.get("cidr_block") or block.get("destination_cidr_block")
        dest6_raw = block.get("ipv6_cidr_block") or block.get("destination_ipv6_cidr_block")
        raw = dest_raw if dest_raw is not None else dest6_raw
        if raw is None:
            return None  # prefix-list destinations are not modelled
        dest, _unk = self.cidrs(r, raw, key)
        if not dest:
            return None
        prefix = next(iter(dest.networks())).prefixlen
        for attr, kind in (
            ("gateway_id", "igw"),
            ("egress_only_gateway_id", "eigw"),
            ("nat_gateway_id", "nat"),
            ("vpc_peering_connection_id", "peering"),
            ("transit_gateway_id", "tgw"),
            ("network_interface_id", "eni"),
            ("instance_id", "instance"),
            ("local_gateway_id", "other"),
            ("vpc_endpoint_id", "other"),
        ):
            v = block.get(attr)
            if v is None or v == "":
                continue
            target = ref(v) or ""
            if kind == "igw":
                gw = self.e.gateways.get(target)
                if gw is not None:
                    kind = gw.kind
                elif target == "local":
                    kind = "local"
                elif isinstance(v, str) and v.startswith("vgw-"):
                    kind = "other"
            return Route(dest, prefix, kind, target, self.loc(r, key))
        return Route(dest, prefix, "other", "", self.loc(r, key))

    def routes(self) -> None:
        vpc_of_default: dict[str, str] = {}
        for r in self.of("aws_route_table", "aws_default_route_table"):
            a = r.attrs
            vpc = ref(a.get("vpc_id")) or ""
            main = False
            if r.type == "aws_default_route_table":
                v = a.get("default_route_table_id")
                vpc = v.address if isinstance(v, Ref) else vpc
                main = True
                vpc_of_default[r.address] = vpc
            routes = []
            blocks = a.get("route")
            for i, b in enumerate(blocks if isinstance(blocks, list) else []):
                if isinstance(b, dict):
                    rt = self._route(r, b, f"route[{i}]")
                    if rt is not None:
                        routes.append(rt)
            self.e.route_tables[r.address] = RouteTable(r.address, vpc, tuple(routes), main, r.location)
        for r in self.of("aws_route"):
            rt_id = ref(r.attrs.get("route_table_id"))
            if rt_id is None:
                continue
            route = self._route(r, r.attrs, "destination_cidr_block")
            if route is None:
                continue
            old = self.e.route_tables.get(rt_id)
            if old is None:
                # the VPC's main table referenced as aws_vpc.x.main_route_table_id
                target = self.by_address.get(rt_id)
                if target is not None and target.type == "aws_vpc":
                    old = RouteTable(f"{rt_id}.main_route_table", rt_id, (), True, target.location)
                    rt_id = old.id
                else:
                    continue
            self.e.route_tables[rt_id] = RouteTable(old.id, old.vpc, (*old.routes, route), old.main, old.location)
        for r in self.of("aws_route_table_association"):
            s, t = ref(r.attrs.get("subnet_id")), ref(r.attrs.get("route_table_id"))
            if s and t:
                self.e.associations[s] = t
        for r in self.of("aws_main_route_table_association"):
            main_rt = ref(r.attrs.get("route_table_id")) or ""
            main_vpc = ref(r.attrs.get("vpc_id"))
            if main_rt in self.e.route_tables and main_vpc:
                for k, old in list(self.e.route_tables.items()):
                    if old.vpc == main_vpc and old.main:
                        self.e.route_tables[k] = RouteTable(old.id, old.vpc, old.routes, False, old.location)
                old = self.e.route_tables[main_rt]
                self.e.route_tables[main_rt] = RouteTable(old.id, old.vpc, old.routes, True, old.location)

    def _nacl_entry(self, r: TfResource, b: dict[str, Any], egress: bool, key: str) -> NaclEntry | None:
        rule_no = integer(b.get("rule_no", b.get("rule_number")))
        action = b.get("action", b.get("rule_action"))
        c4, u4 = self.cidrs(r, b.get("cidr_block"), key)
        c6, u6 = self.cidrs(r, b.get("ipv6_cidr_block"), key)
        ports, up = self.ports(r, b.get("protocol"), b.get("from_port"), b.get("to_port"), key)
        unknown = u4 + u6 + up + ([_unknown(action) or ""] if not isinstance(action, str) else [])
        if rule_no is None:
            self.d.warning(f"NACL entry without a known rule number in {r.address}", self.loc(r, key), "nacl")
            return None
        return NaclEntry(
            rule_no, egress, str(action).lower() == "allow", ports, c4 | c6, self.loc(r, key), "; ".join(unknown)
        )

    def nacls(self) -> None:
        for r in self.of("aws_network_acl", "aws_default_network_acl"):
            a = r.attrs
            vpc = ref(a.get("vpc_id")) or ""
            default = r.type == "aws_default_network_acl"
            if default:
                v = a.get("default_network_acl_id")
                vpc = v.address if isinstance(v, Ref) else vpc
            entries = []
            for blk, egress in (("ingress", False), ("egress", True)):
                items = a.get(blk)
                for i, b in enumerate(items if isinstance(items, list) else []):
                    if isinstance(b, dict):
                        e = self._nacl_entry(r, b, egress, f"{blk}[{i}]")
                        if e is not None:
                            entries.append(e)
            subnets, _ = refs(a.get("subnet_ids"))
            self.e.nacls[r.address] = Nacl(r.address, vpc, tuple(entries), tuple(subnets), default, r.location)
        for r in self.of("aws_network_acl_rule"):
            n = ref(r.attrs.get("network_acl_id"))
            if n is None:
                continue
            if n not in self.e.nacls:
                target = self.by_address.get(n)
                if target is None or target.type != "aws_vpc":
                    continue
                # aws_vpc.x.default_network_acl_id: rules added to the (otherwise allow-all) default NACL
                n = f"{n}.default_network_acl"
                if n not in self.e.nacls:
                    self.e.nacls[n] = Nacl(n, target.address, (), (), True, target.location)
            e = self._nacl_entry(r, r.attrs, boolean(r.attrs.get("egress"), False) is True, "")
            if e is not None:
                old = self.e.nacls[n]
                self.e.nacls[n] = Nacl(old.id, old.vpc, (*old.entries, e), old.subnets, old.default, old.location)
        for r in self.of("aws_network_acl_association"):
            n, s = ref(r.attrs.get("network_acl_id")), ref(r.attrs.get("subnet_id"))
            if n in self.e.nacls and s:
                old = self.e.nacls[n]
                self.e.nacls[n] = Nacl(old.id, old.vpc, old.entries, (*old.subnets, s), old.default, old.location)

    def _sg_rule(self, r: TfResource, b: dict[str, Any], egress: bool, key: str, group: str) -> SgRule:
        ports, unk = self.ports(r, b.get("protocol", b.get("ip_protocol")), b.get("from_port"), b.get("to_port"), key)
        c4, u4 = self.cidrs(r, b.get("cidr_blocks", b.get("cidr_ipv4")), key)
        c6, u6 = self.cidrs(r, b.get("ipv6_cidr_blocks", b.get("cidr_ipv6")), key)
        groups, ug = refs(
            b.get("security_groups") or b.get("source_security_group_id") or b.get("referenced_security_group_id") or []
        )
        self_ref = boolean(b.get("self"), False) is True
        if self_ref:
            groups.append(group)
        pl = b.get("prefix_list_ids") or b.get("prefix_list_id")
        unknowns = unk + u4 + u6 + ug
        if pl:
            unknowns.append(f"prefix list {pl if isinstance(pl, str) else 'ids'} of {r.address}")
        if unk:
            c4, c6 = CidrSet(), CidrSet()
        desc = b.get("description")
        return SgRule(
            egress,
            ports,
            c4 | c6,
            tuple(groups),
            self_ref,
            self.loc(r, key),
            tuple(unknowns),
            desc if isinstance(desc, str) else "",
        )

    def groups(self) -> None:
        rules: dict[str, list[SgRule]] = {}
        meta: dict[str, tuple[str, str, Location]] = {}
        for r in self.of("aws_security_group", "aws_default_security_group"):
            a = r.attrs
            vpc = ref(a.get("vpc_id")) or ""
            meta[r.address] = (vpc, name_tag(a) or r.name, r.location)
            gname = "default" if r.type == "aws_default_security_group" else a.get("name")
            if isinstance(gname, str) and gname:
                self.group_names[r.address] = gname
            lst = rules.setdefault(r.address, [])
            for blk, egress in (("ingress", False), ("egress", True)):
                items = a.get(blk)
                for i, b in enumerate(items if isinstance(items, list) else []):
                    if isinstance(b, dict):
                        lst.append(self._sg_rule(r, b, egress, f"{blk}[{i}]", r.address))
            if r.type == "aws_default_security_group" and vpc:
                self.e.default_groups[vpc] = r.address
        for r in self.of("aws_security_group_rule"):
            g = ref(r.attrs.get("security_group_id"))
            if g is None:
                continue
            kind = r.attrs.get("type")
            rules.setdefault(g, []).append(self._sg_rule(r, r.attrs, kind == "egress", "", g))
        for t, egress in (("aws_vpc_security_group_ingress_rule", False), ("aws_vpc_security_group_egress_rule", True)):
            for r in self.of(t):
                g = ref(r.attrs.get("security_group_id"))
                if g is not None:
                    rules.setdefault(g, []).append(self._sg_rule(r, r.attrs, egress, "", g))
        for g, lst in rules.items():
            vpc, name, location = meta.get(g, ("", g, Location("")))
            if g not in meta:
                continue  # rules for a group defined elsewhere: the group itself is unknown
            self.e.groups[g] = SecurityGroup(g, vpc, name, tuple(lst), location)
        # VPCs without a managed default SG: AWS's default allows members of itself and all egress.
        for vpc in self.e.vpcs:
            if vpc not in self.e.default_groups:
                gid = f"{vpc}.default_security_group"
                self.e.default_groups[vpc] = gid
                self.group_names[gid] = "default"
                self.e.groups[gid] = SecurityGroup(
                    gid,
                    vpc,
                    "default",
                    (
                        SgRule(False, PortSet.all(), CidrSet(), (gid,), True, self.e.vpcs[vpc].location),
                        SgRule(True, PortSet.all(), CidrSet.of("0.0.0.0/0"), (), False, self.e.vpcs[vpc].location),
                    ),
                    self.e.vpcs[vpc].location,
                )

    def _placement(
        self, subnet_v: Any, groups_v: Any, public_v: Any, ipv6: bool, owner: TfResource, extra_unknowns: list[str]
    ) -> Placement:
        subnet = ref(subnet_v) or ""
        unknowns = list(extra_unknowns)
        if subnet and subnet not in self.e.subnets:
            unknowns.append(f"subnet {subnet} of {owner.address} (not in this configuration)")
        if not subnet:
            unknowns.append(_unknown(subnet_v) or f"subnet of {owner.address} (default VPC)")
        groups, ug = refs(groups_v)
        unknowns.extend(ug)
        if not groups and subnet in self.e.subnets:
            dg = self.e.default_groups.get(self.e.subnets[subnet].vpc)
            if dg:
                groups = [dg]
        pub = boolean(public_v, None) if public_v is not None else None
        if public_v is not None and pub is None:
            unknowns.append(_unknown(public_v) or "associate_public_ip_address")
        return Placement(subnet, tuple(groups), pub, ipv6, tuple(unknowns))

    def computes(self) -> None:
        eip_targets: set[str] = set()
        for r in self.of("aws_eip"):
            for k in ("instance", "network_interface"):
                t = ref(r.attrs.get(k))
                if t:
                    eip_targets.add(t)
        for r in self.of("aws_eip_association"):
            for k in ("instance_id", "network_interface_id"):
                t = ref(r.attrs.get(k))
                if t:
                    eip_targets.add(t)
        enis: dict[str, TfResource] = {r.address: r for r in self.of("aws_network_interface")}
        extra_groups: dict[str, list[Any]] = {}
        for r in self.of("aws_network_interface_sg_attachment"):
            eni_id = ref(r.attrs.get("network_interface_id"))
            if eni_id:
                extra_groups.setdefault(eni_id, []).append(r.attrs.get("security_group_id"))

        def eni_groups(eni: TfResource) -> Any:
            base = eni.attrs.get("security_groups")
            extra = extra_groups.get(eni.address, [])
            return (base if isinstance(base, list) else []) + extra if extra else base

        lts = {r.address: r for r in self.of("aws_launch_template")}
        for r in self.of("aws_instance"):
            a = r.attrs
            ipv6 = bool(integer(a.get("ipv6_address_count")) or a.get("ipv6_addresses"))
            public: Any = True if r.address in eip_targets else a.get("associate_public_ip_address")
            groups: Any = a.get("vpc_security_group_ids") or a.get("security_groups")
            subnet = a.get("subnet_id")
            lt_unknowns: list[str] = []
            lt = a.get("launch_template")
            if isinstance(lt, list) and lt and isinstance(lt[0], dict):
                lt_res = lts.get(ref(lt[0].get("id")) or ref(lt[0].get("name")) or "")
                if lt_res is not None:
                    groups = groups or lt_res.attrs.get("vpc_security_group_ids")
                    ni = lt_res.attrs.get("network_interfaces")
                    if isinstance(ni, list) and ni and isinstance(ni[0], dict):
                        groups = groups or ni[0].get("security_groups")
                        subnet = subnet or ni[0].get("subnet_id")
                        if public is None:
                            public = ni[0].get("associate_public_ip_address")
            placements: list[Placement] = []
            nis = a.get("network_interface")
            if isinstance(nis, list) and nis:
                for ni in nis:
                    eni = enis.get((ref(ni.get("network_interface_id")) if isinstance(ni, dict) else None) or "")
                    if eni is not None:
                        pub = True if eni.address in eip_targets else None
                        placements.append(
                            self._placement(
                                eni.attrs.get("subnet_id"), eni.attrs.get("security_groups"), pub, False, r, []
                            )
                        )
            if not placements:
                placements.append(self._placement(subnet, groups, public, ipv6, r, lt_unknowns))
            self.e.computes[r.address] = Compute(
                r.address, "aws_instance", tuple(placements), False, name_tag(a), r.location
            )
            if name_tag(a):
                self.e.names[r.address] = name_tag(a)
        attached = {
            ref(ni.get("network_interface_id"))
            for r in self.of("aws_instance")
            for ni in (r.attrs.get("network_interface") or [])
            if isinstance(ni, dict)
        }
        for address, r in enis.items():
            if address in attached:
                continue
            pub = True if address in eip_targets else None
            p = self._placement(r.attrs.get("subnet_id"), eni_groups(r), pub, False, r, [])
            self.e.computes[address] = Compute(
                address, "aws_network_interface", (p,), False, name_tag(r.attrs), r.location
            )
        for r in self.of("aws_autoscaling_group"):
            a = r.attrs
            subnets, unk = refs(a.get("vpc_zone_identifier"))
            lt = a.get("launch_template")
            groups = None
            public = None
            if isinstance(lt, list) and lt and isinstance(lt[0], dict):
                lt_res = lts.get(ref(lt[0].get("id")) or ref(lt[0].get("name")) or "")
                if lt_res is not None:
                    groups = lt_res.attrs.get("vpc_security_group_ids")
                    ni = lt_res.attrs.get("network_interfaces")
                    if isinstance(ni, list) and ni and isinstance(ni[0], dict):
                        groups = groups or ni[0].get("security_groups")
                        public = ni[0].get("associate_public_ip_address")
            asg_placements = tuple(self._placement(s, groups, public, False, r, unk) for s in subnets)
            if asg_placements:
                self.e.computes[r.address] = Compute(
                    r.address, "aws_autoscaling_group", asg_placements, False, name_tag(a), r.location
                )
        for r in self.of("aws_eks_node_group"):
            a = r.attrs
            subnets, unk = refs(a.get("subnet_ids"))
            cluster_key = ref(a.get("cluster_name")) or ""
            cluster_key = self.by_name.get(("aws_eks_cluster", cluster_key), cluster_key)  # resolved .name
            cluster = self.by_address.get(cluster_key)
            groups_v: Any = []
            if cluster is not None:
                vc = cluster.attrs.get("vpc_config")
                if isinstance(vc, list) and vc and isinstance(vc[0], dict):
                    groups_v = vc[0].get("security_group_ids") or []
            lt = a.get("launch_template")
            if isinstance(lt, list) and lt and isinstance(lt[0], dict):
                lt_res = lts.get(ref(lt[0].get("id")) or ref(lt[0].get("name")) or "")
                if lt_res is not None and lt_res.attrs.get("vpc_security_group_ids"):
                    groups_v = lt_res.attrs.get("vpc_security_group_ids")
            unk = [*unk, f"the EKS cluster security group of {r.address}"]
            eks_placements = tuple(self._placement(s, groups_v, None, False, r, unk) for s in subnets)
            if eks_placements:
                self.e.computes[r.address] = Compute(
                    r.address, "aws_eks_node_group", eks_placements, False, name_tag(a), r.location
                )
        subnet_groups: dict[str, list[str]] = {}
        for r in self.of("aws_db_subnet_group"):
            s, _ = refs(r.attrs.get("subnet_ids"))
            subnet_groups[r.address] = s
        for r in self.of("aws_db_instance"):
            a = r.attrs
            engine = a.get("engine") if isinstance(a.get("engine"), str) else ""
            assert isinstance(engine, str)
            port = integer(a.get("port")) or DB_PORTS.get(engine, 0) or None
            sg_key = ref(a.get("db_subnet_group_name")) or ""
            if ("aws_db_subnet_group", sg_key) in self.by_name:
                sg_key = self.by_name[("aws_db_subnet_group", sg_key)]
            subnets = subnet_groups.get(sg_key, [])
            pub = boolean(a.get("publicly_accessible"), False)
            unknowns = [] if pub is not None else [_unknown(a.get("publicly_accessible")) or "publicly_accessible"]
            db_placements = tuple(
                self._placement(
                    s, a.get("vpc_security_group_ids"), pub if pub is not None else None, False, r, unknowns
                )
                for s in subnets
            ) or (self._placement(None, a.get("vpc_security_group_ids"), pub, False, r, unknowns),)
            svc = next((v for k, v in DB_SERVICES.items() if engine.startswith(k)), "")
            self.e.computes[r.address] = Compute(
                r.address,
                "aws_db_instance",
                db_placements,
                True,
                a.get("identifier") or "",
                r.location,
                PortSet.tcp(port) if port else None,
                (svc,) if svc else (),
            )

    def identities(self) -> None:
        """Identity attributes for live confirmation (Name tag, group names, ASG / node group names)."""
        keys = {"aws_autoscaling_group": ("asg", "name"), "aws_eks_node_group": ("eks", "node_group_name")}
        keys["aws_db_instance"] = ("db", "identifier")
        for cid, c in list(self.e.computes.items()):
            r = self.by_address.get(cid)
            ident: list[tuple[str, str]] = []
            if r is not None:
                tag = r.attrs.get("tags")
                if isinstance(tag, dict) and isinstance(tag.get("Name"), str) and tag["Name"]:
                    ident.append(("name", tag["Name"]))
                if r.type in keys:
                    k, attr = keys[r.type]
                    v = r.attrs.get(attr)
                    if isinstance(v, str) and v:
                        ident.append((k, v))
            ident.extend(sg_identity(self.e, c.placements, self.group_names))
            self.e.computes[cid] = replace(c, identity=tuple(ident))

    def load_balancers(self) -> None:
        tgs: dict[str, list[tuple[str, int | None]]] = {}
        for r in self.of("aws_lb_target_group_attachment", "aws_alb_target_group_attachment"):
            tg = ref(r.attrs.get("target_group_arn"))
            tgt = ref(r.attrs.get("target_id")) or self._unknown_owner(r.attrs.get("target_id"))
            if tg and tgt:
                tgs.setdefault(tg, []).append((tgt, integer(r.attrs.get("port"))))
        for r in self.of("aws_autoscaling_attachment"):
            tg = ref(r.attrs.get("lb_target_group_arn") or r.attrs.get("alb_target_group_arn"))
            asg = ref(r.attrs.get("autoscaling_group_name"))
            if tg and asg:
                tgs.setdefault(tg, []).append((asg, None))
        for r in self.of("aws_autoscaling_group"):
            for tg in refs(r.attrs.get("target_group_arns"))[0]:
                tgs.setdefault(tg, []).append((r.address, None))
        for r in self.of("aws_lb_target_group", "aws_alb_target_group"):
            a = r.attrs
            self.e.target_groups[r.address] = TargetGroup(
                r.address,
                integer(a.get("port")),
                str(a.get("protocol") or "HTTP"),
                tuple((self._target(t, r), port) for t, port in tgs.get(r.address, [])),
                r.location,
                str(a.get("target_type") or "instance"),
            )
        listeners: dict[str, list[Listener]] = {}
        for r in self.of("aws_lb_listener", "aws_alb_listener"):
            a = r.attrs
            lb = ref(a.get("load_balancer_arn"))
            port = integer(a.get("port"))
            if lb is None or port is None:
                continue
            proto = str(a.get("protocol") or "HTTP").upper()
            ps = PortSet.udp(port) if proto in ("UDP",) else PortSet.tcp(port)
            if proto == "TCP_UDP":
                ps = PortSet.tcp(port) | PortSet.udp(port)
            targets = self._forward_targets(a.get("default_action"))
            for rule in self.of("aws_lb_listener_rule"):
                if ref(rule.attrs.get("listener_arn")) == r.address:
                    targets += self._forward_targets(rule.attrs.get("action"))
            listeners.setdefault(lb, []).append(Listener(ps, tuple(dict.fromkeys(targets)), r.location))
        for r in self.of("aws_lb", "aws_alb"):
            a = r.attrs
            subnets, unk = refs(a.get("subnets"))
            for m in a.get("subnet_mapping") or []:
                if isinstance(m, dict) and ref(m.get("subnet_id")):
                    subnets.append(ref(m.get("subnet_id")) or "")
            groups, ug = refs(a.get("security_groups"))
            internal = boolean(a.get("internal"), False)
            unknowns = unk + ug + ([] if internal is not None else [_unknown(a.get("internal")) or "internal"])
            self.e.load_balancers[r.address] = LoadBalancer(
                r.address,
                str(a.get("load_balancer_type") or "application"),
                bool(internal),
                tuple(subnets),
                tuple(groups),
                tuple(listeners.get(r.address, [])),
                r.location,
                name_tag(a),
                tuple(unknowns),
            )
        for r in self.of("aws_elb"):
            a = r.attrs
            subnets, unk = refs(a.get("subnets"))
            groups, ug = refs(a.get("security_groups"))
            instances, _ = refs(a.get("instances"))
            ls = []
            for i, blk in enumerate(a.get("listener") or []):
                if not isinstance(blk, dict):
                    continue
                lp, ip = integer(blk.get("lb_port")), integer(blk.get("instance_port"))
                if lp is None:
                    continue
                tg_id = f"{r.address}.listener[{i}]"
                self.e.target_groups[tg_id] = TargetGroup(
                    tg_id, ip, "TCP", tuple((x, ip) for x in instances), self.loc(r, f"listener[{i}]")
                )
                ls.append(Listener(PortSet.tcp(lp), (tg_id,), self.loc(r, f"listener[{i}]")))
            self.e.load_balancers[r.address] = LoadBalancer(
                r.address,
                "classic",
                boolean(a.get("internal"), False) is True,
                tuple(subnets),
                tuple(groups),
                tuple(ls),
                r.location,
                name_tag(a),
                tuple(unk + ug),
            )

    def _target(self, target: str, tg: TfResource) -> str:
        """A target group target as a compute id: targets registered by IP address (``target_type =
        "ip"``) are the instance or interface holding that private IP; an interface attached to an
        instance is that instance.  Unmatched IPs (pods, tasks, other networks) stay as they are."""
        if target in self.e.computes:
            return target
        owner = self._ip_owners().get(target)
        if owner is None:
            if target.count(".") == 3 and target.replace(".", "").isdigit():
                self.d.info(
                    f"{tg.address}: target IP {target} is not a private IP of this configuration; not analysed",
                    tg.location,
                    "lb-ip-target",
                )
            return target
        return owner

    def _unknown_owner(self, v: Any) -> str | None:
        """``aws_instance.x.private_ip`` (known after apply) still names its compute."""
        if isinstance(v, Unknown):
            head = v.reason.split(" ", 1)[0]
            return next((c for c in self.e.computes if head.startswith(c + ".")), None)
        return None

    def _ip_owners(self) -> dict[str, str]:
        if self._ips is None:
            ips: dict[str, str] = {}
            for r in self.of("aws_instance"):
                for ni in r.attrs.get("network_interface") or []:
                    eni = ref(ni.get("network_interface_id")) if isinstance(ni, dict) else None
                    if eni:
                        ips[eni] = r.address
            for r in self.of("aws_network_interface", "aws_instance"):
                a = r.attrs
                owner = ips.get(r.address, r.address)
                for key in ("private_ip", "private_ips", "secondary_private_ips", "private_ip_list"):
                    v = a.get(key)
                    for ip in v if isinstance(v, list) else [v]:
                        if isinstance(ip, str) and ip:
                            ips[ip] = owner
            self._ips = {k: v for k, v in ips.items() if v in self.e.computes}
        return self._ips

    def _forward_targets(self, actions: Any) -> list[str]:
        out: list[str] = []
        for act in actions if isinstance(actions, list) else []:
            if not isinstance(act, dict) or act.get("type") not in ("forward", None):
                continue
            tg = ref(act.get("target_group_arn"))
            if tg:
                out.append(tg)
            for fwd in act.get("forward") or []:
                if isinstance(fwd, dict):
                    for t in fwd.get("target_group") or []:
                        if isinstance(t, dict) and ref(t.get("arn")):
                            out.append(ref(t.get("arn")) or "")
        return out

    def managed(self) -> None:
        for r in self.of("aws_eks_cluster"):
            vc = r.attrs.get("vpc_config")
            cfg = vc[0] if isinstance(vc, list) and vc and isinstance(vc[0], dict) else {}
            public = boolean(cfg.get("endpoint_public_access"), True)
            raw = cfg.get("public_access_cidrs")
            cidrs, unk = self.cidrs(r, raw if raw is not None else ["0.0.0.0/0"], "vpc_config[0]")
            unknowns = unk + ([] if public is not None else [_unknown(cfg.get("endpoint_public_access")) or "?"])
            self.e.managed[r.address] = ManagedEndpoint(
                r.address,
                "aws_eks_cluster",
                public is not False,
                cidrs,
                PortSet.tcp(443),
                self.loc(r, "vpc_config[0]"),
                str(r.attrs.get("name") or r.name),
                ("kube-apiserver",),
                tuple(unknowns),
            )


def convert(root: TfRoot, diagnostics: Diagnostics) -> Estate:
    return _Converter(root, diagnostics).run()
