"""Read-only AWS collection with boto3 → a versioned snapshot (``iacscan/aws-snapshot/v1``).

Only Describe/List/Get calls are made (the list is :data:`OPERATIONS`, mirrored by
``docs/aws-iam-policy.json``).  Every paginated call is paginated; throttling is
retried by botocore's adaptive retry mode; regions run concurrently; a denied or
unavailable call becomes a diagnostic in the snapshot and the rest is still collected.

The snapshot keeps the raw API shapes, minus anything that looks like a credential
(:func:`scrub`).  boto3 is imported inside functions: a static scan never loads it.
"""

from __future__ import annotations

import datetime as _dt
import functools
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TextIO

SCHEMA = "iacscan/aws-snapshot/v1"

# (service, operation name as in the IAM policy): every API call the collector may make.
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("sts", "GetCallerIdentity"),
    ("ec2", "DescribeRegions"),
    ("ec2", "DescribeVpcs"),
    ("ec2", "DescribeSubnets"),
    ("ec2", "DescribeRouteTables"),
    ("ec2", "DescribeInternetGateways"),
    ("ec2", "DescribeEgressOnlyInternetGateways"),
    ("ec2", "DescribeNatGateways"),
    ("ec2", "DescribeAddresses"),
    ("ec2", "DescribeNetworkAcls"),
    ("ec2", "DescribeSecurityGroups"),
    ("ec2", "DescribeSecurityGroupRules"),
    ("ec2", "DescribeNetworkInterfaces"),
    ("ec2", "DescribeInstances"),
    ("ec2", "DescribeManagedPrefixLists"),
    ("ec2", "GetManagedPrefixListEntries"),
    ("ec2", "DescribeVpcPeeringConnections"),
    ("elasticloadbalancing", "DescribeLoadBalancers"),
    ("elasticloadbalancing", "DescribeListeners"),
    ("elasticloadbalancing", "DescribeRules"),
    ("elasticloadbalancing", "DescribeTargetGroups"),
    ("elasticloadbalancing", "DescribeTargetHealth"),
    ("rds", "DescribeDBInstances"),
    ("eks", "ListClusters"),
    ("eks", "DescribeCluster"),
)

# EC2 list operations: (client method, result key); all paginated.
_EC2_LISTS: tuple[tuple[str, str], ...] = (
    ("describe_vpcs", "Vpcs"),
    ("describe_subnets", "Subnets"),
    ("describe_route_tables", "RouteTables"),
    ("describe_internet_gateways", "InternetGateways"),
    ("describe_egress_only_internet_gateways", "EgressOnlyInternetGateways"),
    ("describe_nat_gateways", "NatGateways"),
    ("describe_network_acls", "NetworkAcls"),
    ("describe_security_groups", "SecurityGroups"),
    ("describe_security_group_rules", "SecurityGroupRules"),
    ("describe_network_interfaces", "NetworkInterfaces"),
    ("describe_instances", "Reservations"),
    ("describe_managed_prefix_lists", "PrefixLists"),
    ("describe_vpc_peering_connections", "VpcPeeringConnections"),
)

# Keys never written to a snapshot (case-insensitive substrings), whatever the service returns.
_SECRET_MARKERS = ("password", "secret", "token", "credential", "privatekey", "certificateauthority", "userdata")
DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthFailure",
    "OptInRequired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
}


def _get(method: Callable[..., Any], key: str, **kwargs: Any) -> Any:
    return method(**kwargs).get(key)


