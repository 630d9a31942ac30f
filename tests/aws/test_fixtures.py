"""Every fixture under fixtures/aws produces exactly the findings its `# NOT OK` markers name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import FIXTURES, actual, expected, run

CASES = sorted(p for p in (FIXTURES / "aws").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_findings_exact(case: Path) -> None:
    want, ignored = expected(case)
    result = run(case)
    got = actual(result, ignored)
    assert not [d for d in result.diagnostics.items if d.level.value == "error"]
    assert got == want, f"missing: {sorted(want - got)}\nextra: {sorted(got - want)}"


def test_nacl_response_blocked_is_reported_distinctly() -> None:
    result = run(FIXTURES / "aws" / "nacl")
    diags = [(d.code, d.location.file, d.location.line) for d in result.diagnostics.items]
    assert ("nacl-return-blocked", "main.tf", 74) in diags
    assert [f for f in result.findings if f.target == "aws_instance.b"] == []


def test_conditional_findings_name_their_unknowns() -> None:
    result = run(FIXTURES / "aws" / "conditional")
    by_port = {tuple(f.port_strings): f.unknowns for f in result.findings if f.target == "aws_instance.x"}
    assert by_port[("tcp/22",)] == ("var.admin_cidrs (no value)",)
    assert by_port[("tcp/443",)] == ("data.aws_ip_ranges.cloudfront.cidr_blocks",)


def test_peering_conns_need_routes_both_ways_and_are_not_transitive() -> None:
    result = run(FIXTURES / "aws" / "peering")
    pairs = {(s, t) for c in result.model.conns for s in c.sources for t in c.targets if s != t}
    a, b, c, d = (f"aws_instance.{x}" for x in "abcd")
    assert {(a, b), (b, a), (b, c), (c, b)} <= pairs
    assert not {(a, c), (c, a), (a, d), (d, a)} & pairs
    peer = [r for r in result.model.reaches if r.source == "peer:aws_vpc.b" and r.target == a]
    assert peer and "aws_vpc_peering_connection.ab" in peer[0].detail
