"""End to end on the benchmark estate generator (skipped when shared/bench is absent)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from iacscan.ingest.terraform import Ref, load_terraform
from iacscan.source import Diagnostics


def _generator() -> Path | None:
    here = Path(__file__).resolve()
    for base in (here.parents[3] / "shared", Path("/work/shared")):
        candidate = base / "bench" / "gen_estate.py"
        if candidate.is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    generator = _generator()
    if generator is None:
        pytest.skip("shared/bench/gen_estate.py not available")
    out = tmp_path_factory.mktemp("estate")
    subprocess.run([sys.executable, str(generator), str(out), "--envs", "2", "--services", "5"], check=True)
    return out / "terraform"


def test_generated_estate_loads_cleanly_and_quickly(estate: Path, tmp_path: Path) -> None:
    diagnostics = Diagnostics()
    start = time.perf_counter()
    roots = load_terraform(estate, diagnostics=diagnostics, environ={}, cache_dir=tmp_path / "cache")
    cold = time.perf_counter() - start
    start = time.perf_counter()
    again = load_terraform(estate, diagnostics=Diagnostics(), environ={}, cache_dir=tmp_path / "cache")
    warm = time.perf_counter() - start
    assert [r.name for r in roots] == ["env0", "env1"]
    assert diagnostics.items == []
    assert roots == again
    assert cold < 10 and warm < 10  # generous: CI machines vary; see the report for real numbers
    sg = {r.address: r for r in roots[0].resources}["module.svc-0.aws_security_group.this"]
    ingress = sg.attrs["ingress"]
    assert ingress[0]["description"] == "from tfvars"  # the tfvars value reached the module's dynamic block
    assert all(isinstance(rule["from_port"], int) for rule in ingress)
    assert sg.attrs["vpc_id"] == Ref("aws_vpc.main", "id")
    assert sg.attr_lines["ingress[0].cidr_blocks"] > sg.location.line
