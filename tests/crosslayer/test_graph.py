"""`iacscan graph`: Mermaid/DOT snapshots, JSON shape, HTML in headless Chromium.

Regenerate the snapshots with: IACSCAN_UPDATE_SNAPSHOTS=1 python3 -m pytest tests/crosslayer/test_graph.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from iacscan.graph.build import build
from iacscan.graph.render import mermaid_paths, to_dot, to_html, to_json, to_mermaid
from iacscan.ingest import ScanOptions
from iacscan.pipeline import ScanResult, scan

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "crosslayer"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan([FIXTURE], ScanOptions())


def _snapshot(name: str, text: str) -> None:
    snap = SNAPSHOTS / name
    if os.environ.get("IACSCAN_UPDATE_SNAPSHOTS"):
        snap.write_text(text, encoding="utf-8")
    assert text == snap.read_text(encoding="utf-8")


def test_mermaid_snapshot(result: ScanResult) -> None:
    _snapshot("crosslayer.mmd", to_mermaid(build(result.model, result.findings)))


def test_dot_snapshot(result: ScanResult) -> None:
    _snapshot("crosslayer.dot", to_dot(build(result.model, result.findings)))


def test_exposed_only_and_focus(result: ScanResult) -> None:
    g = build(result.model, result.findings, exposed_only=True)
    assert all(d["exposure"] for _s, _t, d in g.edges(data=True))
    assert ("internet", "shop/web[Deployment]") in g.edges
    assert ("internet", "shop/admin[Deployment]") not in g.edges
    focus = build(result.model, result.findings, focus="ops/*")
    assert focus.edges and all("ops/" in s or "ops/" in t for s, t in focus.edges)


def test_json_graph(result: ScanResult) -> None:
    doc = json.loads(to_json(build(result.model, result.findings, exposed_only=True)))
    assert doc["schema"] == "iacscan/graph/v1"
    web = next(n for n in doc["nodes"] if n["id"] == "shop/web[Deployment]")
    assert web["exposed"] and any("internet-exposed" in f for f in web["findings"])


def test_mermaid_paths_for_job_summary(result: ScanResult) -> None:
    text = mermaid_paths([f for f in result.findings if f.target == "shop/web[Deployment]" and f.source == "internet"])
    assert text.count("```mermaid") >= 1 and "flowchart LR" in text


def test_dot_is_valid_for_graphviz(result: ScanResult, tmp_path: Path) -> None:
    dot = "/usr/bin/dot"
    if not Path(dot).exists():
        pytest.skip("Graphviz not installed")
    out = subprocess.run([dot, "-Tsvg"], input=to_dot(build(result.model)), text=True, capture_output=True, check=False)
    assert out.returncode == 0 and "<svg" in out.stdout


def test_html_is_self_contained(result: ScanResult) -> None:
    page = to_html(build(result.model, result.findings))
    assert not re.search(r"(src|href)=\"https?://", page)
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium (Debian package `chromium`) not installed")
def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "graph.html"
    proc = subprocess.run(
        [sys.executable, "-m", "iacscan", "graph", str(FIXTURE), "--format", "html", "-o", str(page), "--no-cache"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    flags = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1400,900",
    ]
    shot = tmp_path / "graph.png"
    subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=False)
    assert shot.is_file() and shot.stat().st_size > 5000
    dom = subprocess.run(
        [*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=False
    ).stdout
    expected = page.read_text(encoding="utf-8").count('<g class="node')
    assert expected > 5
    m = re.search(r'data-rendered-nodes="(\d+)"', dom)
    assert m is not None, "the page's script did not run"
    assert int(m.group(1)) == expected
    assert "shop/web[Deployment]" in dom
