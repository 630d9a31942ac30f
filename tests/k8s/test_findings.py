"""Findings of the Kubernetes layer over annotated fixtures: exact (rule, source, target, ports, file, line).

Fixture lines carry ``# NOT OK: slug[, slug]`` where a finding must point and ``# OK`` where none may.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from iacscan.ingest import ScanOptions
from iacscan.pipeline import scan
from iacscan.report.json_v1 import render

from .conftest import FIXTURES

Row = tuple[str, str, str, tuple[str, ...], str, int]
NODES_PORTS = ("tcp/10249-10250", "tcp/10255-10256")
IMDS = "169.254.169.254 (instance metadata service)"

EXPECTED: dict[str, list[Row]] = {
    "exposure": [
        ("classic-service-exposed", "cluster:workloads", "shop/jenkins[Deployment]", ("tcp/8080",), "shop.yaml", 88),
        ("classic-service-exposed", "internet", "shop/jenkins[Deployment]", ("tcp/8080",), "shop.yaml", 105),
        ("egress-unrestricted", "namespace:shop", "internet", ("all",), "shop.yaml", 2),
        ("host-service-reachable", "namespace:shop", IMDS, ("tcp/80",), "shop.yaml", 2),
        ("internet-exposed", "internet", "shop/api[Deployment]", ("tcp/8080",), "shop.yaml", 25),
        ("mgmt-api-lan", "lan", "shop/admin[Deployment]", ("tcp/9000",), "shop.yaml", 140),
        ("mgmt-api-lan", "namespace:shop", "k8s:nodes", NODES_PORTS, "shop.yaml", 2),
    ],
    "host": [
        ("host-service-reachable", "infra/agent[DaemonSet]", "node:docker-socket", (), "infra.yaml", 29),
        ("host-service-reachable", "infra/agent[DaemonSet]", "node:host-network", (), "infra.yaml", 18),
        ("host-service-reachable", "infra/agent[DaemonSet]", "node:host-pid", (), "infra.yaml", 19),
        ("host-service-reachable", "infra/agent[DaemonSet]", "node:host-port", (), "infra.yaml", 25),
        ("host-service-reachable", "infra/agent[DaemonSet]", "node:host-root-mount", (), "infra.yaml", 31),
    ],
    "tenants": [
        (
            "classic-service-exposed",
            "cluster:workloads",
            "beta/orders-db[StatefulSet]",
            ("tcp/5432",),
            "tenants.yaml",
            37,
        ),
        ("egress-unrestricted", "namespace:alpha", "internet", ("all",), "tenants.yaml", 2),
        ("egress-unrestricted", "namespace:beta", "internet", ("all",), "tenants.yaml", 6),
        ("host-service-reachable", "namespace:alpha", IMDS, ("tcp/80",), "tenants.yaml", 2),
        ("host-service-reachable", "namespace:beta", IMDS, ("tcp/80",), "tenants.yaml", 6),
        ("lateral-unrestricted", "cluster:workloads", "beta/orders-db[StatefulSet]", ("all",), "tenants.yaml", 37),
        ("lateral-unrestricted", "cluster:workloads", "beta/shop[Deployment]", ("all",), "tenants.yaml", 27),
        ("mgmt-api-lan", "namespace:alpha", "k8s:nodes", NODES_PORTS, "tenants.yaml", 2),
        ("mgmt-api-lan", "namespace:beta", "k8s:nodes", NODES_PORTS, "tenants.yaml", 6),
        ("tenant-network-shared", "team-a", "tenant:team-b", ("all",), "tenants.yaml", 6),
    ],
}


def rows(case: str) -> list[Row]:
    result = scan([FIXTURES / "findings" / case], ScanOptions())
    assert not result.diagnostics.items
    doc = json.loads(render(result.findings, []))
    return sorted(
        (f["rule"], f["source"], f["target"], tuple(f["ports"]), f["location"]["file"], f["location"]["line"])
        for f in doc["findings"]
    )


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_findings_exact(case: str) -> None:
    assert rows(case) == sorted(EXPECTED[case])


_MARK = re.compile(r"#\s*(NOT OK|OK)\b:?\s*([\w\-, ]*)")


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_annotations_agree(case: str) -> None:
    """Every ``# NOT OK: slug`` line has that finding, every finding is annotated, ``# OK`` lines have none."""
    found: dict[tuple[str, int], set[str]] = {}
    for rule, _s, _t, _p, file, line in rows(case):
        found.setdefault((file, line), set()).add(rule)
    marked: dict[tuple[str, int], set[str]] = {}
    ok_lines: set[tuple[str, int]] = set()
    for path in sorted((FIXTURES / "findings" / case).glob("*.yaml")):
        for n, text in enumerate(path.read_text().splitlines(), 1):
            m = _MARK.search(text)
            if not m:
                continue
            if m.group(1) == "OK":
                ok_lines.add((path.name, n))
            else:
                marked[(path.name, n)] = {s.strip() for s in m.group(2).split(",") if s.strip()}
    assert found == marked
    assert not ok_lines & set(found)


def test_allow_listed_database_is_not_exposed() -> None:
    """A database reachable only from the workloads a NetworkPolicy names yields no finding."""
    assert not [r for r in rows("exposure") if r[2] == "shop/db[Deployment]"]
    result = scan([FIXTURES / "findings" / "exposure"], ScanOptions())
    db = [r for r in result.model.reaches if r.target == "shop/db[Deployment]"]
    assert [(r.source, r.allow_listed, r.ports.to_strings()) for r in db] == [("namespace:shop", True, ["tcp/5432"])]


def test_one_finding_for_a_database_every_workload_reaches(tmp_path: Path) -> None:
    docs = []
    for i in range(40):
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app{i}, namespace: ns{i % 8}}}\n"
            f"spec: {{template: {{metadata: {{labels: {{app: app{i}}}}}, spec: {{containers: [{{name: c, image: x}}]}}}}}}\n"
        )
    docs.append(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db, namespace: data}\n"
        "spec: {template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, image: postgres:16}]}}}\n"
    )
    (tmp_path / "all.yaml").write_text("---\n".join(docs))
    result = scan([tmp_path], ScanOptions())
    classic = [f for f in result.findings if f.rule == "classic-service-exposed"]
    assert [(f.source, f.target) for f in classic] == [("cluster:workloads", "data/db[Deployment]")]
    assert len([f for f in result.findings if f.rule == "mgmt-api-lan"]) == 9  # one per namespace
