"""LoadBalancer Services, hostPort and hostNetwork pods through the bound nodes (fixtures/crosslayer-nodes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.ingest import ScanOptions
from iacscan.pipeline import ScanResult, scan

ROOT = Path(__file__).resolve().parents[2]
NODES = ROOT / "fixtures" / "crosslayer-nodes"
LB_UNKNOWN = "the security group rules the cloud controller adds for the load balancer"


@pytest.fixture(scope="module")
def lb() -> ScanResult:
    return scan([NODES / "lb"], ScanOptions())


@pytest.fixture(scope="module")
def hostport() -> ScanResult:
    return scan([NODES / "hostport"], ScanOptions())


def _rows(result: ScanResult) -> set[tuple[str, str, str, str, str, int, str]]:
    return {
        (f.rule, f.source, f.target, ",".join(f.port_strings), f.location.file, f.location.line, f.status.value)
        for f in result.findings
    }


def _path(result: ScanResult, rule: str, source: str, target: str) -> list[tuple[str, str, str, int]]:
    f = next(f for f in result.findings if (f.rule, f.source, f.target) == (rule, source, target))
    return [(h.node, h.kind, h.location.file, h.location.line) for h in f.path]


def _internet(result: ScanResult) -> set[tuple[str, str, str, str, str, int, str]]:
    return {r for r in _rows(result) if r[1] == "internet" and "[" in r[2] and not r[2].startswith("infra:")}


# -- LoadBalancer Services -------------------------------------------------------------------------


def test_public_lb_path_goes_through_the_node_sg_and_node(lb: ScanResult) -> None:
    assert ("internet-exposed", "internet", "shop/web[Deployment]", "tcp/8080", "k8s/shop.yaml", 18, "exposed") in (
        _rows(lb)
    )
    assert _path(lb, "internet-exposed", "internet", "shop/web[Deployment]") == [
        ("internet", "zone", "", 0),
        ("shop/web[Service]", "service", "k8s/shop.yaml", 20),
        ("infra:aws_security_group.nodes", "security-group", "infra/main.tf", 32),
        ("infra:aws_instance.node[0]", "host", "infra/main.tf", 46),
        ("shop/web[Deployment]", "endpoint", "k8s/shop.yaml", 2),
    ]


def test_public_lb_is_conditional_when_the_node_sgs_admit_nothing(lb: ScanResult) -> None:
    rows = _rows(lb)
    row = ("mgmt-api-internet", "internet", "shop/admin[Deployment]", "tcp/9000", "k8s/shop.yaml", 39, "conditional")
    assert row in rows
    f = next(f for f in lb.findings if f.target == "shop/admin[Deployment]" and f.source == "internet")
    assert list(f.unknowns) == [LB_UNKNOWN]
    assert _path(lb, "mgmt-api-internet", "internet", "shop/admin[Deployment]") == [
        ("internet", "zone", "", 0),
        ("shop/admin[Service]", "service", "k8s/shop.yaml", 41),
        ("infra:aws_instance.node[0]", "host", "infra/main.tf", 46),
        ("shop/admin[Deployment]", "endpoint", "k8s/shop.yaml", 23),
    ]
    assert "no security group rule of the nodes admits it" in f.path[2].allowed_by


def test_internal_lb_is_the_vpc_through_the_nodes(lb: ScanResult) -> None:
    assert ("classic-service-exposed", "lan", "shop/api[Deployment]", "tcp/7000", "k8s/shop.yaml", 63, "exposed") in (
        _rows(lb)
    )
    assert _path(lb, "classic-service-exposed", "lan", "shop/api[Deployment]") == [
        ("lan", "zone", "", 0),
        ("shop/api[Service]", "service", "k8s/shop.yaml", 65),
        ("infra:aws_security_group.nodes", "security-group", "infra/main.tf", 38),
        ("infra:aws_instance.node[0]", "host", "infra/main.tf", 46),
        ("shop/api[Deployment]", "endpoint", "k8s/shop.yaml", 44),
    ]
    # NodePort 31090 is open to the VPC only: no internet path to the internal LB's pods
    assert not [r for r in _rows(lb) if r[1] == "internet" and r[2] == "shop/api[Deployment]"]


def test_lb_without_node_ports_goes_straight_to_the_pods(lb: ScanResult) -> None:
    assert ("internet-exposed", "internet", "shop/direct[Deployment]", "tcp/6000", "k8s/shop.yaml", 84, "exposed") in (
        _rows(lb)
    )
    assert _path(lb, "internet-exposed", "internet", "shop/direct[Deployment]") == [
        ("internet", "zone", "", 0),
        ("shop/direct[Service]", "service", "k8s/shop.yaml", 87),
        ("shop/direct[Deployment]", "endpoint", "k8s/shop.yaml", 68),
    ]


def test_lb_internet_findings_are_exactly_these(lb: ScanResult) -> None:
    assert _internet(lb) == {
        ("internet-exposed", "internet", "shop/web[Deployment]", "tcp/8080", "k8s/shop.yaml", 18, "exposed"),
        ("mgmt-api-internet", "internet", "shop/admin[Deployment]", "tcp/9000", "k8s/shop.yaml", 39, "conditional"),
        ("internet-exposed", "internet", "shop/direct[Deployment]", "tcp/6000", "k8s/shop.yaml", 84, "exposed"),
    }


def test_lb_without_binding_keeps_the_kubernetes_path() -> None:
    res = scan([NODES / "lb" / "k8s"], ScanOptions())
    f = next(f for f in res.findings if f.source == "internet" and f.target == "shop/admin[Deployment]")
    assert f.status.value == "exposed"
    assert [h.node for h in f.path] == ["internet", "shop/admin[Service]", "shop/admin[Deployment]"]


# -- hostPort and hostNetwork ----------------------------------------------------------------------

OUTER = [
    ("internet", "zone", "", 0),
    ("infra:aws_internet_gateway.main", "gateway", "infra/main.tf", 6),
    ("infra:aws_subnet.public", "route", "infra/main.tf", 18),
    ("default NACL of aws_vpc.main", "nacl", "", 0),
]


def test_host_port_is_internet_exposed_through_the_node_sg(hostport: ScanResult) -> None:
    assert (
        "internet-exposed",
        "internet",
        "edge/proxy[DaemonSet]",
        "tcp/8080",
        "k8s/edge.yaml",
        14,
        "exposed",
    ) in _rows(hostport)
    assert _path(hostport, "internet-exposed", "internet", "edge/proxy[DaemonSet]") == [
        *OUTER,
        ("infra:aws_security_group.node", "security-group", "infra/main.tf", 31),
        ("infra:aws_instance.node", "host", "infra/main.tf", 51),
        ("edge/proxy[DaemonSet]", "endpoint", "k8s/edge.yaml", 14),
    ]


def test_host_network_pod_is_internet_exposed_through_the_node_sg(hostport: ScanResult) -> None:
    assert (
        "internet-exposed",
        "internet",
        "edge/metrics[DaemonSet]",
        "tcp/9100",
        "k8s/edge.yaml",
        39,
        "exposed",
    ) in _rows(hostport)
    assert _path(hostport, "internet-exposed", "internet", "edge/metrics[DaemonSet]") == [
        *OUTER,
        ("infra:aws_security_group.node", "security-group", "infra/main.tf", 37),
        ("infra:aws_instance.node", "host", "infra/main.tf", 51),
        ("edge/metrics[DaemonSet]", "endpoint", "k8s/edge.yaml", 39),
    ]


def test_host_port_open_to_the_vpc_only_stays_lan(hostport: ScanResult) -> None:
    assert not [r for r in _rows(hostport) if r[1] == "internet" and r[2] == "edge/admin[DaemonSet]"]
    lan = [r for r in hostport.model.reaches if r.target == "edge/admin[DaemonSet]" and r.source == "lan"]
    assert [(r.source_kind.value, r.ports.to_strings(), r.status.value) for r in lan] == [
        ("lan", ["tcp/8443"], "exposed")
    ]
    assert [(h.node, h.kind) for h in lan[0].path] == [
        ("infra:aws_vpc.main (10.0.0.0/16)", "zone"),
        ("infra:aws_security_group.node", "security-group"),
        ("infra:aws_instance.node", "host"),
        ("edge/admin[DaemonSet]", "endpoint"),
    ]


def test_host_internet_findings_are_exactly_these(hostport: ScanResult) -> None:
    assert _internet(hostport) == {
        ("internet-exposed", "internet", "edge/proxy[DaemonSet]", "tcp/8080", "k8s/edge.yaml", 14, "exposed"),
        ("internet-exposed", "internet", "edge/metrics[DaemonSet]", "tcp/9100", "k8s/edge.yaml", 39, "exposed"),
    }


def test_inferred_eks_binding_puts_the_node_group_in_the_lb_path() -> None:
    res = scan([NODES / "eks-lb"], ScanOptions())
    assert any(d.code == "binding-inferred" for d in res.diagnostics.items)
    assert {
        (f.rule, f.source, f.target, ",".join(f.port_strings), f.location.file, f.location.line, f.status.value)
        for f in res.findings
        if f.target == "lab/app[Deployment]" and f.source in ("internet", "lan")
    } == {("internet-exposed", "internet", "lab/app[Deployment]", "tcp/8080", "k8s/app.yaml", 18, "exposed")}
    f = next(f for f in res.findings if f.source == "internet" and f.target == "lab/app[Deployment]")
    assert [(h.node, h.kind, h.location.file, h.location.line) for h in f.path] == [
        ("internet", "zone", "", 0),
        ("lab/app[Service]", "service", "k8s/app.yaml", 20),
        ("terraform:aws_security_group.nodes", "security-group", "terraform/main.tf", 24),
        ("terraform:aws_eks_node_group.workers", "host", "terraform/main.tf", 37),
        ("lab/app[Deployment]", "endpoint", "k8s/app.yaml", 2),
    ]
    assert f.path[3].allowed_by == (
        "node of cluster lab: NodePort allocated in tcp/30000-32767, the load balancer's target"
    )
