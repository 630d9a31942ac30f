"""Every compose fixture: exact (rule, source, target, ports, file, line) findings, and annotations match findings."""

from __future__ import annotations

import pytest

from .helpers import FIXTURES, ROOT, Row, annotated, found, rows, run

ENV: dict[str, dict[str, str]] = {"interpolation": {"WEB_BIND": "127.0.0.1"}}

EXPECTED: dict[str, list[Row]] = {
    "published": [
        ("classic-service-exposed", "internet", "published/public", ("tcp/11211",), "compose.yaml", 44),
        ("classic-service-exposed", "lan", "published/db", ("tcp/5432",), "compose.yaml", 12),
        ("classic-service-exposed", "lan", "published/files", ("udp/111", "udp/2049"), "compose.yaml", 32),
        ("classic-service-exposed", "lan", "published/legacy", ("tcp/3306",), "compose.yaml", 40),
        ("classic-service-exposed", "lan", "published/search", ("tcp/9200-9201",), "compose.yaml", 28),
        ("egress-unrestricted", "published/cache", "internet", ("all",), "compose.yaml", 13),
        ("egress-unrestricted", "published/db", "internet", ("all",), "compose.yaml", 9),
        ("egress-unrestricted", "published/docs", "internet", ("all",), "compose.yaml", 18),
        ("egress-unrestricted", "published/files", "internet", ("all",), "compose.yaml", 29),
        ("egress-unrestricted", "published/legacy", "internet", ("all",), "compose.yaml", 37),
        ("egress-unrestricted", "published/public", "internet", ("all",), "compose.yaml", 41),
        ("egress-unrestricted", "published/search", "internet", ("all",), "compose.yaml", 25),
        ("egress-unrestricted", "published/v6", "internet", ("all",), "compose.yaml", 45),
        ("egress-unrestricted", "published/web", "internet", ("all",), "compose.yaml", 4),
        ("lateral-unrestricted", "network:published_default", "published/cache", ("all",), "compose.yaml", 13),
        ("lateral-unrestricted", "network:published_default", "published/db", ("all",), "compose.yaml", 9),
        ("lateral-unrestricted", "network:published_default", "published/docs", ("all",), "compose.yaml", 18),
        ("lateral-unrestricted", "network:published_default", "published/files", ("all",), "compose.yaml", 29),
        ("lateral-unrestricted", "network:published_default", "published/legacy", ("all",), "compose.yaml", 37),
        ("lateral-unrestricted", "network:published_default", "published/public", ("all",), "compose.yaml", 41),
        ("lateral-unrestricted", "network:published_default", "published/search", ("all",), "compose.yaml", 25),
        ("lateral-unrestricted", "network:published_default", "published/v6", ("all",), "compose.yaml", 45),
        ("lateral-unrestricted", "network:published_default", "published/web", ("all",), "compose.yaml", 4),
    ],
    "networks": [
        ("egress-unrestricted", "netz/api", "internet", ("all",), "compose.yaml", 12),
        ("egress-unrestricted", "netz/front", "internet", ("all",), "compose.yaml", 7),
        ("egress-unrestricted", "netz/lan-printer", "internet", ("all",), "compose.yaml", 43),
        ("egress-unrestricted", "netz/legacy", "internet", ("all",), "compose.yaml", 39),
        ("egress-unrestricted", "netz/sidecar", "internet", ("all",), "compose.yaml", 29),
        ("egress-unrestricted", "netz/sniffer", "internet", ("all",), "compose.yaml", 22),
        ("egress-unrestricted", "netz/tunnel", "internet", ("all",), "compose.yaml", 36),
        ("egress-unrestricted", "netz/vpn", "internet", ("all",), "compose.yaml", 33),
        ("host-service-reachable", "netz/sniffer", "docker-host", ("all",), "compose.yaml", 22),
        ("lateral-unrestricted", "network:netz_backend", "netz/api", ("all",), "compose.yaml", 13),
        ("lateral-unrestricted", "network:netz_backend", "netz/db", ("all",), "compose.yaml", 16),
        ("lateral-unrestricted", "network:netz_backend", "netz/sidecar", ("all",), "compose.yaml", 29),
        ("lateral-unrestricted", "network:netz_edge", "netz/api", ("all",), "compose.yaml", 12),
        ("lateral-unrestricted", "network:netz_edge", "netz/front", ("all",), "compose.yaml", 7),
        ("lateral-unrestricted", "network:netz_edge", "netz/sidecar", ("all",), "compose.yaml", 29),
    ],
    "tenants": [
        ("egress-unrestricted", "team-a/shop", "internet", ("all",), "team-a/compose.yaml", 3),
        ("egress-unrestricted", "team-b/billing", "internet", ("all",), "team-b/docker-compose.yml", 6),
        ("egress-unrestricted", "team-b/ledger", "internet", ("all",), "team-b/docker-compose.yml", 9),
        ("egress-unrestricted", "team-c/crm", "internet", ("all",), "team-c/compose.yaml", 5),
        ("lateral-unrestricted", "network:platform", "team-a/shop", ("all",), "team-a/compose.yaml", 3),
        ("lateral-unrestricted", "network:platform", "team-b/billing", ("all",), "team-b/docker-compose.yml", 6),
        ("tenant-network-shared", "team-a", "platform", ("all",), "team-a/compose.yaml", 6),
        ("tenant-network-shared", "team-b", "platform", ("all",), "team-b/docker-compose.yml", 11),
    ],
    "hostaccess": [
        ("egress-unrestricted", "hostaccess/netdebug", "internet", ("all",), "compose.yaml", 72),
        ("host-service-reachable", "hostaccess/api-client", "docker-host", (), "compose.yaml", 69),
        ("host-service-reachable", "hostaccess/backup", "docker-host", (), "compose.yaml", 20),
        ("host-service-reachable", "hostaccess/builder", "docker-host", (), "compose.yaml", 13),
        ("host-service-reachable", "hostaccess/ci-agent", "docker-host", (), "compose.yaml", 8),
        ("host-service-reachable", "hostaccess/config", "docker-host", (), "compose.yaml", 31),
        ("host-service-reachable", "hostaccess/firewall", "docker-host", (), "compose.yaml", 48),
        ("host-service-reachable", "hostaccess/monitor", "docker-host", (), "compose.yaml", 25),
        ("host-service-reachable", "hostaccess/mounter", "docker-host", (), "compose.yaml", 52),
        ("host-service-reachable", "hostaccess/netdebug", "docker-host", ("all",), "compose.yaml", 72),
        ("host-service-reachable", "hostaccess/runtime", "docker-host", (), "compose.yaml", 36),
        ("host-service-reachable", "hostaccess/sneaky", "docker-host", (), "compose.yaml", 65),
        ("host-service-reachable", "hostaccess/tracer", "docker-host", (), "compose.yaml", 40),
        ("host-service-reachable", "hostaccess/vm", "docker-host", (), "compose.yaml", 44),
    ],
    "services": [
        ("classic-service-exposed", "lan", "ops/jenkins", ("tcp/8080", "tcp/50000"), "compose.yaml", 8),
        ("classic-service-exposed", "lan", "ops/nfs", ("tcp/2049",), "compose.yaml", 36),
        ("classic-service-exposed", "lan", "ops/queue", ("tcp/5672", "tcp/15672"), "compose.yaml", 25),
        ("classic-service-exposed", "lan", "ops/samba", ("tcp/445",), "compose.yaml", 41),
        ("egress-unrestricted", "ops/dind", "internet", ("all",), "compose.yaml", 13),
        ("egress-unrestricted", "ops/jenkins", "internet", ("all",), "compose.yaml", 6),
        ("egress-unrestricted", "ops/nfs", "internet", ("all",), "compose.yaml", 34),
        ("egress-unrestricted", "ops/plain-queue", "internet", ("all",), "compose.yaml", 29),
        ("egress-unrestricted", "ops/portainer", "internet", ("all",), "compose.yaml", 18),
        ("egress-unrestricted", "ops/queue", "internet", ("all",), "compose.yaml", 23),
        ("egress-unrestricted", "ops/samba", "internet", ("all",), "compose.yaml", 39),
        ("egress-unrestricted", "ops/users", "internet", ("all",), "compose.yaml", 44),
        ("host-service-reachable", "ops/dind", "docker-host", (), "compose.yaml", 12),
        ("lateral-unrestricted", "network:ops_ci", "ops/dind", ("all",), "compose.yaml", 13),
        ("lateral-unrestricted", "network:ops_ci", "ops/jenkins", ("all",), "compose.yaml", 6),
        ("lateral-unrestricted", "network:ops_ci", "ops/portainer", ("all",), "compose.yaml", 18),
        ("lateral-unrestricted", "network:ops_files", "ops/nfs", ("all",), "compose.yaml", 34),
        ("lateral-unrestricted", "network:ops_files", "ops/samba", ("all",), "compose.yaml", 39),
        ("mgmt-api-lan", "lan", "ops/dind", ("tcp/2375",), "compose.yaml", 15),
        ("mgmt-api-lan", "lan", "ops/portainer", ("tcp/9443",), "compose.yaml", 20),
    ],
    "override": [
        ("classic-service-exposed", "lan", "override/db", ("tcp/5432",), "compose.override.yaml", 7),
        ("egress-unrestricted", "override/app", "internet", ("all",), "compose.override.yaml", 4),
        ("egress-unrestricted", "override/db", "internet", ("all",), "compose.override.yaml", 8),
        ("lateral-unrestricted", "network:override_internal-only", "override/app", ("all",), "compose.yaml", 7),
        ("lateral-unrestricted", "network:override_internal-only", "override/cache", ("all",), "compose.yaml", 15),
        ("lateral-unrestricted", "network:override_internal-only", "override/db", ("all",), "compose.yaml", 10),
        ("lateral-unrestricted", "network:override_outside", "override/app", ("all",), "compose.override.yaml", 4),
        ("lateral-unrestricted", "network:override_outside", "override/db", ("all",), "compose.override.yaml", 8),
    ],
    "include_extends": [
        ("host-service-reachable", "platform-app/web", "docker-host", (), "common/base.yaml", 8),
        ("host-service-reachable", "platform-app/worker", "docker-host", (), "compose.yaml", 17),
        ("lateral-unrestricted", "network:platform-app_backend", "platform-app/db", ("all",), "db/compose.yaml", 5),
        ("lateral-unrestricted", "network:platform-app_backend", "platform-app/web", ("all",), "common/base.yaml", 6),
        ("lateral-unrestricted", "network:platform-app_backend", "platform-app/worker", ("all",), "compose.yaml", 16),
    ],
    "interpolation": [
        ("classic-service-exposed", "lan", "interp/db", ("tcp/5432",), "compose.yaml", 8),
        ("classic-service-exposed", "lan", "interp/maybe", ("tcp/27017",), "compose.yaml", 28),
        ("egress-unrestricted", "interp/admin", "internet", ("all",), "compose.yaml", 11),
        ("egress-unrestricted", "interp/cache", "internet", ("all",), "compose.yaml", 16),
        ("egress-unrestricted", "interp/db", "internet", ("all",), "compose.yaml", 6),
        ("egress-unrestricted", "interp/literal", "internet", ("all",), "compose.yaml", 32),
        ("egress-unrestricted", "interp/maybe", "internet", ("all",), "compose.yaml", 26),
        ("egress-unrestricted", "interp/web", "internet", ("all",), "compose.yaml", 21),
        ("mgmt-api-lan", "lan", "interp/admin", ("tcp/9443",), "compose.yaml", 13),
    ],
    "bad": [
        ("host-service-reachable", "good/agent", "docker-host", (), "good/compose.yaml", 8),
    ],
    "docker_inspect": [
        ("egress-unrestricted", "web01/envoy", "internet", ("all",), "web01.containers.json", 284),
        ("egress-unrestricted", "web01/metrics", "internet", ("all",), "web01.containers.json", 245),
        ("egress-unrestricted", "web01/ops-db-1", "internet", ("all",), "web01.containers.json", 151),
        ("egress-unrestricted", "web01/portainer", "internet", ("all",), "web01.containers.json", 89),
        ("egress-unrestricted", "web01/shop-web-1", "internet", ("all",), "web01.containers.json", 221),
        ("host-service-reachable", "web01/metrics", "web01", ("all",), "web01.containers.json", 245),
        ("host-service-reachable", "web01/portainer", "web01", (), "web01.containers.json", 40),
        ("lateral-unrestricted", "network:web01/ops_default", "web01/ops-db-1", ("all",), "web01.containers.json", 151),
        ("lateral-unrestricted", "network:web01/ops_default", "web01/portainer", ("all",), "web01.containers.json", 89),
        ("lateral-unrestricted", "network:web01/shared", "web01/envoy", ("all",), "web01.containers.json", 284),
        ("lateral-unrestricted", "network:web01/shared", "web01/portainer", ("all",), "web01.containers.json", 94),
        ("lateral-unrestricted", "network:web01/shared", "web01/shop-web-1", ("all",), "web01.containers.json", 221),
        ("mgmt-api-lan", "lan", "web01/portainer", ("tcp/9443",), "web01.containers.json", 72),
        ("tenant-network-shared", "ops", "web01/shared", ("all",), "web01.containers.json", 94),
        ("tenant-network-shared", "shop", "web01/shared", ("all",), "web01.containers.json", 221),
    ],
}
DEMO: list[Row] = [
    ("classic-service-exposed", "lan", "ci/ci-db", ("tcp/5432",), "ci/compose.yaml", 40),
    ("classic-service-exposed", "lan", "ci/jenkins", ("tcp/8080", "tcp/50000"), "ci/compose.yaml", 11),
    ("egress-unrestricted", "ci/ci-db", "internet", ("all",), "ci/compose.yaml", 41),
    ("egress-unrestricted", "ci/dind", "internet", ("all",), "ci/compose.yaml", 25),
    ("egress-unrestricted", "ci/jenkins", "internet", ("all",), "ci/compose.yaml", 15),
    ("egress-unrestricted", "ci/portainer", "internet", ("all",), "ci/compose.yaml", 34),
    ("egress-unrestricted", "storefront/api", "internet", ("all",), "storefront/compose.yaml", 11),
    ("egress-unrestricted", "storefront/web", "internet", ("all",), "storefront/compose.yaml", 8),
    ("host-service-reachable", "ci/dind", "docker-host", (), "ci/compose.yaml", 18),
    ("host-service-reachable", "ci/portainer", "docker-host", (), "ci/compose.yaml", 32),
    ("lateral-unrestricted", "network:apps-shared", "ci/jenkins", ("all",), "ci/compose.yaml", 15),
    ("lateral-unrestricted", "network:apps-shared", "storefront/web", ("all",), "storefront/compose.yaml", 8),
    ("lateral-unrestricted", "network:ci_ci", "ci/ci-db", ("all",), "ci/compose.yaml", 41),
    ("lateral-unrestricted", "network:ci_ci", "ci/dind", ("all",), "ci/compose.yaml", 25),
    ("lateral-unrestricted", "network:ci_ci", "ci/jenkins", ("all",), "ci/compose.yaml", 15),
    ("lateral-unrestricted", "network:ci_ci", "ci/portainer", ("all",), "ci/compose.yaml", 34),
    ("lateral-unrestricted", "network:storefront_back", "storefront/api", ("all",), "storefront/compose.yaml", 11),
    ("lateral-unrestricted", "network:storefront_back", "storefront/db", ("all",), "storefront/compose.yaml", 14),
    ("lateral-unrestricted", "network:storefront_front", "storefront/api", ("all",), "storefront/compose.yaml", 11),
    ("lateral-unrestricted", "network:storefront_front", "storefront/web", ("all",), "storefront/compose.yaml", 8),
    ("mgmt-api-lan", "lan", "ci/dind", ("tcp/2375",), "ci/compose.yaml", 22),
    ("mgmt-api-lan", "lan", "ci/portainer", ("tcp/9443",), "ci/compose.yaml", 29),
    ("tenant-network-shared", "ci", "apps-shared", ("all",), "ci/compose.yaml", 48),
    ("tenant-network-shared", "storefront", "apps-shared", ("all",), "storefront/compose.yaml", 19),
]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_exact_findings(name: str) -> None:
    result = run(FIXTURES / name, ENV.get(name))
    assert rows(result.findings) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - {"docker_inspect"}))  # JSON has no comments
def test_annotations_match_findings(name: str) -> None:
    root = FIXTURES / name
    result = run(root, ENV.get(name))
    assert found(result) == annotated(root)


def test_demo_compose_part() -> None:
    root = ROOT / "fixtures" / "demo" / "compose"
    result = run(root)
    assert rows(result.findings) == DEMO
    assert found(result) == annotated(root)
    assert not result.diagnostics.items


def test_every_fixture_dir_is_covered() -> None:
    dirs = {p.name for p in FIXTURES.iterdir() if p.is_dir()} - {"project name"}
    assert dirs == set(EXPECTED)
