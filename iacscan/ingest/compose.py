"""The compose layer: docker-compose projects → endpoints ``project/service``, network zones and facts.

The work is done by :mod:`iacscan.compose` (loading, merging, interpolation, the docker-host
description and its analysis); this module wires it to the pipeline and offers the
cross-layer hook :func:`published_ports`.

Decisions where Compose leaves a choice to the scanner:

* All projects of one scanned root are assumed to run on one docker daemon, named
  :data:`~iacscan.compose.host.COMPOSE_HOST` (``docker-host``): networks with the same real name
  are one network across projects, and host-access findings target ``docker-host``.
* Services with ``profiles:`` are analysed like the others (they can be started).
* ``COMPOSE_PROJECT_NAME`` is honoured from the project's ``.env`` only, not from the scanner's
  own environment (which would give every scanned project the same name).
* ``container:NAME`` resolves against the ``container_name`` (or default ``project-service-1``
  name) of the scanned services; an unknown container leaves the service without networks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from iacscan.compose.analysis import analyse_host
from iacscan.compose.host import COMPOSE_HOST, DockerHost, Workload, bind_class
from iacscan.compose.load import Loader, project_name
from iacscan.compose.spec import ComposeProject, ProjectParser
from iacscan.engine.catalog import load_catalog
from iacscan.ingest import ScanContext
from iacscan.model.core import Model
from iacscan.model.ports import PortSet
from iacscan.source import Diagnostics, Location


def load_projects(ctx: ScanContext) -> list[ComposeProject]:
    """Every compose project under ``ctx`` (included/extended files are not projects of their own)."""
    loader = Loader(ctx)
    raws = [r for d, files in loader.discover() if (r := loader.load_project(d, files)) is not None]
    projects: list[ComposeProject] = []
    seen: dict[str, Location] = {}
    for raw in raws:
        if raw.main_file.resolve() in loader.consumed:
            continue
        name = project_name(raw)
        if not name:
            ctx.diagnostics.error("cannot derive a project name; set `name:`", ctx.loc(raw.main_file), "compose-name")
            continue
        if name in seen:
            ctx.diagnostics.warning(
                f"project name {name!r} is also used by {seen[name]}; Compose would treat both as one project",
                ctx.loc(raw.main_file),
                "compose-duplicate-project",
            )
        seen.setdefault(name, ctx.loc(raw.main_file))
        projects.append(ProjectParser(name, raw.doc, ctx.diagnostics).parse())
    return projects


def build_host(projects: list[ComposeProject], diags: Diagnostics) -> DockerHost:
    host = DockerHost(COMPOSE_HOST)
    for p in projects:
        for key, net in p.networks.items():
            host.add_network(net)
            if not key.startswith("!") and (key != "default" or net.location != p.location):
                host.tenant_networks.setdefault((p.name, net.real_name), net.location)
        host.workloads.extend(p.workloads)
    names: dict[str, Workload] = {}
    for w in host.workloads:
        project, _, service = w.address.partition("/")
        names.setdefault(w.container_name or f"{project}-{service}-1", w)
    resolved: list[Workload] = []
    for w in host.workloads:
        if w.network_mode.startswith("container:"):
            ref = w.network_mode.split(":", 1)[1]
            other = names.get(ref)
            if other is not None and other is not w:
                w = dataclasses.replace(w, network_mode=f"share:{other.address}")
            else:
                diags.warning(
                    f"network_mode container:{ref}: no scanned service runs as container {ref!r}; "
                    f"{w.address} is analysed without networks",
                    w.network_mode_location,
                    "compose-unknown-container",
                )
                w = dataclasses.replace(w, network_mode=f"unknown:{ref}")
        resolved.append(w)
    host.workloads = resolved
    return host


def load(ctx: ScanContext) -> Model:
    projects = load_projects(ctx)
    if not projects:
        return Model()
    return analyse_host(build_host(projects, ctx.diagnostics), load_catalog(), ctx.diagnostics)


# -- cross-layer hook ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedPort:
    """One published port of a compose service, as the docker host exposes it."""

    host_ip: str  # "" or "0.0.0.0"/"::" = every interface; "127.0.0.1"/"::1" = loopback only
    host_ports: tuple[int, int] | None  # None: an ephemeral port chosen by the daemon
    protocol: str  # tcp, udp, sctp
    target: str  # endpoint address "project/service"
    container_ports: PortSet  # what the service receives on
    bind: str  # "all", "loopback", "private", "public" (see iacscan.compose.host.bind_class)
    location: Location


def published_ports(ctx: ScanContext) -> dict[str, list[PublishedPort]]:
    """Per project, every port its services publish on the docker host (the cross-layer hook).

    For the later "bind a compose host to an EC2 instance" work: the compose layer reports
    published ports as reachable from ``lan`` because it does not know where the docker host
    sits.  Once a project is bound to an instance (``.iacscan.yml``), recompute the sources of
    each entry whose ``bind`` is not ``loopback`` through the instance's security groups, NACLs
    and routes (the AWS layer's reach for ``host_ports``/``protocol`` on that instance), and
    emit a :class:`~iacscan.model.core.Reach` from those sources to ``target`` on
    ``container_ports`` (a ``bind`` of ``private``/``public`` names one host address only).

    Loads the projects again with a private diagnostics sink, so calling it never duplicates
    the scan's diagnostics.  Services in shared namespaces (``network_mode: service:X``) are not
    listed separately: X's entries cover them.
    """
    quiet = dataclasses.replace(ctx, diagnostics=Diagnostics())
    projects = load_projects(quiet)
    host = build_host(projects, quiet.diagnostics)
    nets = host.networks
    out: dict[str, list[PublishedPort]] = {}
    for p in projects:
        rows = out.setdefault(p.name, [])
        for w in p.workloads:
            if w.network_mode:
                continue
            default = ""
            for a in sorted(w.attachments, key=lambda a: (-a.priority, a.network))[:1]:
                n = nets.get(a.network)
                default = n.host_binding_ipv4 if n is not None else ""
            for b in w.bindings:
                ip = b.host_ip or default
                rows.append(PublishedPort(ip, b.host_ports, b.protocol, w.address, b.ports, bind_class(ip), b.location))
    return out
