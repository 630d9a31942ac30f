"""AdminNetworkPolicy / BaselineAdminNetworkPolicy: fixtures with exact connectivity, parsing, oracle tier.

Each fixture under ``fixtures/k8s/anp/`` states its expected ``connlist`` lines in
``# expect:`` comments; the test compares the full set.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from iacscan.ingest import ScanOptions
from iacscan.k8s.anp import ALLOW, DENY, PASS, Verdict, ordered
from iacscan.model.ports import PortSet
from iacscan.pipeline import scan
from iacscan.report.connlist import connlist_lines

from .conftest import FIXTURES, REPO, SHARED

CASES = sorted((FIXTURES / "anp").glob("*.yaml"))
CHECK = SHARED / "oracles" / "netpol-analyzer" / "check.py"
ORACLE_TIER_MIN = 54  # cases of the admin-network-policy tier matched exactly (of 54)


def expected(path: Path) -> list[str]:
    return sorted(
        line.split("# expect: ", 1)[1].strip() for line in path.read_text().splitlines() if "# expect: " in line
    )


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_connectivity_exact(case: Path) -> None:
    result = scan([case], ScanOptions())
    assert not result.diagnostics.items
    assert connlist_lines(result.model) == expected(case)


def test_fixtures_cover_the_semantics() -> None:
    names = {c.stem.split("_", 1)[1] for c in CASES}
    assert names >= {
        "priority_ordering",
        "pass_to_networkpolicy",
        "banp_default_deny",
        "networks_egress",
        "port_ranges_named_ports",
    }


def test_verdict_first_match_per_port() -> None:
    v = Verdict()
    v.add(DENY, PortSet.tcp(81))
    v.add(PASS, PortSet.tcp(80))
    v.add(ALLOW, PortSet.tcp(79, 82))
    assert v.allow == PortSet.tcp(79) | PortSet.tcp(82)
    assert v.deny == PortSet.tcp(81)
    # passed and undecided ports are what the lower layer says
    assert v.final(PortSet.tcp(80)) == PortSet.tcp(79, 80) | PortSet.tcp(82)
    assert v.final(PortSet()) == v.allow


def test_invalid_admin_policy_is_a_diagnostic(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(
        "apiVersion: policy.networking.k8s.io/v1alpha1\n"
        "kind: AdminNetworkPolicy\n"
        "metadata: {name: bad}\n"
        "spec:\n"
        "  priority: 1\n"
        "  subject: {namespaces: {}}\n"
        "  ingress:\n"
        "    - {action: Maybe, from: [{namespaces: {}}]}\n"
        "---\n"
        "apiVersion: policy.networking.k8s.io/v1alpha1\n"
        "kind: BaselineAdminNetworkPolicy\n"
        "metadata: {name: default}\n"
        "spec:\n"
        "  subject: {namespaces: {}}\n"
        "  egress:\n"
        "    - {action: Pass, to: [{namespaces: {}}]}\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata: {name: p, namespace: a}\n"
        "spec: {containers: [{name: c, image: x}]}\n"
    )
    result = scan([f], ScanOptions())
    messages = [d.message for d in result.diagnostics.items]
    assert any("AdminNetworkPolicy" in m and "Maybe" in m for m in messages), messages
    assert any("BaselineAdminNetworkPolicy" in m and "Pass" in m for m in messages), messages
    assert connlist_lines(result.model) == [
        "0.0.0.0-255.255.255.255[External] => a/p[Pod] : All Connections",
        "a/p[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
    ]


def test_ordered_by_priority_then_baseline() -> None:
    from iacscan.k8s.anp import AdminPolicy
    from iacscan.k8s.model import Selector

    b = AdminPolicy("default", None, Selector(), None)
    p9 = AdminPolicy("p9", 9, Selector(), None)
    p1 = AdminPolicy("p1", 1, Selector(), None)
    assert [p.name for p in ordered([b, p9, p1])] == ["p1", "p9", "default"]


@pytest.mark.skipif(not CHECK.is_file(), reason="../shared oracles not available")
def test_netpol_analyzer_admin_network_policy_tier(tmp_path: object) -> None:
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))  # no stale model cache
    proc = subprocess.run(
        [sys.executable, str(CHECK), "--cmd", f"{sys.executable} -m iacscan", "--tier", "admin-network-policy", "-v"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=900,
    )
    m = re.search(r"admin-network-policy: (\d+)/(\d+) cases exact", proc.stdout)
    assert m is not None, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert int(m.group(1)) >= ORACLE_TIER_MIN, proc.stdout[-3000:]
