"""Boundaries of the live features: lazy imports, bad snapshots, confirmation errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iacscan.cli import main
from iacscan.ingest import ScanOptions
from iacscan.pipeline import scan

ROOT = Path(__file__).resolve().parents[2]


def test_static_scan_never_imports_boto3_or_kubernetes() -> None:
    code = (
        "import sys\n"
        "from iacscan.cli import main\n"
        f"main(['scan', {str(ROOT / 'fixtures' / 'live' / 'terraform')!r}, '--no-cache', '--format', 'json', '-o', '/dev/null'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'kubernetes', 'moto'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)


def test_broken_snapshot_is_a_diagnostic(tmp_path: Path) -> None:
    p = tmp_path / "snap.json"
    p.write_text('{"schema": "iacscan/aws-snapshot/v1", "regions": ')
    r = scan([p], ScanOptions(), layers=("aws-snapshot",))
    assert r.findings == []
    assert [d.code for d in r.diagnostics.items] == ["aws-snapshot"]


def test_collection_diagnostics_surface_in_scan(tmp_path: Path) -> None:
    p = tmp_path / "snap.json"
    doc = {
        "schema": "iacscan/aws-snapshot/v1",
        "account": "123456789012",
        "regions": {"eu-west-1": {}},
        "diagnostics": [
            {
                "region": "eu-west-1",
                "service": "rds",
                "operation": "DescribeDBInstances",
                "code": "access-denied",
                "message": "AccessDenied: no",
            }
        ],
    }
    p.write_text(json.dumps(doc))
    r = scan([p], ScanOptions(), layers=("aws-snapshot",))
    assert [(d.code, d.message) for d in r.diagnostics.items] == [
        ("aws-access-denied", "collection: eu-west-1 rds:DescribeDBInstances: AccessDenied: no")
    ]


def test_bad_tfstate_is_a_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "terraform.tfstate"
    state.write_text("not json")
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps({"schema": "iacscan/aws-snapshot/v1", "regions": {}}))
    argv = [
        "scan",
        str(ROOT / "fixtures" / "live" / "terraform"),
        "--no-cache",
        "--format",
        "json",
        "--fail-on",
        "none",
    ]
    assert main([*argv, "--confirm", "aws", "--live-snapshot", str(snap), "--tfstate", str(state)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [d["code"] for d in doc["diagnostics"]] == ["confirm"]
    assert all("confirmation" not in f for f in doc["findings"])