def scrub(value: Any) -> Any:
    """Raw API data without credential-like keys, with datetimes as ISO strings."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "ResponseMetadata":
                continue
            low = str(k).lower()
            if any(m in low for m in _SECRET_MARKERS):
                continue
            out[str(k)] = scrub(v)
        return out
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


@dataclass
class CollectOptions:
    profile: str | None = None
    regions: tuple[str, ...] = ()
    all_regions: bool = False
    endpoint_url: str | None = None
    max_workers: int = 8


@dataclass
class _Progress:
    """A progress bar on stderr (a bar on a terminal, one line per region otherwise)."""

    total: int
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    done: int = 0
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self) -> None:
        with self.lock:
            self.calls += 1
            self._draw("")

    def region_done(self, region: str) -> None:
        with self.lock:
            self.done += 1
            self._draw(region)

    def _draw(self, region: str) -> None:
        width = 30
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (width - filled)
        if self.stream.isatty():
            self.stream.write(f"\rcollect aws [{bar}] {self.done}/{self.total} regions, {self.calls} calls")
            if self.done == self.total and region:
                self.stream.write("\n")
            self.stream.flush()
        elif region:
            self.stream.write(f"collect aws [{bar}] {self.done}/{self.total} regions ({region} done)\n")
            self.stream.flush()


class _Region:
    def __init__(self, session: Any, region: str, opts: CollectOptions, prog: _Progress | None) -> None:
        from botocore.config import Config

        self.session = session
        self.region = region
        self.opts = opts
        self.prog = prog
        self.config = Config(retries={"mode": "adaptive", "max_attempts": 10}, region_name=region)
        self.data: dict[str, Any] = {}
        self.diagnostics: list[dict[str, str]] = []

    def client(self, service: str) -> Any:
        return self.session.client(service, config=self.config, endpoint_url=self.opts.endpoint_url)

    def guarded(self, service: str, operation: str, fn: Callable[[], Any]) -> Any:
        """Run one call; an access error or an unavailable service becomes a diagnostic."""
        from botocore.exceptions import BotoCoreError, ClientError

        if self.prog is not None:
            self.prog.call()
        try:
            return fn()
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code = str(err.get("Code", "ClientError"))
            kind = "access-denied" if code in DENIED else "api-error"
            self.diagnostics.append(
                {
                    "region": self.region,
                    "service": service,
                    "operation": operation,
                    "code": kind,
                    "message": f"{code}: {err.get('Message', '')}"[:500],
                }
            )
        except BotoCoreError as exc:
            self.diagnostics.append(
                {
                    "region": self.region,
                    "service": service,
                    "operation": operation,
                    "code": "unavailable",
                    "message": f"{type(exc).__name__}: {exc}"[:500],
                }
            )
        return None

    def paginate(self, client: Any, method: str, key: str, **kwargs: Any) -> list[Any] | None:
        def run() -> list[Any]:
            items: list[Any] = []
            for page in client.get_paginator(method).paginate(**kwargs):
                items.extend(page.get(key, []))
            return items

        op = str(client.meta.method_to_api_mapping.get(method, method))
        result: list[Any] | None = self.guarded(client.meta.service_model.endpoint_prefix, op, run)
        return result

    def collect(self) -> dict[str, Any]:
        ec2 = self.client("ec2")
        out: dict[str, Any] = {}
        for method, key in _EC2_LISTS:
            items = self.paginate(ec2, method, key)
            if items is not None:
                out[key] = scrub(items)
        addresses = self.guarded("ec2", "DescribeAddresses", lambda: ec2.describe_addresses().get("Addresses", []))
        if addresses is not None:
            out["Addresses"] = scrub(addresses)
        entries: dict[str, Any] = {}
        for pl in out.get("PrefixLists", []):
            pid = pl.get("PrefixListId")
            if not pid or pl.get("OwnerId") == "AWS":
                continue  # AWS-managed lists name service ranges; they stay unknown
            got = self.paginate(ec2, "get_managed_prefix_list_entries", "Entries", PrefixListId=pid)
            if got is not None:
                entries[pid] = scrub(got)
        out["PrefixListEntries"] = entries
        self.elbv2(out)
        self.elb(out)
        rds = self.client("rds")
        dbs = self.paginate(rds, "describe_db_instances", "DBInstances")
        if dbs is not None:
            out["DBInstances"] = scrub(dbs)
        self.eks(out)
        return out

    def elbv2(self, out: dict[str, Any]) -> None:
        c = self.client("elbv2")
        lbs = self.paginate(c, "describe_load_balancers", "LoadBalancers")
        if lbs is None:
            return
        out["LoadBalancersV2"] = scrub(lbs)
        listeners: list[Any] = []
        rules: list[Any] = []
        for lb in lbs:
            got = self.paginate(c, "describe_listeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"])
            for ls in got or []:
                listeners.append(ls)
                arn = ls["ListenerArn"]
                rs = self.guarded(
                    "elasticloadbalancing",
                    "DescribeRules",
                    functools.partial(_get, c.describe_rules, "Rules", ListenerArn=arn),
                )
                for r in rs or []:
                    rules.append({"ListenerArn": arn, **r})
        out["Listeners"] = scrub(listeners)
        out["ListenerRules"] = scrub(rules)
        tgs = self.paginate(c, "describe_target_groups", "TargetGroups")
        if tgs is None:
            return
        out["TargetGroups"] = scrub(tgs)
        health: list[Any] = []
        for tg in tgs:
            arn = tg["TargetGroupArn"]
            th = self.guarded(
                "elasticloadbalancing",
                "DescribeTargetHealth",
                functools.partial(_get, c.describe_target_health, "TargetHealthDescriptions", TargetGroupArn=arn),
            )
            if th is not None:
                health.append({"TargetGroupArn": arn, "TargetHealthDescriptions": scrub(th)})
        out["TargetHealth"] = health

    def elb(self, out: dict[str, Any]) -> None:
        c = self.client("elb")
        lbs = self.paginate(c, "describe_load_balancers", "LoadBalancerDescriptions")
        if lbs is not None:
            out["ClassicLoadBalancers"] = scrub(lbs)

    def eks(self, out: dict[str, Any]) -> None:
        c = self.client("eks")
        names = self.paginate(c, "list_clusters", "clusters")
        if names is None:
            return
        clusters = []
        for n in names:
            got = self.guarded("eks", "DescribeCluster", functools.partial(_get, c.describe_cluster, "cluster", name=n))
            if got:
                clusters.append(scrub(got))
        out["EksClusters"] = clusters


def collect(opts: CollectOptions, progress: bool = True) -> dict[str, Any]:
    """Collect the estate of every requested region into a snapshot document."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    def session() -> Any:
        return boto3.session.Session(profile_name=opts.profile) if opts.profile else boto3.session.Session()

    base = session()
    diagnostics: list[dict[str, str]] = []
    account = ""
    home = opts.regions[0] if opts.regions else (base.region_name or "us-east-1")
    cfg = Config(retries={"mode": "adaptive", "max_attempts": 10}, region_name=home)
    try:
        sts = base.client("sts", config=cfg, endpoint_url=opts.endpoint_url)
        account = str(sts.get_caller_identity().get("Account", ""))
    except (ClientError, BotoCoreError) as exc:
        diagnostics.append(
            {
                "region": home,
                "service": "sts",
                "operation": "GetCallerIdentity",
                "code": "api-error",
                "message": str(exc)[:500],
            }
        )
    regions: list[str] = list(opts.regions)
    if opts.all_regions:
        try:
            ec2 = base.client("ec2", config=cfg, endpoint_url=opts.endpoint_url)
            got = ec2.describe_regions().get("Regions", [])
            regions = sorted({str(r["RegionName"]) for r in got} | set(regions))
        except (ClientError, BotoCoreError) as exc:
            diagnostics.append(
                {
                    "region": home,
                    "service": "ec2",
                    "operation": "DescribeRegions",
                    "code": "api-error",
                    "message": str(exc)[:500],
                }
            )
    if not regions:
        regions = [home]
    prog = _Progress(len(regions)) if progress else None

    def one(region: str) -> tuple[str, dict[str, Any], list[dict[str, str]]]:
        r = _Region(session(), region, opts, prog)  # one session per thread: sessions are not thread-safe
        data = r.collect()
        if prog is not None:
            prog.region_done(region)
        return region, data, r.diagnostics

    results: dict[str, Any] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(opts.max_workers, len(regions)))) as pool:
        for region, data, diags in pool.map(one, regions):
            results[region] = data
            diagnostics.extend(diags)
    return {
        "schema": SCHEMA,
        "account": account,
        "collected_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "regions": results,
        "diagnostics": diagnostics,
    }


def collect_regions(regions: Sequence[str], endpoint_url: str | None = None) -> dict[str, Any]:
    """Convenience for tests and confirmation: collect the given regions without a progress bar."""
    return collect(CollectOptions(regions=tuple(regions), endpoint_url=endpoint_url), progress=False)
