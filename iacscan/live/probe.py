"""Active probe: try the connections a finding claims, from where iacscan runs (the ``nc``/``nmap`` check).

Only the targets the caller names are contacted — explicit ``HOST:PORT`` targets, or
findings whose target is an IP address or is mapped to a host with ``--map``.  Probes
run with bounded concurrency, a per-connection timeout and a global rate limit.

States (nmap's vocabulary): TCP ``open`` (handshake completed), ``closed`` (reset),
``filtered`` (no answer before the timeout, or an ICMP unreachable / prohibited);
UDP ``open`` (a reply), ``closed`` (ICMP port unreachable), ``open|filtered`` (silence).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

PROBED_RULES = ("mgmt-api-lan", "host-service-reachable")
MAX_PROBES = 4096  # hard ceiling per run, whatever the options say
_FILTERED_ERRNOS = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM, errno.ETIMEDOUT}


@dataclass(frozen=True, order=True)
class Target:
    host: str
    port: int
    protocol: str = "tcp"  # tcp | udp

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.protocol}://{host}:{self.port}"


@dataclass(frozen=True)
class Result:
    target: Target
    state: str  # open | closed | filtered | open|filtered | error
    detail: str = ""
    seconds: float = 0.0


class ProbeError(ValueError):
    pass


def parse_target(text: str) -> Target:
    """``HOST:PORT``, ``[V6]:PORT``, optionally prefixed ``udp/`` or ``tcp/``."""
    proto = "tcp"
    t = text.strip()
    for p in ("tcp/", "udp/"):
        if t.lower().startswith(p):
            proto, t = p[:-1], t[len(p) :]
    if t.startswith("["):
        host, sep, port = t[1:].partition("]:")
    else:
        host, sep, port = t.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ProbeError(f"not a HOST:PORT target: {text!r}")
    return Target(host, int(port), proto)


class RateLimiter:
    """At most ``rate`` starts per second across every worker thread."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next)
            self.next = start + self.interval
        if start > now:
            time.sleep(start - now)


def _tcp(t: Target, timeout: float) -> tuple[str, str]:
    infos = socket.getaddrinfo(t.host, t.port, type=socket.SOCK_STREAM)
    family, stype, proto, _, addr = infos[0]
    with socket.socket(family, stype, proto) as s:
        s.settimeout(timeout)
        try:
            s.connect(addr)
        except ConnectionRefusedError:
            return "closed", "connection refused"
        except TimeoutError:
            return "filtered", f"no answer in {timeout:g}s"
        except OSError as exc:
            if exc.errno in _FILTERED_ERRNOS:
                return "filtered", exc.strerror or str(exc)
            raise
    return "open", "connected"


def _udp(t: Target, timeout: float) -> tuple[str, str]:
    infos = socket.getaddrinfo(t.host, t.port, type=socket.SOCK_DGRAM)
    family, stype, proto, _, addr = infos[0]
    with socket.socket(family, stype, proto) as s:
        s.settimeout(timeout)
        s.connect(addr)
        try:
            s.send(b"\0")
            s.recv(512)
        except ConnectionRefusedError:
            return "closed", "ICMP port unreachable"
        except TimeoutError:
            return "open|filtered", f"no reply in {timeout:g}s"
        except OSError as exc:
            if exc.errno in _FILTERED_ERRNOS:
                return "filtered", exc.strerror or str(exc)
            raise
    return "open", "replied"


def probe_one(t: Target, timeout: float) -> Result:
    start = time.monotonic()
    try:
        state, detail = _udp(t, timeout) if t.protocol == "udp" else _tcp(t, timeout)
    except OSError as exc:
        state, detail = "error", f"{type(exc).__name__}: {exc.strerror or exc}"
    return Result(t, state, detail, round(time.monotonic() - start, 3))


def probe(targets: Iterable[Target], timeout: float = 1.0, concurrency: int = 16, rate: float = 50.0) -> list[Result]:
    """Probe each distinct target once; results in target order."""
    uniq = sorted(set(targets))
    if len(uniq) > MAX_PROBES:
        raise ProbeError(f"{len(uniq)} probes requested; the limit is {MAX_PROBES}")
    timeout = min(max(timeout, 0.05), 30.0)
    limiter = RateLimiter(min(max(rate, 0.1), 1000.0))

    def run(t: Target) -> Result:
        limiter.wait()
        return probe_one(t, timeout)

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, 256, len(uniq) or 1))) as pool:
        return list(pool.map(run, uniq))


# ---------------------------------------------------------------------------
# findings


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def finding_targets(
    finding: dict[str, object], mapping: dict[str, str], udp: bool, max_ports: int
) -> tuple[list[Target], str]:
    """The probes for one finding, or none and why."""
    target = str(finding.get("target", ""))
    host = mapping.get(target) or (target if _is_ip(target) else "")
    if not host:
        return [], f"no address for {target} (name one with --map {target}=HOST)"
    out: list[Target] = []
    ports = finding.get("ports")
    for spec in ports if isinstance(ports, list) else []:
        proto, _, rng = str(spec).partition("/")
        if proto not in ("tcp", "udp") or (proto == "udp" and not udp) or not rng:
            continue
        lo, _, hi = rng.partition("-")
        a, b = int(lo), int(hi or lo)
        for p in range(a, b + 1):
            if p == 0:
                continue
            out.append(Target(host, p, proto))
            if len(out) >= max_ports:
                return out, f"only the first {max_ports} ports"
    if not out:
        return [], "no TCP ports to probe (UDP needs --udp)"
    return out, ""


def verdict(results: list[Result]) -> tuple[str, str]:
    """``confirmed`` when a port answers, else ``refuted`` — from this vantage point."""
    opened = [r for r in results if r.state == "open"]
    summary = ", ".join(f"{r.target.protocol}/{r.target.port} {r.state}" for r in results[:20])
    if len(results) > 20:
        summary += f" (+{len(results) - 20} more)"
    if opened:
        return "confirmed", f"open from this host: {summary}"
    return "refuted", f"not reachable from this host: {summary}"
