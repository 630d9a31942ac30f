"""Every NetworkPolicy semantic of the issue, one fixture each, with the exact connectivity.

Each fixture under ``fixtures/k8s/netpol/`` states its expected ``connlist`` lines in
``# expect:`` comments; the test compares the full set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.ingest import ScanOptions
from iacscan.model.ports import PortSet
from iacscan.pipeline import scan
from iacscan.report.connlist import connlist_lines, format_conn

from .conftest import FIXTURES

CASES = sorted((FIXTURES / "netpol").glob("*.yaml"))


def expected(path: Path) -> list[str]:
    return sorted(
        line.split("# expect: ", 1)[1].strip() for line in path.read_text().splitlines() if "# expect: " in line
    )


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_connectivity_exact(case: Path) -> None:
    result = scan([case], ScanOptions())
    assert not result.diagnostics.items
    assert connlist_lines(result.model) == expected(case)


def test_every_semantic_has_a_fixture() -> None:
    names = {c.stem.split("_", 1)[1] for c in CASES}
    assert names >= {
        "isolation_per_direction",
        "policytypes_default",
        "union_and_both_sides",
        "empty_vs_missing",
        "empty_pod_selector",
        "peers_and_or",
        "namespace_selector_all_and_ipblock",
        "match_expressions",
        "named_ports",
        "ports_protocols",
    }


def test_format_conn() -> None:
    assert format_conn(PortSet.all()) == "All Connections"
    assert (
        format_conn(PortSet.of({"tcp": [(0, 65535)], "udp": [(0, 65535)], "sctp": [(1, 65535)]})) == "All Connections"
    )
    assert format_conn(PortSet.of({"tcp": [(80, 80), (443, 443)], "udp": [(53, 53)]})) == "TCP 80,443,UDP 53"
    assert format_conn(PortSet.of({"udp": [(1, 5352), (5354, 65535)]})) == "UDP 1-5352,5354-65535"
    assert format_conn(PortSet.of({"icmp": [(0, 255)]})) == ""
