"""Suppressions: inline comments (HCL/YAML), k8s annotation, compose x-iacscan-ignore, layer ignores, config."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from iacscan import suppress
from iacscan.config import Config
from iacscan.engine.catalog import load_catalog
from iacscan.engine.evaluate import evaluate
from iacscan.ingest import ScanContext, ScanOptions
from iacscan.model.core import Endpoint, Hop, Model, Reach, SourceKind
from iacscan.model.ports import PortSet
from iacscan.pipeline import ScanResult, scan
from iacscan.source import Diagnostics, Location

from .conftest import insert_before, line_of


def run_scan(repo: Path) -> ScanResult:
    return scan([repo / "infra"], ScanOptions(cache_dir=None))


def states(result: ScanResult) -> dict[str, str | None]:
    """rule slug -> suppression justification (None when active)."""
    return {f.rule: (f.suppression.justification if f.suppression else None) for f in result.findings}


def codes(result: ScanResult) -> list[str]:
    return [d.code for d in result.diagnostics.sorted()]


def test_no_suppression(repo: Path) -> None:
    assert states(run_scan(repo)) == {"mgmt-api-internet": None, "internet-exposed": None}


@pytest.mark.parametrize(
    ("anchor", "nth", "comment", "where"),
    [
        ('"aws_security_group" "admin"', 1, "# iacscan:ignore[mgmt-api-internet] bastion, SSH is its job\n", "above"),
        ("ingress {", 1, "  // iacscan:ignore[IAC001] bastion, SSH is its job\n", "above"),
        ("cidr_blocks", 1, "    /* iacscan:ignore[mgmt-api-internet] bastion, SSH is its job */\n", "above"),
        ('"aws_instance" "admin"', 1, "# iacscan:ignore[mgmt-api-internet]: bastion, SSH is its job\n", "above"),
    ],
)
def test_inline_hcl(repo: Path, anchor: str, nth: int, comment: str, where: str) -> None:
    compute = repo / "infra" / "compute.tf"
    insert_before(compute, anchor, comment, nth)
    result = run_scan(repo)
    st = states(result)
    assert st["mgmt-api-internet"] == "bastion, SSH is its job"
    assert st["internet-exposed"] is None
    f = next(f for f in result.findings if f.rule == "mgmt-api-internet")
    assert f.suppression is not None and f.suppression.kind == "inSource"
    assert f.suppression.location.line == line_of(compute, "iacscan:ignore")
    assert "unused-suppression" not in st and "suppression-no-reason" not in codes(result)


def test_end_of_line_comment_in_block_and_missing_reason(repo: Path) -> None:
    compute = repo / "infra" / "compute.tf"
    text = compute.read_text().replace("to_port     = 22\n", "to_port     = 22 # iacscan:ignore[mgmt-api-internet]\n")
    compute.write_text(text)
    result = run_scan(repo)  # a comment anywhere in the exposing ingress block applies
    assert states(result)["mgmt-api-internet"] == "(no reason given)"
    (d,) = [d for d in result.diagnostics.items if d.code == "suppression-no-reason"]
    assert d.location.line == line_of(compute, "iacscan:ignore") and d.level.value == "warning"


def test_comment_in_other_block_does_not_apply(repo: Path) -> None:
    compute = repo / "infra" / "compute.tf"
    insert_before(compute, '"aws_security_group" "web"', "# iacscan:ignore[mgmt-api-internet] wrong block\n")
    result = run_scan(repo)
    st = states(result)
    assert st["mgmt-api-internet"] is None
    unused = [f for f in result.findings if f.rule == "unused-suppression"]
    assert len(unused) == 1 and unused[0].severity == "info" and unused[0].rule_id == "IAC100"
    assert unused[0].location.line == line_of(compute, "wrong block")
    assert "matches no finding" in unused[0].message


def test_unknown_rule_is_unused(repo: Path) -> None:
    compute = repo / "infra" / "compute.tf"
    insert_before(compute, '"aws_security_group" "admin"', "# iacscan:ignore[mgmt-api-internt] typo\n")
    result = run_scan(repo)
    (unused,) = [f for f in result.findings if f.rule == "unused-suppression"]
    assert "names no known rule" in unused.message


def write_config(repo: Path, text: str) -> None:
    (repo / "infra" / ".iacscan.yml").write_text(text)


def test_config_ignore_by_rule_path_target(repo: Path) -> None:
    write_config(
        repo,
        "ignore:\n"
        "  - rule: internet-exposed\n"
        "    path: compute.tf\n"
        "    target: aws_instance.web\n"
        "    reason: the web tier faces the internet\n"
        "  - rule: mgmt-api-internet\n"
        "    target: aws_instance.other\n"
        "    reason: does not match\n",
    )
    result = run_scan(repo)
    st = states(result)
    assert st["internet-exposed"] == "the web tier faces the internet (.iacscan.yml)"
    assert st["mgmt-api-internet"] is None
    f = next(f for f in result.findings if f.rule == "internet-exposed")
    assert f.suppression is not None and f.suppression.kind == "external"
    (unused,) = [f for f in result.findings if f.rule == "unused-suppression"]
    assert unused.location.file == ".iacscan.yml" and unused.location.line == 6


def test_config_expiry(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(
        repo,
        "ignore:\n  - rule: internet-exposed\n    reason: until the WAF lands\n    expires: 2025-01-31\n",
    )
    monkeypatch.setattr(suppress, "today", lambda: dt.date(2025, 1, 31))
    assert states(run_scan(repo))["internet-exposed"] == "until the WAF lands (.iacscan.yml)"
    monkeypatch.setattr(suppress, "today", lambda: dt.date(2025, 2, 1))
    result = run_scan(repo)
    assert states(result)["internet-exposed"] is None
    (d,) = [d for d in result.diagnostics.items if d.code == "suppression-expired"]
    assert "expired on 2025-01-31" in d.message and "1 finding reported again" in d.message
    assert d.location.line == 2
    assert "unused-suppression" not in states(result)  # expired is said as such, not as unused


def test_unused_rule_can_be_disabled(repo: Path) -> None:
    write_config(repo, "rules:\n  disable: [unused-suppression]\n")
    insert_before(repo / "infra" / "compute.tf", '"aws_security_group" "web"', "# iacscan:ignore[ssh] stale\n")
    assert "unused-suppression" not in states(run_scan(repo))


# -- YAML layers (facts built directly, locations in real files) ----------------------------

K8S = """\
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
  annotations:
    iacscan.io/ignore: "internet-exposed: public API behind the WAF"
