"""A merged compose document → networks and workloads of the docker host (:mod:`.host`).

Checks the keys against the Compose specification (an unknown key is a warning with its
line; ``x-*`` extensions are allowed everywhere) and parses published ports, mounts,
network modes and host-access settings into typed values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from iacscan.compose.host import (
    Attachment,
    Binding,
    HostFlag,
    NetworkDef,
    Workload,
    cap_flags,
    mount_flags,
)
from iacscan.compose.yamlsafe import YNode
from iacscan.model.ports import PortSet, canonical_protocol
from iacscan.source import Diagnostics, Location

TOP_KEYS = frozenset({"version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models"})
SERVICE_KEYS = frozenset(
    [
        "annotations",
        "attach",
        "blkio_config",
        "build",
        "cap_add",
        "cap_drop",
        "cgroup",
        "cgroup_parent",
        "command",
        "configs",
        "container_name",
        "cpu_count",
        "cpu_percent",
        "cpu_period",
        "cpu_quota",
        "cpu_rt_period",
        "cpu_rt_runtime",
        "cpu_shares",
        "cpus",
        "cpuset",
        "credential_spec",
        "depends_on",
        "deploy",
        "develop",
        "device_cgroup_rules",
        "devices",
        "dns",
        "dns_opt",
        "dns_search",
        "domainname",
        "driver_opts",
        "entrypoint",
        "env_file",
        "environment",
        "expose",
        "extends",
        "external_links",
        "extra_hosts",
        "gpus",
        "group_add",
        "healthcheck",
        "hostname",
        "image",
        "init",
        "ipc",
        "isolation",
        "label_file",
        "labels",
        "links",
        "logging",
        "mac_address",
        "mem_limit",
        "mem_reservation",
        "mem_swappiness",
        "memswap_limit",
        "models",
        "network_mode",
        "networks",
        "oom_kill_disable",
        "oom_score_adj",
        "pid",
        "pids_limit",
        "platform",
        "ports",
        "post_start",
        "pre_stop",
        "privileged",
        "profiles",
        "provider",
        "pull_policy",
        "read_only",
        "restart",
        "runtime",
        "scale",
        "secrets",
        "security_opt",
        "shm_size",
        "stdin_open",
        "stop_grace_period",
        "stop_signal",
        "storage_opt",
        "sysctls",
        "tmpfs",
        "tty",
        "ulimits",
        "use_api_socket",
        "user",
        "userns_mode",
        "uts",
        "volumes",
        "volumes_from",
        "working_dir",
    ]
)
NETWORK_KEYS = frozenset(
    {
        "driver",
        "driver_opts",
        "attachable",
        "enable_ipv6",
        "enable_ipv4",
        "ipam",
        "internal",
        "labels",
        "external",
        "name",
    }
)
ATTACH_KEYS = frozenset(
    {
        "aliases",
        "ipv4_address",
        "ipv6_address",
        "link_local_ips",
        "mac_address",
        "driver_opts",
        "priority",
        "gw_priority",
        "interface_name",
    }
)
PORT_KEYS = frozenset({"target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"})
MOUNT_KEYS = frozenset({"type", "source", "target", "read_only", "bind", "volume", "tmpfs", "image", "consistency"})
VOLUME_KEYS = frozenset({"driver", "driver_opts", "external", "labels", "name"})
HOST_BINDING = "com.docker.network.bridge.host_binding_ipv4"


@dataclass
class ComposeProject:
    name: str
    location: Location
    networks: dict[str, NetworkDef] = field(default_factory=dict)  # compose key -> definition
    workloads: list[Workload] = field(default_factory=list)
    container_refs: dict[str, tuple[str, Location]] = field(default_factory=dict)  # address -> (container, loc)


def _check_keys(node: YNode, allowed: frozenset[str], what: str, diags: Diagnostics) -> None:
    for k, v in node.map().items():
        if k not in allowed and not k.startswith("x-"):
            diags.warning(f"unknown key {k!r} in {what}", v.loc, "compose-unknown-key")


def _bool(node: YNode | None) -> bool:
    if node is None:
        return False
    v = node.value
    if isinstance(v, str):
        return v.strip().lower() == "true"
    return bool(v) if isinstance(v, bool | int) else False


def _text(node: YNode | None) -> str:
    if node is None:
        return ""
    return node.str() or ""


def _unknowns(node: YNode | None) -> tuple[str, ...]:
    if node is None:
        return ()
    out: list[str] = list(node.unknowns)
    for child in node.map().values() if node.is_map() else node.list():
        out.extend(u for u in _unknowns(child) if u not in out)
    return tuple(out)


class ProjectParser:
    def __init__(self, name: str, doc: YNode, diags: Diagnostics) -> None:
        self.name = name
        self.doc = doc
        self.diags = diags

    def parse(self) -> ComposeProject:
        doc = self.doc
        _check_keys(doc, TOP_KEYS, "the compose file", self.diags)
        proj = ComposeProject(self.name, (doc.get("name") or doc).loc)
        self._networks(proj)
        volumes = doc.get("volumes")
        self.volume_binds: dict[str, str] = {}
        for vname, vnode in (volumes.map() if volumes is not None else {}).items():
            if not vnode.is_map():
                continue
            _check_keys(vnode, VOLUME_KEYS, f"volume {vname!r}", self.diags)
            opts = vnode.get("driver_opts")
            if opts is not None and "bind" in _text(opts.get("o")).split(",") and _text(opts.get("device")):
                self.volume_binds[vname] = _text(opts.get("device"))
        services = doc.get("services")
        if services is None or not services.is_map():
            if services is not None:
                self.diags.error("services must be a mapping", services.loc, "compose-schema")
            return proj
        for sname, snode in services.map().items():
            if not snode.is_map():
                self.diags.error(f"service {sname!r} must be a mapping", snode.loc, "compose-schema")
                continue
            proj.workloads.append(self._service(proj, sname, snode, set(services.map())))
        return proj

    # -- networks ---------------------------------------------------------------------------
    def _networks(self, proj: ComposeProject) -> None:
        nets = self.doc.get("networks")
        entries = dict(nets.map()) if nets is not None and nets.is_map() else {}
        if "default" not in entries:
            entries["default"] = YNode(None, proj.location)
        for key, node in entries.items():
            if node.value is not None and not node.is_map():
                self.diags.error(f"network {key!r} must be a mapping", node.loc, "compose-schema")
                continue
            _check_keys(node, NETWORK_KEYS, f"network {key!r}", self.diags)
            ext_node = node.get("external")
            external = _bool(ext_node)
            name = _text(node.get("name"))
            if ext_node is not None and ext_node.is_map():  # legacy `external: {name: x}`
                external = True
                name = name or _text(ext_node.get("name"))
            real = name or (key if external else f"{self.name}_{key}")
            opts = node.get("driver_opts")
            driver = _text(node.get("driver")) or "bridge"
            proj.networks[key] = NetworkDef(
                real_name=real,
                driver=driver,
                internal=_bool(node.get("internal")),
                external=external,
                location=node.loc,
                host_binding_ipv4=_text(opts.get(HOST_BINDING)) if opts is not None else "",
                project="" if external else self.name,
            )

    # -- services ---------------------------------------------------------------------------
    def _service(self, proj: ComposeProject, sname: str, s: YNode, all_services: set[str]) -> Workload:
        _check_keys(s, SERVICE_KEYS, f"service {sname!r}", self.diags)
        address = f"{self.name}/{sname}"
        flags: list[HostFlag] = []
        mode, mode_loc, attachments = self._attachments(proj, sname, s, all_services)
        if mode == "host":
            flags.append(HostFlag("host-network", "network_mode: host shares the host's network stack", mode_loc))
        for a in attachments:
            net = proj_net_by_real(proj, a.network)
            if net is not None and net.is_host:
                flags.append(HostFlag("host-network", f"attached to the host network {a.declared_as!r}", a.location))
                mode = "host"
            if net is not None and net.is_none and len(attachments) == 1:
                mode = "none"
        if mode in ("host", "none"):
            attachments = [a for a in attachments if not _special(proj, a.network)]
        pid = s.get("pid")
        if _text(pid) == "host":
            assert pid is not None
            flags.append(HostFlag("host-pid", "pid: host shares the host's process namespace", pid.loc))
        priv = s.get("privileged")
        if _bool(priv):
            assert priv is not None
            flags.append(HostFlag("privileged", "privileged: true", priv.loc))
        caps = s.get("cap_add")
        if caps is not None:
            flags.extend(cap_flags([_text(c) for c in caps.list()], caps.loc))
        api = s.get("use_api_socket")
        if _bool(api):
            assert api is not None
            flags.append(HostFlag("docker-socket", "use_api_socket: true mounts the Docker API socket", api.loc))
        flags.extend(self._mounts(s))
        bindings: list[Binding] = []
        ports = s.get("ports")
        if ports is not None:
            if mode.startswith("share:") or mode in ("host", "none"):
                self.diags.warning(
                    f"ports of {sname!r} are ignored with network_mode {_text(s.get('network_mode')) or mode}",
                    ports.loc,
                    "compose-ports-ignored",
                )
            else:
                for p in ports.list():
                    bindings.extend(self._port(p))
        declared = PortSet()
        for b in bindings:
            declared = declared | b.ports
        expose = s.get("expose")
        for e in expose.list() if expose is not None else []:
            try:
                declared = declared | _port_spec(_text(e))
            except ValueError:
                self.diags.warning(f"invalid expose entry {_text(e)!r}", e.loc, "compose-port")
        image = _text(s.get("image"))
        labels = s.get("labels")
        return Workload(
            address=address,
            name=sname,
            tenant=self.name,
            location=s.loc,
            images=(image,) if image else (),
            network_mode=mode,
            network_mode_location=mode_loc,
            attachments=tuple(attachments),
            bindings=tuple(bindings),
            host_flags=tuple(flags),
            declared_ports=declared,
            container_name=_text(s.get("container_name")),
            labels=tuple((k, _text(v)) for k, v in (labels.map().items() if labels is not None else ())),
        )

    def _attachments(
        self, proj: ComposeProject, sname: str, s: YNode, all_services: set[str]
    ) -> tuple[str, Location, list[Attachment]]:
        nm = s.get("network_mode")
        nets = s.get("networks")
        if nm is not None and _text(nm):
            if nets is not None:
                self.diags.error(
                    f"service {sname!r} sets both network_mode and networks; Compose rejects this, networks ignored",
                    nets.loc,
                    "compose-schema",
                )
            mode = _text(nm)
            if mode in ("host", "none"):
                return mode, nm.loc, []
            if mode.startswith("service:"):
                other = mode.split(":", 1)[1]
                if other not in all_services:
                    self.diags.error(f"network_mode {mode!r}: no service {other!r}", nm.loc, "compose-schema")
                    return "none", nm.loc, []
                return f"share:{self.name}/{other}", nm.loc, []
            if mode.startswith("container:"):
                proj.container_refs[f"{self.name}/{sname}"] = (mode.split(":", 1)[1], nm.loc)
                return f"container:{mode.split(':', 1)[1]}", nm.loc, []
            real = "bridge" if mode in ("bridge", "default") else mode
            key = f"!{real}"
            proj.networks.setdefault(key, NetworkDef(real, "bridge", external=True, location=nm.loc))
            return "", nm.loc, [Attachment(real, nm.loc, 0, real)]
        out: list[Attachment] = []
        if nets is None:
            default = proj.networks.get("default")
            if default is not None:
                out.append(Attachment(default.real_name, s.loc, 0, "default"))
            return "", s.loc, out
        for key, anode in nets.map().items():
            net = proj.networks.get(key)
            if net is None:
                self.diags.error(f"service {sname!r} refers to undefined network {key!r}", anode.loc, "compose-schema")
                continue
            prio = 0
            if anode.is_map():
                _check_keys(anode, ATTACH_KEYS, f"network {key!r} of service {sname!r}", self.diags)
                for pk in ("gw_priority", "priority"):
                    pv = anode.get(pk)
                    if pv is not None and isinstance(pv.value, int) and not isinstance(pv.value, bool):
                        prio = pv.value
                        break
            out.append(Attachment(net.real_name, anode.loc, prio, key))
        return "", nets.loc, out

    # -- ports ------------------------------------------------------------------------------
    def _port(self, p: YNode) -> list[Binding]:
        unknowns = _unknowns(p)
        if p.is_map():
            _check_keys(p, PORT_KEYS, "port", self.diags)
            try:
                target = _range(_text(p.get("target")))
                pub_text = _text(p.get("published"))
                published = _range(pub_text) if pub_text else None
                proto = _protocol(_text(p.get("protocol")) or "tcp")
            except ValueError as exc:
                self.diags.error(f"invalid port: {exc}", p.loc, "compose-port")
                return []
            host_ip = _text(p.get("host_ip"))
            text = f"{host_ip + ':' if host_ip else ''}{pub_text + ':' if pub_text else ''}{_text(p.get('target'))}/{proto}"
            mode = _text(p.get("mode")) or "ingress"
            return [Binding(host_ip, published, target, proto, p.loc, text, unknowns, mode)]
        text = _text(p)
        try:
            return [parse_short_port(text, p.loc, unknowns)]
        except ValueError as exc:
            self.diags.error(f"invalid port {text!r}: {exc}", p.loc, "compose-port")
            return []

    # -- mounts -----------------------------------------------------------------------------
    def _mounts(self, s: YNode) -> list[HostFlag]:
        out: list[HostFlag] = []
        vols = s.get("volumes")
        for v in vols.list() if vols is not None else []:
            unknowns = _unknowns(v)
            if v.is_map():
                _check_keys(v, MOUNT_KEYS, "volume mount", self.diags)
                vtype = _text(v.get("type"))
                source = _text(v.get("source"))
                target = _text(v.get("target"))
                ro = _bool(v.get("read_only"))
                if vtype == "volume" and source in self.volume_binds:
                    source = self.volume_binds[source]
                elif vtype != "bind":
                    continue
            else:
                text = _text(v)
                parts = _split_volume(text)
                if len(parts) < 2:
                    continue
                source, target = parts[0], parts[1]
                ro = len(parts) > 2 and "ro" in parts[2].split(",")
                if source in self.volume_binds:
                    source = self.volume_binds[source]
            out.extend(mount_flags(source, target, ro, v.loc, unknowns))
        return out


def proj_net_by_real(proj: ComposeProject, real: str) -> NetworkDef | None:
    for n in proj.networks.values():
        if n.real_name == real:
            return n
    return None


def _special(proj: ComposeProject, real: str) -> bool:
    n = proj_net_by_real(proj, real)
    return n is not None and (n.is_host or n.is_none)


def _split_volume(text: str) -> list[str]:
    if text.startswith("//./pipe/") or text.startswith("\\\\.\\pipe\\"):
        src, _, rest = text.partition(":")
        return [src, *rest.split(":")]
    return text.split(":")


def _protocol(text: str) -> str:
    p = canonical_protocol(text)
    if p not in ("tcp", "udp", "sctp"):
        raise ValueError(f"unsupported protocol {text!r}")
    return p


def _range(text: str) -> tuple[int, int]:
    t = text.strip()
    if not t:
        raise ValueError("missing port")
    lo_s, _, hi_s = t.partition("-")
    try:
        lo, hi = int(lo_s), int(hi_s or lo_s)
    except ValueError:
        raise ValueError(f"{t!r} is not a port or port range") from None
    if not (0 < lo <= hi <= 65535):
        raise ValueError(f"{t!r} is out of range")
    return lo, hi


def _port_spec(text: str) -> PortSet:
    rng, _, proto = text.partition("/")
    lo, hi = _range(rng)
    return PortSet.proto(_protocol(proto or "tcp"), lo, hi)


def parse_short_port(text: str, loc: Location, unknowns: tuple[str, ...] = ()) -> Binding:
    """``[[ip:]host:]container[/proto]`` with ranges, ``[::1]:8080:80`` and bare IPv6, as Docker parses it."""
    spec, _, proto = text.strip().partition("/")
    protocol = _protocol(proto or "tcp")
    parts = spec.split(":")
    ip, host = "", ""
    if len(parts) == 1:
        container = parts[0]
    elif len(parts) == 2:
        host, container = parts
    elif len(parts) == 3:
        ip, host, container = parts
    else:
        ip, host, container = ":".join(parts[:-2]), parts[-2], parts[-1]
    ip = ip.strip("[]")
    cports = _range(container)
    hports = _range(host) if host else None
    if hports is not None and hports[1] - hports[0] != cports[1] - cports[0] and cports[0] != cports[1]:
        raise ValueError("host and container port ranges differ in size")
    return Binding(ip, hports, cports, protocol, loc, text.strip(), unknowns)
