"""The docker layer: ``docker inspect`` / ``docker network inspect`` JSON of a live host → the model.

Input: a ``.json`` file holding an array of containers and/or networks exactly as those
commands print them (several files may describe one host).  Files are recognised by content:
an array whose objects have ``Id`` plus ``Config``/``HostConfig``/``NetworkSettings``
(containers) or ``Driver``/``IPAM`` (networks).  Anything else is not this layer's input.

Naming (the commands do not print the docker host's name):

* the host is the file name up to its first dot — ``web01.json``, ``web01.networks.json`` and
  ``web01.containers.json`` all describe host ``web01``;
* endpoints are ``host/container-name``, zones ``network:host/name``, tenant findings target
  ``host/network-name``; host-access findings target the host name;
* a container's tenant is its ``com.docker.compose.project`` label (none otherwise).

The same analysis as compose (:mod:`iacscan.compose.analysis`) builds the facts.  Live data
wins over configuration: ``NetworkSettings.Ports`` (what is bound) over
``HostConfig.PortBindings`` (what was asked), ``Mounts`` over ``HostConfig.Binds``.  Stopped
containers (``State.Running: false``) are skipped with an info diagnostic.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from iacscan.compose.analysis import analyse_host
from iacscan.compose.host import (
    Attachment,
    Binding,
    DockerHost,
    HostFlag,
    NetworkDef,
    Workload,
    cap_flags,
    mount_flags,
)
from iacscan.compose.yamlsafe import YamlError, YNode, load_yaml
from iacscan.engine.catalog import load_catalog
from iacscan.ingest import ScanContext
from iacscan.model.core import Model
from iacscan.model.ports import PortSet
from iacscan.source import Diagnostics, Location

MAX_BYTES = 64 * 1024 * 1024
PROJECT_LABEL = "com.docker.compose.project"
HOST_BINDING = "com.docker.network.bridge.host_binding_ipv4"
BUILTIN = {"bridge": "bridge", "host": "host", "none": "null"}


def _s(node: YNode | None) -> str:
    return (node.str() or "") if node is not None else ""


def _path(node: YNode | None, *keys: str) -> YNode | None:
    for k in keys:
        if node is None:
            return None
        node = node.get(k)
    return node


def _kind(obj: YNode) -> str:
    keys = set(obj.map())
    if "Id" in keys and keys & {"Config", "HostConfig", "NetworkSettings"}:
        return "container"
    if "Id" in keys and "Driver" in keys and keys & {"IPAM", "Containers", "Scope"}:
        return "network"
    return ""


def host_name(path: Path) -> str:
    return path.name.split(".", 1)[0] or path.stem


def read_inspect(path: Path, loc: Location, diags: Diagnostics) -> list[tuple[str, YNode]] | None:
    """The docker objects in ``path``, or None when the file is not ``docker inspect`` output."""
    if path.suffix.lower() != ".json":
        return None
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.lstrip().startswith("[") or '"Id"' not in text:
        return None
    try:
        doc = load_yaml(text, loc, max_nodes=2_000_000)
    except YamlError as exc:
        if '"HostConfig"' in text or '"IPAM"' in text:
            diags.error(f"cannot read docker inspect output: {exc}", loc.at(exc.line), exc.code)
        return None
    if doc is None or not doc.is_list():
        return None
    objs = [(_kind(o), o) for o in doc.list() if o.is_map()]
    if not any(k for k, _ in objs):
        return None
    for k, o in objs:
        if not k:
            diags.warning("array item is neither a container nor a network; skipped", o.loc, "docker-inspect")
    return [(k, o) for k, o in objs if k]


class _HostBuilder:
    def __init__(self, name: str, diags: Diagnostics) -> None:
        self.host = DockerHost(name, scope=name)
        self.diags = diags
        self.ids: dict[str, str] = {}  # container id -> address
        self.names: dict[str, str] = {}  # container name -> address
        self.pending_members: list[tuple[str, str, Location]] = []  # (network, container name, loc)

    def network(self, o: YNode) -> None:
        name = _s(o.get("Name"))
        if not name:
            self.diags.warning("network without a Name; skipped", o.loc, "docker-inspect")
            return
        driver = _s(o.get("Driver")) or "bridge"
        opts = o.get("Options")
        internal = o.get("Internal")
        self.host.add_network(
            NetworkDef(
                real_name=name,
                driver=driver,
                internal=bool(internal is not None and internal.value is True),
                external=False,
                location=(o.get("Name") or o).loc,
                host_binding_ipv4=_s(opts.get(HOST_BINDING)) if opts is not None else "",
                project=_s(_path(o, "Labels", PROJECT_LABEL)),
            )
        )
        members = o.get("Containers")
        for cid, c in members.map().items() if members is not None else ():
            cname = _s(c.get("Name")) or cid[:12]
            self.pending_members.append((name, cname, c.loc))

    def container(self, o: YNode) -> None:
        name = _s(o.get("Name")).lstrip("/")
        cid = _s(o.get("Id"))
        if not name:
            name = cid[:12]
        running = _path(o, "State", "Running")
        if running is not None and running.value is False:
            self.diags.info(f"container {name} is not running; skipped", o.loc, "docker-stopped")
            return
        address = f"{self.host.name}/{name}"
        self.ids[cid] = address
        self.names[name] = address
        hc = o.get("HostConfig")
        cfg = o.get("Config")
        labels = _path(cfg, "Labels")
        label_pairs = tuple((k, _s(v)) for k, v in (labels.map().items() if labels is not None else ()))
        tenant = dict(label_pairs).get(PROJECT_LABEL, "")
        image = _s(_path(cfg, "Image")) or _s(o.get("Image"))
        flags: list[HostFlag] = []
        nm_node = _path(hc, "NetworkMode")
        nm = _s(nm_node)
        mode = ""
        mode_loc = nm_node.loc if nm_node is not None else o.loc
        if nm == "host":
            mode = "host"
            flags.append(HostFlag("host-network", "NetworkMode host shares the host's network stack", mode_loc))
        elif nm == "none":
            mode = "none"
        elif nm.startswith("container:"):
            mode = f"container:{nm.split(':', 1)[1]}"
        pid = _path(hc, "PidMode")
        if _s(pid) == "host":
            assert pid is not None
            flags.append(HostFlag("host-pid", "PidMode host shares the host's process namespace", pid.loc))
        priv = _path(hc, "Privileged")
        if priv is not None and priv.value is True:
            flags.append(HostFlag("privileged", "Privileged: true", priv.loc))
        caps = _path(hc, "CapAdd")
        if caps is not None and caps.is_list():
            flags.extend(cap_flags([_s(c) for c in caps.list()], caps.loc))
        flags.extend(self._mounts(o))
        atts: list[Attachment] = []
        nets = _path(o, "NetworkSettings", "Networks")
        if mode == "":
            for nname, n in nets.map().items() if nets is not None else ():
                if nname in ("host", "none"):
                    continue
                prio = _path(n, "GwPriority")
                p = prio.value if prio is not None and isinstance(prio.value, int) else 0
                atts.append(Attachment(nname, n.loc, int(p), nname))
        declared = PortSet()
        exposed = _path(cfg, "ExposedPorts")
        for spec in exposed.map() if exposed is not None else ():
            declared = declared | _port_key(spec)
        bindings = self._bindings(o, hc)
        for b in bindings:
            declared = declared | b.ports
        self.host.workloads.append(
            Workload(
                address=address,
                name=name,
                tenant=tenant,
                kind="docker-container",
                layer="docker",
                location=o.loc,
                images=(image,) if image and not image.startswith("sha256:") else (),
                network_mode=mode,
                network_mode_location=mode_loc,
                attachments=tuple(atts),
                bindings=tuple(bindings) if mode == "" else (),
                host_flags=tuple(flags),
                declared_ports=declared,
                container_name=name,
                labels=label_pairs,
            )
        )

    def _bindings(self, o: YNode, hc: YNode | None) -> list[Binding]:
        live = _path(o, "NetworkSettings", "Ports")
        source = (
            live if live is not None and any(v.is_list() for v in live.map().values()) else _path(hc, "PortBindings")
        )
        out: list[Binding] = []
        seen: set[tuple[str, str, str]] = set()
        for spec, binds in source.map().items() if source is not None else ():
            try:
                ports = _port_key(spec)
            except ValueError:
                self.diags.warning(f"invalid port {spec!r}", binds.loc, "docker-inspect")
                continue
            proto = ports.protocols()[0] if ports else "tcp"
            (lo, hi) = ports.intervals(proto)[0]
            for b in binds.list():
                ip = _s(b.get("HostIp"))
                hp = _s(b.get("HostPort"))
                key = ("all" if ip in ("", "0.0.0.0", "::") else ip, hp, spec)
                if key in seen:
                    continue
                seen.add(key)
                hport = None
                if hp:
                    h_lo, _, h_hi = hp.partition("-")
                    if h_lo.isdigit():
                        hport = (int(h_lo), int(h_hi) if h_hi.isdigit() else int(h_lo))
                text = f"{ip + ':' if ip else ''}{hp}:{spec}"
                out.append(Binding(ip, hport, (lo, hi), proto, b.loc, text))
        return out

    def _mounts(self, o: YNode) -> list[HostFlag]:
        out: list[HostFlag] = []
        mounts = o.get("Mounts")
        if mounts is not None and mounts.is_list() and mounts.list():
            for m in mounts.list():
                if _s(m.get("Type")) != "bind":
                    continue
                rw = m.get("RW")
                out.extend(
                    mount_flags(
                        _s(m.get("Source")), _s(m.get("Destination")), rw is not None and rw.value is False, m.loc
                    )
                )
            return out
        binds = _path(o, "HostConfig", "Binds")
        for b in binds.list() if binds is not None else []:
            parts = _s(b).split(":")
            if len(parts) >= 2:
                out.extend(mount_flags(parts[0], parts[1], len(parts) > 2 and "ro" in parts[2].split(","), b.loc))
        return out

    def finish(self) -> DockerHost:
        h = self.host
        by_address = {w.address: w for w in h.workloads}
        # Members only the network inspect lists (their container was not inspected).
        for net, cname, loc in self.pending_members:
            address = self.names.get(cname)
            if address is None:
                address = f"{h.name}/{cname}"
                w = Workload(address, cname, "", "docker-container", "docker", loc)
                h.workloads.append(w)
                by_address[address] = w
                self.names[cname] = address
            w = by_address[address]
            if w.network_mode == "" and all(a.network != net for a in w.attachments):
                idx = h.workloads.index(w)
                w = dataclasses.replace(w, attachments=(*w.attachments, Attachment(net, loc, 0, net)))
                h.workloads[idx] = by_address[address] = w
        for w in list(h.workloads):
            for a in w.attachments:
                if a.network not in h.networks:
                    h.add_network(NetworkDef(a.network, BUILTIN.get(a.network, "bridge"), location=a.location))
        out: list[Workload] = []
        for w in h.workloads:
            if w.network_mode.startswith("container:"):
                ref = w.network_mode.split(":", 1)[1]
                target = self.names.get(ref) or next((a for i, a in self.ids.items() if i.startswith(ref)), None)
                if target is None:
                    self.diags.warning(
                        f"{w.address} shares the network of container {ref[:12]}, which is not in the input",
                        w.network_mode_location,
                        "docker-unknown-container",
                    )
                    w = dataclasses.replace(w, network_mode=f"unknown:{ref}")
                else:
                    w = dataclasses.replace(w, network_mode=f"share:{target}")
            out.append(w)
        h.workloads = out
        return h


def _port_key(spec: str) -> PortSet:
    rng, _, proto = spec.partition("/")
    lo, _, hi = rng.partition("-")
    return PortSet.proto(proto or "tcp", int(lo), int(hi or lo))


def load(ctx: ScanContext) -> Model:
    builders: dict[str, _HostBuilder] = {}
    for f in ctx.files:
        objs = read_inspect(f, ctx.loc(f), ctx.diagnostics)
        if not objs:
            continue
        b = builders.setdefault(host_name(f), _HostBuilder(host_name(f), ctx.diagnostics))
        for kind, o in sorted(objs, key=lambda x: x[0] != "network"):
            if kind == "network":
                b.network(o)
            else:
                b.container(o)
    model = Model()
    if not builders:
        return model
    catalog = load_catalog()
    for name in sorted(builders):
        model.merge(analyse_host(builders[name].finish(), catalog, ctx.diagnostics))
    return model