spec:
  type: LoadBalancer
  ports:
    - port: 8443
---
apiVersion: v1
kind: Service
metadata:
  name: admin
  namespace: shop
  annotations:
    iacscan.io/ignore: |
      mgmt-api-internet: break-glass SSH, ticket OPS-1
      IAC004: nothing here
spec:
  type: LoadBalancer
  ports:
    - port: 22 # iacscan:ignore[internet-exposed] not this one
"""

COMPOSE = """\
x-iacscan-ignore:
  - "egress-unrestricted: everything here may call out"
services:
  web:
    image: nginx
    ports:
      - "8080:80"
    x-iacscan-ignore:
      internet-exposed: reverse proxy
  db:
    image: postgres
    ports:
      - "5432:5432"
"""


def yaml_result(tmp_path: Path, layer_ignores: list[tuple[Location, str, str]] | None = None) -> ScanResult:
    (tmp_path / "k8s.yaml").write_text(K8S)
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    root = str(tmp_path)

    def loc(file: str, line: int) -> Location:
        return Location(file, line, root=root)

    def reach(target: str, port: int, where: Location) -> Reach:
        path = (Hop("internet", "source", kind="zone"), Hop(target, "published", where, "endpoint"))
        return Reach("internet", SourceKind.INTERNET, target, PortSet.tcp(port), path, location=where)

    model = Model()
    api, admin = loc("k8s.yaml", 11), loc("k8s.yaml", 25)
    web, db = loc("compose.yaml", 7), loc("compose.yaml", 13)
    model.add_endpoint(Endpoint("shop/api[Service]", "service", "k8s", loc("k8s.yaml", 2), is_workload=False))
    model.add_endpoint(Endpoint("shop/admin[Service]", "service", "k8s", loc("k8s.yaml", 13), is_workload=False))
    model.add_endpoint(Endpoint("p/web", "compose-service", "compose", loc("compose.yaml", 4), images=("nginx",)))
    model.add_endpoint(Endpoint("p/db", "compose-service", "compose", loc("compose.yaml", 10), images=("postgres",)))
    model.reaches += [reach("shop/api[Service]", 8443, api), reach("shop/admin[Service]", 22, admin)]
    model.reaches += [reach("p/web", 8080, web), reach("p/db", 5432, db)]
    model.inline_ignores.extend(layer_ignores or [])
    catalog = load_catalog()
    findings = evaluate(model, catalog)
    diags = Diagnostics()
    files = [tmp_path / "k8s.yaml", tmp_path / "compose.yaml"]
    ctx = ScanContext(tmp_path, files, Config(), diags)
    result = ScanResult([tmp_path], model, findings, diags, catalog, Config(), [ctx])
    result.findings = suppress.apply(result)
    return result


def test_k8s_annotation_and_compose_ignore(tmp_path: Path) -> None:
    result = yaml_result(tmp_path)
    got = {(f.rule, f.target): f.suppression.justification if f.suppression else None for f in result.findings}
    assert got[("internet-exposed", "shop/api[Service]")] == "public API behind the WAF"
    assert got[("mgmt-api-internet", "shop/admin[Service]")] == "break-glass SSH, ticket OPS-1"
    assert got[("internet-exposed", "p/web")] == "reverse proxy"
    assert got[("classic-service-exposed", "p/db")] is None  # the web service's ignore stays in its block
    unused = sorted(f.target for f in result.findings if f.rule == "unused-suppression")
    # IAC004 on admin, the port-22 comment (no internet-exposed there) and the project-wide egress entry
    assert unused == [
        "iacscan.io/ignore IAC004",
        "iacscan:ignore[internet-exposed]",
        "x-iacscan-ignore egress-unrestricted",
    ]


def test_layer_inline_ignores(tmp_path: Path) -> None:
    root = str(tmp_path)
    result = yaml_result(tmp_path, [(Location("compose.yaml", 10, root=root), "classic-service-exposed", "dev only")])
    db = next(f for f in result.findings if f.target == "p/db" and f.rule == "classic-service-exposed")
    assert db.suppression is not None and db.suppression.justification == "dev only"
