"""The neutral description of a docker host, produced by compose projects and by ``docker inspect``.

Both inputs describe the same things: networks (by their *real* name, the one the daemon
knows), workloads attached to them, the ports they publish on the host, and the ways they
reach the host itself.  :mod:`iacscan.compose.analysis` turns a :class:`DockerHost` into
endpoints, zones and facts, so the two layers cannot drift apart.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from dataclasses import dataclass, field

from iacscan.model.ports import PortSet
from iacscan.source import NOWHERE, Location

COMPOSE_HOST = "docker-host"
"""Host name used for compose projects: the (unnamed) docker daemon they are deployed on.

All compose projects of one scanned root are assumed to run on one docker daemon — that is
what lets an external network join them.  ``HostAccessFact.host`` and loopback-only reaches
name it; the cross-layer binding of a compose host to an instance can rename it.
"""

BRIDGE_LIKE = {"bridge", "overlay", "macvlan", "ipvlan", ""}
LAN_ATTACHED = {"macvlan", "ipvlan"}  # containers get an address on the host's LAN


@dataclass(frozen=True)
class NetworkDef:
    real_name: str
    driver: str = "bridge"  # bridge, overlay, macvlan, ipvlan, host, none, or a plugin name
    internal: bool = False
    external: bool = False
    location: Location = NOWHERE
    host_binding_ipv4: str = ""  # com.docker.network.bridge.host_binding_ipv4
    project: str = ""  # the compose project that defines it ("" when external / live)

    @property
    def is_host(self) -> bool:
        return self.driver == "host" or (self.real_name == "host" and self.external)

    @property
    def is_none(self) -> bool:
        return self.driver == "null" or self.driver == "none" or (self.real_name == "none" and self.external)


@dataclass(frozen=True)
class Attachment:
    network: str  # real name
    location: Location = NOWHERE
    priority: int = 0
    declared_as: str = ""  # the name used in the compose file (key of `networks:`)


@dataclass(frozen=True)
class Binding:
    """One published port: ``host_ip:host_ports -> container_ports/protocol``."""

    host_ip: str  # "" = the default bind address (all interfaces unless the network says otherwise)
    host_ports: tuple[int, int] | None  # None = an ephemeral port chosen by the daemon
    container_ports: tuple[int, int]
    protocol: str = "tcp"
    location: Location = NOWHERE
    text: str = ""  # as written, for messages
    unknowns: tuple[str, ...] = ()
    mode: str = "ingress"

    @property
    def ports(self) -> PortSet:
        return PortSet.proto(self.protocol, *self.container_ports)

    def host_port_text(self) -> str:
        if self.host_ports is None:
            return "<ephemeral>"
        lo, hi = self.host_ports
        return str(lo) if lo == hi else f"{lo}-{hi}"


@dataclass(frozen=True)
class HostFlag:
    kind: (
        str  # host-network, host-pid, privileged, net-admin, sys-admin, docker-socket, containerd-socket, host-*-mount
    )
    detail: str
    location: Location = NOWHERE
    unknowns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workload:
    address: str
    name: str
    tenant: str
    kind: str = "compose-service"
    layer: str = "compose"
    location: Location = NOWHERE
    images: tuple[str, ...] = ()
    # "" (its networks), "host", "none", "share:<address>" (another workload's namespace), "unknown:<what>"
    network_mode: str = ""
    network_mode_location: Location = NOWHERE
    attachments: tuple[Attachment, ...] = ()
    bindings: tuple[Binding, ...] = ()
    host_flags: tuple[HostFlag, ...] = ()
    declared_ports: PortSet = field(default_factory=PortSet)  # expose + published container ports
    container_name: str = ""
    labels: tuple[tuple[str, str], ...] = ()


@dataclass
class DockerHost:
    name: str
    scope: str = ""  # prefix of zone ids and network names ("" for compose, the host name for live hosts)
    networks: dict[str, NetworkDef] = field(default_factory=dict)
    workloads: list[Workload] = field(default_factory=list)
    # (tenant, real network name) -> where that tenant declares the network (for tenant findings)
    tenant_networks: dict[tuple[str, str], Location] = field(default_factory=dict)

    def add_network(self, net: NetworkDef) -> None:
        """Keep one definition per real name; a project's own definition beats an external reference."""
        old = self.networks.get(net.real_name)
        if old is None or (old.external and not net.external):
            self.networks[net.real_name] = net


# -- shared helpers -------------------------------------------------------------------------

_SOCKETS = {
    "docker-socket": ("/var/run/docker.sock", "/run/docker.sock"),
    "containerd-socket": ("/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock"),
}
_HOST_DIRS = {"/": "host-root-mount", "/proc": "host-proc-mount", "/etc": "host-etc-mount"}
_WINDOWS_PIPES = re.compile(r"^(//\./pipe/docker_engine|\\\\\.\\pipe\\docker_engine)$", re.IGNORECASE)
CAPS = {"NET_ADMIN": "net-admin", "SYS_ADMIN": "sys-admin"}


def mount_flags(
    source: str, target: str, read_only: bool, location: Location, unknowns: tuple[str, ...] = ()
) -> list[HostFlag]:
    """Host-access flags for a bind mount of ``source`` (a host path)."""
    out: list[HostFlag] = []
    if _WINDOWS_PIPES.match(source):
        return [HostFlag("docker-socket", f"mounts the Docker engine pipe {source}", location, unknowns)]
    if not source.startswith("/"):
        return out
    path = posixpath.normpath(source)
    path = "/" + path.lstrip("/")
    ro = " (read-only does not limit a socket)" if read_only else ""
    for kind, sockets in _SOCKETS.items():
        name = sockets[0].rsplit("/", 1)[-1]
        if path in sockets or path.endswith("/" + name):
            out.append(HostFlag(kind, f"mounts {path} at {target}{ro}", location, unknowns))
        elif any(s.startswith(path.rstrip("/") + "/") for s in sockets) and path != "/":
            out.append(HostFlag(kind, f"mounts {path} at {target}, which holds {sockets[0]}", location, unknowns))
    if path in _HOST_DIRS:
        mode = " read-only" if read_only else ""
        out.append(HostFlag(_HOST_DIRS[path], f"mounts the host's {path}{mode} at {target}", location, unknowns))
    return out


def cap_flags(caps: list[str], location: Location) -> list[HostFlag]:
    out: list[HostFlag] = []
    for raw in caps:
        c = raw.strip().upper().removeprefix("CAP_")
        if c == "ALL":
            out.extend(HostFlag(kind, f"cap_add ALL (includes {name})", location) for name, kind in CAPS.items())
        elif c in CAPS:
            out.append(HostFlag(CAPS[c], f"cap_add {c}", location))
    return out


def bind_class(host_ip: str) -> str:
    """``all`` (every interface), ``loopback``, ``private`` (one LAN address), ``public``, or ``invalid``."""
    ip = host_ip.strip().strip("[]")
    if ip in ("", "0.0.0.0", "::"):
        return "all"
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return "invalid"
    if addr.is_loopback:
        return "loopback"
    if addr.is_unspecified:
        return "all"
    if addr.is_global:
        return "public"
    return "private"
