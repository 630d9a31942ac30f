"""netpol-analyzer conformance (core tier must be 42/42); skipped without ../shared."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import REPO, SHARED

CHECK = SHARED / "oracles" / "netpol-analyzer" / "check.py"


@pytest.mark.skipif(not CHECK.is_file(), reason="../shared oracles not available")
def test_netpol_analyzer_core_tier(tmp_path: object) -> None:
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))  # no stale model cache
    proc = subprocess.run(
        [sys.executable, str(CHECK), "--cmd", f"{sys.executable} -m iacscan", "--tier", "core", "-v"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=600,
    )
    assert "core: 42/42 cases exact" in proc.stdout, proc.stdout[-3000:]
