"""End to end through the CLI: exit codes, formats, bad input, JSON snapshot of the demo estate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import FIXTURES, REPO

SNAPSHOTS = REPO / "tests" / "snapshots"


def iacscan(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cwd / ".no-such-cache"))
    return subprocess.run(
        [sys.executable, "-m", "iacscan", *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


def test_version_and_usage_errors() -> None:
    assert iacscan("--version").stdout.startswith("iacscan ")
    assert iacscan("scan").returncode == 2
    assert iacscan("scan", "x", "--format", "yaml").returncode == 2


def test_fail_on_thresholds() -> None:
    tf = str(FIXTURES / "aws" / "nacl")  # one info finding only
    assert iacscan("scan", tf, "--no-cache").returncode == 0  # default --fail-on low
    assert iacscan("scan", tf, "--no-cache", "--fail-on", "info").returncode == 1
    demo = str(FIXTURES / "demo" / "terraform")
    assert iacscan("scan", demo, "--no-cache", "--fail-on", "critical").returncode == 1
    assert iacscan("scan", demo, "--no-cache", "--fail-on", "none").returncode == 0


def test_bad_input_becomes_diagnostics_and_strict_exit() -> None:
    bad = str(FIXTURES / "bad" / "terraform")
    proc = iacscan("scan", bad, "--no-cache", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    where = {(d["file"], d["line"], d["level"]) for d in doc["diagnostics"]}
    assert ("broken.tf", 3, "error") in where  # invalid HCL, at its line
    assert ("cidr.tf", 3, "error") in where  # invalid CIDR 300.0.0.0/33, at its block
    assert any(f == "blob.tf" and lvl == "error" for f, _line, lvl in where)  # binary file
    assert iacscan("scan", bad, "--no-cache", "--strict").returncode == 2


def test_missing_path_is_a_diagnostic() -> None:
    proc = iacscan("scan", "does/not/exist", "--no-cache", "--format", "json", "--strict")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["diagnostics"][0]["message"].startswith("path does not exist")


def _normalise(doc: dict[str, object]) -> dict[str, object]:
    doc = dict(doc)
    doc["tool"] = {"name": "iacscan"}
    return doc


def test_demo_terraform_json_snapshot() -> None:
    """Regenerate with: IACSCAN_UPDATE_SNAPSHOTS=1 python3 -m pytest tests/test_cli.py"""
    proc = iacscan("scan", "fixtures/demo/terraform", "--no-cache", "--format", "json")
    doc = _normalise(json.loads(proc.stdout))
    assert doc["schema"] == "iacscan/findings/v1"
    snap = SNAPSHOTS / "demo_terraform.json"
    if os.environ.get("IACSCAN_UPDATE_SNAPSHOTS"):
        snap.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    assert doc == json.loads(snap.read_text())


def test_demo_terraform_key_findings() -> None:
    proc = iacscan("scan", "fixtures/demo/terraform", "--no-cache", "--format", "json")
    rows = {
        (f["rule"], f["source"], f["target"], ",".join(f["ports"]), f["location"]["file"], f["location"]["line"])
        for f in json.loads(proc.stdout)["findings"]
    }
    assert ("mgmt-api-internet", "internet", "aws_instance.bastion", "tcp/22", "compute.tf", 54) in rows
    assert ("mgmt-api-internet", "internet", "aws_instance.ci", "tcp/2375-2376", "compute.tf", 81) in rows
    assert ("mgmt-api-internet", "internet", "aws_eks_cluster.main", "tcp/443", "data.tf", 34) in rows
    assert ("internet-exposed", "internet", 'aws_instance.app["eu-west-1a"]', "tcp/8080", "compute.tf", 138) in rows
    # the RDS instance is publicly_accessible but in private subnets behind an SG allow-list
    assert not [r for r in rows if r[2] == "aws_db_instance.orders"]
