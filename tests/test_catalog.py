"""Meta-tests that keep the rule catalogue honest."""

from __future__ import annotations

import re

from iacscan.engine.catalog import SEVERITIES, TEMPLATES, load_catalog
from iacscan.engine.evaluate import TEMPLATE_IMPLS, services_for
from iacscan.model.core import Endpoint
from iacscan.model.ports import PortSet
from tests.helpers import FIXTURES, REPO


def test_rules_have_unique_ids_and_valid_metadata() -> None:
    cat = load_catalog()
    assert len({r.id for r in cat.rules}) == len(cat.rules)
    assert len({r.slug for r in cat.rules}) == len(cat.rules)
    for r in cat.rules:
        assert re.fullmatch(r"IAC\d{3}", r.id), r.id
        assert r.severity in SEVERITIES and r.template in TEMPLATES
        assert r.summary and r.description and r.remediation and r.tags


def test_public_contract_slugs_exist() -> None:
    slugs = {r.slug for r in load_catalog().rules}
    assert {
        "mgmt-api-internet",
        "mgmt-api-lan",
        "host-service-reachable",
        "classic-service-exposed",
        "lateral-unrestricted",
        "tenant-network-shared",
        "egress-unrestricted",
        "internet-exposed",
    } <= slugs


def test_every_rule_has_docs_and_a_fixture_that_produces_it() -> None:
    fixture_text = "\n".join(
        p.read_text(errors="replace") for p in FIXTURES.rglob("*") if p.is_file() and p.stat().st_size < 1_000_000
    )
    for r in load_catalog().rules:
        assert (REPO / "docs" / "rules" / f"{r.slug}.md").is_file(), r.slug
        assert r.slug in fixture_text, f"no fixture marks {r.slug}"


def test_builtin_templates_are_implemented() -> None:
    for name in ("service-reachable", "other-ports-reachable", "host-access", "lateral", "tenant-shared", "egress"):
        assert name in TEMPLATE_IMPLS


def test_services_by_port_and_by_image() -> None:
    cat = load_catalog()
    mgmt = cat.services_in(("mgmt",))
    ep = Endpoint("x", "workload", "k8s", images=("docker.io/kubernetesui/dashboard:v2.7.0",))
    names = {s.id for s, _ in services_for(ep, PortSet.tcp(8443), mgmt)}
    assert names == {"k8s-dashboard"}
    plain = Endpoint("y", "workload", "k8s", images=("nginx:1.25",))
    assert {s.id for s, _ in services_for(plain, PortSet.tcp(10250), mgmt)} == {"kubelet"}
    assert services_for(plain, PortSet.tcp(8443), mgmt) == []
    classic = cat.services_in(("classic",))
    pg = Endpoint("z", "compose-service", "compose", images=("postgres:16",))
    assert [(s.id, p.to_strings()) for s, p in services_for(pg, PortSet.tcp(15432), classic)] == [
        ("postgresql", ["tcp/15432"])
    ]
    assert cat.service("jenkins") is not None and cat.service("jenkins").matches_image("jenkins/jenkins:lts")  # type: ignore[union-attr]
    assert cat.service("rabbitmq-management").matches_image("rabbitmq:3-management")  # type: ignore[union-attr]
    assert not cat.service("rabbitmq-management").matches_image("rabbitmq:3")  # type: ignore[union-attr]
