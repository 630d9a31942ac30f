"""The model the compose and docker layers build: endpoints, zones, conns, reaches; `reach`; the cross-layer hook."""

from __future__ import annotations

import argparse
import dataclasses

from iacscan.commands.reach import render
from iacscan.compose.host import COMPOSE_HOST
from iacscan.config import Config
from iacscan.ingest import ScanContext, ScanOptions, walk
from iacscan.ingest.compose import published_ports
from iacscan.ingest.docker_inspect import host_name
from iacscan.model.core import SourceKind
from iacscan.model.ports import PortSet
from iacscan.source import Diagnostics

from .helpers import FIXTURES, ROOT, run


def _reach(path: str, src: str | None = None, dst: str | None = None, port: str | None = None) -> list[str]:
    result = run(ROOT / path)
    args = argparse.Namespace(format="text", src=src, dst=dst, port=port)
    return render(result, args).splitlines()


def test_endpoints_and_zones() -> None:
    result = run(FIXTURES / "networks")
    api = result.model.endpoints["netz/api"]
    assert (api.kind, api.layer, api.tenant, api.images, api.listening) == (
        "compose-service",
        "compose",
        "netz",
        ("example/api",),
        None,
    )
    assert api.zones == ("network:netz_edge", "network:netz_backend")
    assert api.location.line == 8
    assert {"network:netz_edge", "network:netz_backend", "network:netz_jobs", "host:docker-host"} <= set(
        result.model.zones
    )


def test_common_network_reaches_every_port_and_isolation() -> None:
    assert _reach("fixtures/compose/networks", src="netz/front") == [
        "netz/front => netz/api : all",
        "netz/front => netz/sidecar : all",
    ]
    assert _reach("fixtures/compose/networks", src="netz/batch") == []
    assert _reach("fixtures/compose/networks", dst="netz/db") == [
        "netz/api => netz/db : all",
        "netz/sidecar => netz/db : all",
    ]


def test_reach_command_on_demo() -> None:
    lines = _reach("fixtures/demo/compose", src="ci/jenkins")
    assert lines == [
        "ci/jenkins => ci/ci-db : all",
        "ci/jenkins => ci/dind : all",
        "ci/jenkins => ci/portainer : all",
        "ci/jenkins => storefront/web : all",
    ]
    assert _reach("fixtures/demo/compose", src="lan", port="2375") == ["lan => ci/dind : tcp/2375"]
    assert _reach("fixtures/demo/compose", src=COMPOSE_HOST) == ["docker-host => ci/portainer : tcp/8000"]


def test_published_reach_shape() -> None:
    result = run(FIXTURES / "published")
    (r,) = [r for r in result.model.reaches if r.target == "published/db"]
    assert (r.source, r.source_kind, r.ports, r.via) == (
        "lan",
        SourceKind.LAN,
        PortSet.tcp(5432),
        "docker-host port 0.0.0.0:15432/tcp",
    )
    assert [h.node for h in r.path] == ["lan", "docker-host:15432/tcp", "published/db"]
    assert (r.location.file, r.location.line) == ("compose.yaml", 12)
    loop = [r for r in result.model.reaches if r.target == "published/cache"]
    assert {(r.source, r.source_kind) for r in loop} == {(COMPOSE_HOST, SourceKind.HOST)}
    (pub,) = [r for r in result.model.reaches if r.target == "published/public"]
    assert pub.source_kind is SourceKind.INTERNET


def test_service_namespace_sharing() -> None:
    result = run(FIXTURES / "networks")
    assert result.model.endpoints["netz/sidecar"].zones == result.model.endpoints["netz/api"].zones
    assert not [e for e in result.model.egress if e.endpoint in ("netz/offline", "netz/batch", "netz/db")]
    lan = {(r.target, str(r.ports)) for r in result.model.reaches if r.source == "lan"}
    assert lan == {("netz/sniffer", "tcp/9100"), ("netz/lan-printer", "tcp/631")}


def test_facts_shape() -> None:
    result = run(FIXTURES / "tenants")
    assert sorted((t.source, t.network, t.tenants) for t in result.model.tenants) == [
        ("team-a", "platform", ("team-a", "team-b")),
        ("team-b", "platform", ("team-a", "team-b")),
    ]
    assert sorted((f.endpoint, f.network) for f in result.model.lateral) == [
        ("team-a/shop", "network:platform"),
        ("team-b/billing", "network:platform"),
    ]
    ha = run(FIXTURES / "hostaccess").model.host_access
    assert {f.host for f in ha} == {COMPOSE_HOST}
    assert {f.kind for f in ha} == {
        "docker-socket",
        "containerd-socket",
        "host-root-mount",
        "host-proc-mount",
        "host-etc-mount",
        "host-pid",
        "privileged",
        "net-admin",
        "sys-admin",
        "host-network",
    }


def test_docker_inspect_model() -> None:
    result = run(FIXTURES / "docker_inspect")
    assert sorted(result.model.endpoints) == [
        "web01/envoy",
        "web01/metrics",
        "web01/ops-db-1",
        "web01/portainer",
        "web01/shop-web-1",
    ]
    ep = result.model.endpoints["web01/portainer"]
    assert (ep.kind, ep.layer, ep.tenant) == ("docker-container", "docker", "ops")
    assert ep.zones == ("network:web01/ops_default", "network:web01/shared")
    assert [d.code for d in result.diagnostics.items] == ["docker-stopped"]
    assert host_name(FIXTURES / "docker_inspect" / "web01.networks.json") == "web01"


def test_docker_inspect_single_file_without_networks() -> None:
    src = FIXTURES / "docker_inspect" / "web01.containers.json"
    result = run(src)
    assert "web01/portainer" in result.model.endpoints
    assert any(r.target == "web01/portainer" and r.source == "lan" for r in result.model.reaches)


def test_published_ports_hook() -> None:
    root = (ROOT / "fixtures" / "demo" / "compose").resolve()
    diags = Diagnostics()
    ctx = ScanContext(root, walk(root, diags), Config(), diags, ScanOptions(environ={}))
    table = published_ports(ctx)
    assert sorted(table) == ["ci", "storefront"]
    rows = [(p.host_ip, p.host_ports, p.protocol, p.target, str(p.container_ports), p.bind) for p in table["ci"]]
    assert rows == [
        ("", (8080, 8080), "tcp", "ci/jenkins", "tcp/8080", "all"),
        ("", (50000, 50000), "tcp", "ci/jenkins", "tcp/50000", "all"),
        ("", (2375, 2375), "tcp", "ci/dind", "tcp/2375", "all"),
        ("", (9443, 9443), "tcp", "ci/portainer", "tcp/9443", "all"),
        ("127.0.0.1", (8000, 8000), "tcp", "ci/portainer", "tcp/8000", "loopback"),
        ("0.0.0.0", (5432, 5432), "tcp", "ci/ci-db", "tcp/5432", "all"),
    ]
    assert [(p.target, p.bind) for p in table["storefront"]] == [("storefront/web", "all")]
    assert not diags.items  # the hook never adds to the scan's diagnostics
    assert dataclasses.is_dataclass(table["ci"][0])
