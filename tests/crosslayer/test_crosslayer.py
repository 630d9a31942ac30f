"""Cross-layer binding, declared intent and `reach` on fixtures/crosslayer (Terraform + Kubernetes + compose)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from iacscan.commands.reach import render
from iacscan.config import Config
from iacscan.ingest import ScanOptions
from iacscan.intent import parse_flows
from iacscan.pipeline import ScanResult, scan
from iacscan.source import Diagnostics

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "crosslayer"
DEMO = ROOT / "fixtures" / "demo"


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan([FIXTURE], ScanOptions())


def _rows(result: ScanResult) -> set[tuple[str, str, str, str, str, int]]:
    return {
        (f.rule, f.source, f.target, ",".join(f.port_strings), f.location.file, f.location.line)
        for f in result.findings
    }


def test_nodeport_is_internet_exposed_through_the_node_security_group(result: ScanResult) -> None:
    rows = _rows(result)
    assert ("internet-exposed", "internet", "shop/web[Deployment]", "tcp/8080", "k8s/shop.yaml", 18) in rows
    # NodePort 30443 is not opened by the node SG: shop/admin stays a LAN exposure only
    assert not [r for r in rows if r[1] == "internet" and r[2] == "shop/admin[Deployment]"]
    f = next(f for f in result.findings if f.rule == "internet-exposed" and f.target == "shop/web[Deployment]")
    kinds = [h.kind for h in f.path]
    assert kinds == ["zone", "gateway", "route", "nacl", "security-group", "host", "service", "endpoint"]
    nodes = [h.node for h in f.path]
    assert nodes[0] == "internet"
    assert nodes[1] == "infra:aws_internet_gateway.main"
    assert nodes[4] == "infra:aws_security_group.nodes"
    assert nodes[5].startswith("infra:aws_instance.node[")
    assert nodes[6:] == ["shop/web[Service]", "shop/web[Deployment]"]
    sg = f.path[4]
    assert (sg.location.file, sg.location.line) == ("infra/main.tf", 31)


def test_compose_published_port_is_internet_exposed_through_the_host(result: ScanResult) -> None:
    rows = _rows(result)
    assert ("internet-exposed", "internet", "ops/app", "tcp/80", "ops/compose.yaml", 6) in rows
    assert not [r for r in rows if r[1] == "internet" and r[2] == "ops/cache" and r[0] != "intent-unreachable"]
    f = next(f for f in result.findings if f.rule == "internet-exposed" and f.target == "ops/app")
    assert [h.node for h in f.path][-4:] == [
        "infra:aws_security_group.docker",
        "infra:aws_instance.docker",
        "docker-host:8080/tcp",
        "ops/app",
    ]


def test_node_management_ports_target_the_real_nodes(result: ScanResult) -> None:
    targets = {r.target for r in result.model.reaches if r.source == "namespace:shop"}
    assert {"infra:aws_instance.node[0]", "infra:aws_instance.node[1]"} <= targets
    assert "k8s:nodes" not in targets


def test_intent_violations_and_unreachable_flows(result: ScanResult) -> None:
    rows = _rows(result)
    assert (
        "intent-violation",
        "shop/admin[Deployment]",
        "shop/db[Deployment]",
        "tcp/5432",
        "k8s/shop.yaml",
        44,
    ) in rows
    assert ("intent-violation", "lan", "ops/cache", "tcp/6379", "ops/compose.yaml", 10) in rows
    assert ("intent-unreachable", "internet", "ops/cache", "tcp/6379", ".iacscan.yml", 20) in rows
    # declared flows are not violations
    assert not [r for r in rows if r[0] == "intent-violation" and r[1:3] == ("internet", "shop/web[Deployment]")]
    assert not [
        r for r in rows if r[0] == "intent-violation" and r[1:3] == ("shop/web[Deployment]", "shop/db[Deployment]")
    ]
    assert not [r for r in rows if r[0] == "intent-unreachable" and "shop/web" in r[2]]


def test_bad_flows_become_diagnostics(tmp_path: Path) -> None:
    cfg = tmp_path / ".iacscan.yml"
    cfg.write_text(
        "flows:\n  - from: a\n    to: b\n    ports: [tcp/99999]\n  - 3\n  - {from: x, to: y, ports: [tcp/1]}\n"
    )
    diags = Diagnostics()
    flows = parse_flows(
        Config(
            path=cfg,
            raw={
                "flows": [
                    {"from": "a", "to": "b", "ports": ["tcp/99999"]},
                    3,
                    {"from": "x", "to": "y", "ports": ["tcp/1"]},
                ]
            },
        ),
        diags,
    )
    assert flows is not None and len(flows) == 1
    assert [(d.code, d.location.line) for d in diags.items] == [("config-flows", 2), ("config-flows", 5)]
    assert parse_flows(Config(), Diagnostics()) is None


def test_eks_binding_is_inferred_without_config() -> None:
    res = scan([DEMO / "terraform", DEMO / "k8s"], ScanOptions())
    assert any(d.code == "binding-inferred" for d in res.diagnostics.items)
    f = next(f for f in res.findings if f.source == "internet" and f.target == "shop/frontend[Deployment]")
    assert [h.node for h in f.path][-3:] == [
        "aws_eks_node_group.workers",
        "shop/frontend[Service]",
        "shop/frontend[Deployment]",
    ]


def test_demo_shows_a_cross_layer_path() -> None:
    res = scan([DEMO], ScanOptions())
    paths = [[h.node for h in f.path] for f in res.findings if f.target == "shop/frontend[Deployment]"]
    assert [
        "internet",
        "terraform:aws_internet_gateway.main",
        "terraform:aws_subnet.public[0]",
        "default NACL of aws_vpc.main",
        "terraform:aws_security_group.nodes",
        "terraform:aws_eks_node_group.workers",
        "shop/frontend[Service]",
        "shop/frontend[Deployment]",
    ] in paths


def _cli(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "iacscan", *args, "--no-cache"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


def test_reach_from_groups_by_service_category() -> None:
    out = _cli("reach", "fixtures/crosslayer", "--from", "namespace:shop")
    lines = out.splitlines()
    assert lines[0].startswith("From namespace:shop:")
    assert lines[2] == "== management APIs =="
    assert "namespace:shop => infra:aws_instance.node[0] : kubelet API" in lines[3]


def test_reach_from_to_prints_every_path_with_rules_and_locations() -> None:
    out = _cli("reach", "fixtures/crosslayer", "--from", "internet", "--to", "shop/web*")
    assert "path 1: internet => shop/web[Deployment] : tcp/8080" in out
    assert "  -> infra:aws_security_group.nodes — ingress tcp/30080 from 0.0.0.0/0  [infra/main.tf:31]" in out
    doc = json.loads(
        _cli("reach", "fixtures/crosslayer", "--from", "internet", "--to", "shop/web*", "--format", "json")
    )
    assert doc["schema"] == "iacscan/reach-paths/v1"
    assert {p["target"] for p in doc["paths"]} == {"shop/web[Deployment]"}


def test_reach_render_without_flags_stays_flat(result: ScanResult) -> None:
    args = argparse.Namespace(format="text", src="shop/web*", dst=None, port=None)
    assert all(" => " in line for line in render(result, args).splitlines())
