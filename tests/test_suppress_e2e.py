"""Inline suppressions through the whole pipeline on a Terraform fixture."""

from __future__ import annotations

from tests.helpers import FIXTURES, run


def test_used_and_unused_inline_suppressions() -> None:
    result = run(FIXTURES / "suppress")
    rows = {
        (
            f.rule,
            f.source,
            f.target,
            ",".join(f.port_strings),
            f.location.line,
            f.suppression.justification if f.suppression else None,
        )
        for f in result.findings
    }
    assert rows == {
        ("internet-exposed", "internet", "aws_instance.web", "tcp/443", 34, "public website, reviewed in SEC-42"),
        ("egress-unrestricted", "aws_instance.web", "internet", "tcp/443", 41, None),
        ("unused-suppression", "main.tf", "iacscan:ignore[classic-service-exposed]", "", 40, None),
    }
