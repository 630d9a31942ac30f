"""netpol-analyzer ``list`` format: ``SRC => DST : CONN`` for the Kubernetes layer's connectivity.

Workloads are ``namespace/name[Kind]``, external peers IPv4 range sets such as
``0.0.0.0-255.255.255.255[External]``, the ingress controller ``{ingress-controller}``.
CONN is ``All Connections`` when every TCP, UDP and SCTP port (1-65535) is allowed,
else e.g. ``TCP 80,443,UDP 53``.  Lines are sorted; self-connections are left out.
A pure function of the scan result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iacscan.model.core import Model
from iacscan.model.ports import PortSet

if TYPE_CHECKING:
    from iacscan.pipeline import ScanResult

LAYER = "k8s"
_PROTOS = (("sctp", "SCTP"), ("tcp", "TCP"), ("udp", "UDP"))
_UNIVERSE = PortSet.of({"tcp": [(1, 65535)], "udp": [(1, 65535)], "sctp": [(1, 65535)]})


def format_conn(ports: PortSet) -> str:
    """``All Connections``, ``TCP 80,443,UDP 53``, or "" when nothing is allowed."""
    p = ports & _UNIVERSE
    if not p:
        return ""
    if p == _UNIVERSE:
        return "All Connections"
    parts = []
    for proto, name in _PROTOS:
        ivs = p.intervals(proto)
        if ivs:
            parts.append(name + " " + ",".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in ivs))
    return ",".join(parts)


def connections(model: Model) -> dict[tuple[str, str], PortSet]:
    merged: dict[tuple[str, str], PortSet] = {}
    for c in model.conns:
        if c.layer != LAYER:
            continue
        for s in c.sources:
            for t in c.targets:
                if s == t and c.exclude_self:
                    continue
                old = merged.get((s, t))
                merged[(s, t)] = c.ports if old is None else old | c.ports
    return merged


def connlist_lines(model: Model) -> list[str]:
    out = []
    for (s, t), ports in connections(model).items():
        text = format_conn(ports)
        if text:
            out.append(f"{s} => {t} : {text}")
    out.sort()
    return out


def render_connlist(result: ScanResult) -> str:
    lines = connlist_lines(result.model)
    return "\n".join(lines) + ("\n" if lines else "")
