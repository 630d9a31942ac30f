"""Probe: only loopback addresses, or addresses inside a network namespace this test creates."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from iacscan.cli import main
from iacscan.live.probe import ProbeError, RateLimiter, Target, parse_target, probe

LO = "127.0.0.1"


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LO, 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def listeners() -> Iterator[dict[str, int]]:
    tcp = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(2)]
    for s in tcp:
        s.bind((LO, 0))
        s.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((LO, 0))
    udp.settimeout(0.2)
    stop = threading.Event()

    def echo() -> None:
        while not stop.is_set():
            try:
                data, peer = udp.recvfrom(512)
            except (TimeoutError, OSError):
                continue
            udp.sendto(data, peer)

    t = threading.Thread(target=echo, daemon=True)
    t.start()
    ports = {
        "open1": tcp[0].getsockname()[1],
        "open2": tcp[1].getsockname()[1],
        "udp_open": udp.getsockname()[1],
        "closed": _free_port(socket.SOCK_STREAM),
        "udp_closed": _free_port(socket.SOCK_DGRAM),
    }
    try:
        yield ports
    finally:
        stop.set()
        t.join(timeout=2)
        for s in [*tcp, udp]:
            s.close()


def test_parse_target() -> None:
    assert parse_target("127.0.0.1:22") == Target(LO, 22, "tcp")
    assert parse_target("udp/127.0.0.1:53") == Target(LO, 53, "udp")
    assert parse_target("[::1]:8080") == Target("::1", 8080, "tcp")
    for bad in ("127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", ":22"):
        with pytest.raises(ProbeError):
            parse_target(bad)


def test_loopback_states_exact(listeners: dict[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    p = listeners
    argv = ["probe", "--format", "json", "--timeout", "0.5"]
    for t in (
        f"{LO}:{p['open1']}",
        f"{LO}:{p['open2']}",
        f"{LO}:{p['closed']}",
        f"udp/{LO}:{p['udp_open']}",
        f"udp/{LO}:{p['udp_closed']}",
    ):
        argv += ["--target", t]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    got = {(r["protocol"], r["port"]): r["state"] for r in doc["results"]}
    assert got == {
        ("tcp", p["open1"]): "open",
        ("tcp", p["open2"]): "open",
        ("tcp", p["closed"]): "closed",
        ("udp", p["udp_open"]): "open",
        ("udp", p["udp_closed"]): "closed",
    }
    assert {r["host"] for r in doc["results"]} == {LO}


def test_findings_confirmed_refuted_and_only_named(
    listeners: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = listeners
    findings = [
        {"rule": "mgmt-api-lan", "target": LO, "source": "lan", "ports": [f"tcp/{p['open1']}"]},
        {"rule": "host-service-reachable", "target": "web[Deployment]", "source": "x", "ports": [f"tcp/{p['closed']}"]},
        {"rule": "mgmt-api-lan", "target": "db.internal", "source": "lan", "ports": ["tcp/5432"]},
        {"rule": "internet-exposed", "target": LO, "source": "internet", "ports": [f"tcp/{p['open2']}"]},
    ]
    path = tmp_path / "findings.json"
    path.write_text(json.dumps({"schema": "iacscan/findings/v1", "findings": findings}))
    argv = ["probe", "--findings", str(path), "--map", f"web[Deployment]={LO}", "--format", "json", "--timeout", "0.5"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    # exactly the two named, probeable targets; not the unmapped host, not other rules
    assert [(r["host"], r["port"], r["state"]) for r in doc["results"]] == sorted(
        [(LO, p["open1"], "open"), (LO, p["closed"], "closed")], key=lambda x: x[1]
    )
    by_target = {f["target"]: f for f in doc["findings"]}
    assert set(by_target) == {LO, "web[Deployment]", "db.internal"}
    assert by_target[LO]["confirmation"]["status"] == "confirmed"
    assert by_target["web[Deployment]"]["confirmation"]["status"] == "refuted"
    assert by_target["db.internal"]["probe"]["status"] == "skipped"
    assert "confirmation" not in by_target["db.internal"]


def test_rate_limit_and_bounds() -> None:
    limiter = RateLimiter(20.0)
    start = time.monotonic()
    for _ in range(6):
        limiter.wait()
    assert time.monotonic() - start >= 0.24
    with pytest.raises(ProbeError):
        probe([Target(LO, p) for p in range(1, 5000)])


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture
def netns() -> Iterator[str]:
    if sys.platform != "linux" or shutil.which("ip") is None:
        pytest.skip("needs Linux with iproute2")
    if os.geteuid() != 0:
        pytest.skip("creating a network namespace needs root")
    name = f"iacscan-probe-{uuid.uuid4().hex[:8]}"
    try:
        _ip("netns", "add", name)
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"cannot create a network namespace here: {exc}")
    try:
        ex = ("netns", "exec", name, "ip")
        _ip(*ex, "link", "set", "lo", "up")
        try:
            # A veth pair inside the namespace; 10.99.0.2 resolves to a MAC nobody has, so every
            # packet to it is dropped silently (the effect of a DROP rule, without needing iptables).
            _ip(*ex, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"no veth support: {exc.stderr.decode(errors='replace').strip()}")
        _ip(*ex, "addr", "add", "10.99.0.1/24", "dev", "v0")
        _ip(*ex, "link", "set", "v0", "up")
        _ip(*ex, "link", "set", "v1", "up")
        _ip(*ex, "neigh", "add", "10.99.0.2", "lladdr", "02:00:00:00:00:02", "dev", "v0", "nud", "permanent")
        _ip(*ex, "route", "add", "prohibit", "10.97.0.0/24")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def test_filtered_inside_network_namespace(netns: str) -> None:
    root = Path(__file__).resolve().parents[2]
    cmd = [
        "ip",
        "netns",
        "exec",
        netns,
        sys.executable,
        "-m",
        "iacscan",
        "probe",
        "--format",
        "json",
        "--timeout",
        "0.5",
        "--target",
        "10.99.0.2:22",
        "--target",
        "10.97.0.2:22",
        "--target",
        "127.0.0.1:9",
    ]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(cmd, check=True, capture_output=True, timeout=60, env=env, cwd=root)
    doc = json.loads(out.stdout)
    got = {(r["host"], r["port"]): r["state"] for r in doc["results"]}
    assert got == {("10.99.0.2", 22): "filtered", ("10.97.0.2", 22): "filtered", ("127.0.0.1", 9): "closed"}
