"""Bad and hostile input becomes diagnostics with file and line; the rest of the scan goes on."""

from __future__ import annotations

import time

from iacscan.ingest import ScanOptions
from iacscan.k8s.manifests import MAX_DEPTH, load_text
from iacscan.pipeline import scan
from iacscan.report.connlist import connlist_lines

from .conftest import FIXTURES


def test_bad_fixtures_are_diagnostics() -> None:
    start = time.monotonic()
    result = scan([FIXTURES / "bad"], ScanOptions())
    assert time.monotonic() - start < 10
    got = sorted(
        (d.level.value, d.code, d.location.file, d.location.line)
        for d in result.diagnostics.items
        if d.code.startswith("k8s-")
    )
    assert got == [
        ("error", "k8s-alias-bomb", "bomb.yaml", 11),
        ("error", "k8s-invalid", "bad_types.yaml", 5),  # podSelector is a string
        ("error", "k8s-invalid", "bad_types.yaml", 29),  # cidr 300.0.0.0/33
        ("error", "k8s-too-deep", "deep.json", 1),
        ("info", "k8s-template", "helm-deployment.yaml", 4),
        ("warning", "k8s-invalid", "bad_types.yaml", 19),  # containerPort: abc
    ]
    # compose files and other JSON are not Kubernetes: no word about them from this layer
    assert not [d for d in result.diagnostics.items if d.location.file in ("docker-compose.yml", "snapshot.json")]
    # the valid objects are still analysed
    lines = connlist_lines(result.model)
    assert "bad/still-here[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections" in lines
    assert "bad/still-here[Pod] => bad/port-name[Deployment] : All Connections" in lines


def test_deep_yaml_and_json_limits() -> None:
    deep = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    docs, problems = load_text(deep, is_json=False)
    assert not docs and problems[0].code == "k8s-too-deep"
    deep_block = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5)) + "  " * (MAX_DEPTH + 5) + "x: 1\n"
    docs, problems = load_text(deep_block, is_json=False)
    assert not docs and problems[0].code == "k8s-too-deep"
    docs, problems = load_text('{"a": ' * 50000 + "1" + "}" * 50000, is_json=True)
    assert not docs and problems[0].code == "k8s-too-deep"


def test_syntax_error_has_a_line() -> None:
    _docs, problems = load_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n", is_json=False)
    assert problems[0].code == "k8s-yaml-syntax" and problems[0].line >= 3


def test_lines_are_kept() -> None:
    docs, problems = load_text("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n", is_json=False)
    assert not problems
    assert docs[0].value.line == 2 and docs[0].value.line_of("kind") == 3
