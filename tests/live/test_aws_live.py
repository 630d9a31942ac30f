"""Live AWS: collect from a moto server with real boto3, scan the snapshot, confirm a Terraform fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iacscan.cli import main
from iacscan.ingest import ScanOptions
from iacscan.pipeline import scan
from tests.live.aws_estate import Built
from tests.live.conftest import REGION

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "fixtures" / "live" / "terraform"
POLICY = ROOT / "docs" / "aws-iam-policy.json"
ACCOUNT = "123456789012"


def _findings(path: Path) -> set[tuple[str, str, str, str]]:
    r = scan([path], ScanOptions(), layers=("aws-snapshot",))
    return {(f.rule, f.source, f.target, ",".join(f.port_strings)) for f in r.findings}


def test_snapshot_shape(snapshot: tuple[Path, dict[str, Any]]) -> None:
    _, doc = snapshot
    assert doc["schema"] == "iacscan/aws-snapshot/v1"
    assert doc["account"] == ACCOUNT
    assert doc["diagnostics"] == []
    region = doc["regions"][REGION]
    for key in ("Vpcs", "Subnets", "RouteTables", "NetworkAcls", "SecurityGroups", "Reservations", "NatGateways"):
        assert region[key], key
    assert len(region["LoadBalancersV2"]) == 1 and len(region["TargetHealth"][0]["TargetHealthDescriptions"]) == 2
    assert region["DBInstances"][0]["DBInstanceIdentifier"] == "orders"
    assert region["EksClusters"][0]["name"] == "prod-eks"


def test_scan_snapshot_exact_findings(snapshot: tuple[Path, dict[str, Any]], built: Built) -> None:
    path, _ = snapshot
    i = built.ids
    assert _findings(path) == {
        ("mgmt-api-internet", "internet", i["prod-eks"], "tcp/443"),
        ("mgmt-api-internet", "internet", i["bastion"], "tcp/22"),
        ("mgmt-api-internet", "internet", i["admin"], "tcp/22"),
        ("classic-service-exposed", "internet", i["debug"], "tcp/6379"),
        ("internet-exposed", "internet", i["web"], "tcp/80"),
        ("internet-exposed", "internet", i["app-1"], "tcp/8080"),
        ("internet-exposed", "internet", i["app-2"], "tcp/8080"),
        ("egress-unrestricted", i["bastion"], "internet", "all"),
        ("egress-unrestricted", i["admin"], "internet", "all"),
        ("egress-unrestricted", i["debug"], "internet", "all"),
        # private subnets: NAT route, and the NACL lets only TCP responses back in
        ("egress-unrestricted", i["app-1"], "internet", "tcp/0-65535"),
        ("egress-unrestricted", i["app-2"], "internet", "tcp/0-65535"),
        ("egress-unrestricted", i["orders"], "internet", "tcp/0-65535"),
    }


def test_messages_show_name_tags(snapshot: tuple[Path, dict[str, Any]], built: Built) -> None:
    path, _ = snapshot
    r = scan([path], ScanOptions(), layers=("aws-snapshot",))
    msgs = {f.target: f.message for f in r.findings if f.rule == "mgmt-api-internet"}
    assert (
        msgs[built.ids["bastion"]] == f"SSH (tcp/22) on {built.ids['bastion']} (bastion) is reachable from the internet"
    )
    backend = next(f for f in r.findings if f.target == built.ids["app-1"])
    assert backend.via == built.ids["web"]
    assert "(app-1)" in backend.message


def _confirm(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[tuple[str, str], dict[str, str]]:
    code = main(["scan", str(TF), "--no-cache", "--format", "json", "--fail-on", "none", *argv])
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads(out)
    return {
        (f["rule"], f["target"] if f["target"] != "internet" else f["source"]): f["confirmation"]
        for f in doc["findings"]
    }


def _statuses(got: dict[tuple[str, str], dict[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    return {k: (v["status"], v["live_id"]) for k, v in got.items()}


def _expected(i: dict[str, str]) -> dict[tuple[str, str], tuple[str, str]]:
    return {
        ("mgmt-api-internet", "aws_eks_cluster.prod"): ("confirmed", i["prod-eks"]),
        ("mgmt-api-internet", "aws_instance.bastion"): ("confirmed", i["bastion"]),
        ("mgmt-api-internet", "aws_instance.admin"): ("differs", i["admin"]),
        ("classic-service-exposed", "aws_instance.legacy"): ("not-deployed", ""),
        ("internet-exposed", "aws_lb.web"): ("confirmed", i["web"]),
        ("internet-exposed", "aws_instance.app[0]"): ("confirmed", i["app-1"]),
        ("internet-exposed", "aws_instance.app[1]"): ("confirmed", i["app-2"]),
        ("egress-unrestricted", "aws_instance.bastion"): ("confirmed", i["bastion"]),
        ("egress-unrestricted", "aws_instance.admin"): ("confirmed", i["admin"]),
        ("egress-unrestricted", "aws_instance.app[0]"): ("confirmed", i["app-1"]),
        ("egress-unrestricted", "aws_instance.app[1]"): ("confirmed", i["app-2"]),
        ("egress-unrestricted", "aws_db_instance.orders"): ("confirmed", i["orders"]),
        ("classic-service-exposed", i["debug"]): ("live-only", i["debug"]),
        ("egress-unrestricted", i["debug"]): ("live-only", i["debug"]),
    }


def test_confirm_by_identity(
    snapshot: tuple[Path, dict[str, Any]], built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = snapshot
    got = _confirm(["--confirm", "aws", "--live-snapshot", str(path)], capsys)
    assert _statuses(got) == _expected(built.ids)
    assert got[("mgmt-api-internet", "aws_instance.admin")]["detail"] == "live ports tcp/22; not open live: tcp/3389"
    assert got[("classic-service-exposed", "aws_instance.legacy")]["detail"] == "no live aws_instance named 'legacy'"


def _tfstate(tmp: Path, i: dict[str, str], legacy_id: str | None) -> Path:
    def res(type_: str, name: str, instances: list[tuple[Any, dict[str, str]]]) -> dict[str, Any]:
        return {
            "mode": "managed",
            "type": type_,
            "name": name,
            "instances": [
                {"index_key": k, "attributes": a} if k is not None else {"attributes": a} for k, a in instances
            ],
        }

    resources = [
        res("aws_instance", "bastion", [(None, {"id": i["bastion"]})]),
        res("aws_instance", "admin", [(None, {"id": i["admin"]})]),
        res("aws_instance", "app", [(0, {"id": i["app-1"]}), (1, {"id": i["app-2"]})]),
        res("aws_lb", "web", [(None, {"id": i["web"], "arn": i["web"]})]),
        res("aws_db_instance", "orders", [(None, {"id": "db-RESOURCEID", "arn": i["orders"]})]),
        res("aws_eks_cluster", "prod", [(None, {"id": "prod-eks", "arn": i["prod-eks"]})]),
    ]
    if legacy_id:
        resources.append(res("aws_instance", "legacy", [(None, {"id": legacy_id})]))
    p = tmp / "terraform.tfstate"
    p.write_text(json.dumps({"version": 4, "resources": resources}), encoding="utf-8")
    return p


def test_confirm_with_tfstate(
    snapshot: tuple[Path, dict[str, Any]], built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = snapshot
    state = _tfstate(tmp_path, built.ids, "i-0000000000deadbee")
    got = _confirm(["--confirm", "aws", "--live-snapshot", str(path), "--tfstate", str(state)], capsys)
    assert _statuses(got) == _expected(built.ids)
    assert "i-0000000000deadbee" in got[("classic-service-exposed", "aws_instance.legacy")]["detail"]


def test_confirm_collects_live_when_no_snapshot(
    built: Built, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    got = _confirm(["--confirm", "aws", "--region", REGION, "--endpoint-url", moto_url], capsys)
    assert _statuses(got) == _expected(built.ids)


def test_collect_cli_and_no_secrets(
    built: Built, moto_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snap.json"
    assert (
        main(["collect", "aws", "--region", REGION, "--endpoint-url", moto_url, "-o", str(out), "--no-progress"]) == 0
    )
    text = out.read_text()
    assert json.loads(text)["schema"] == "iacscan/aws-snapshot/v1"
    captured = capsys.readouterr()
    assert main(["scan", str(out), "--no-cache", "--format", "json", "--fail-on", "none"]) == 0
    report = capsys.readouterr().out
    assert len(json.loads(report)["findings"]) == 13
    # a snapshot re-serialised with sorted keys ("schema" last) is still recognised
    resorted = tmp_path / "sorted.json"
    resorted.write_text(json.dumps(json.loads(text), sort_keys=True, indent=1))
    assert len(_findings(resorted)) == 13
    for secret in ("testing-secret-never-in-output", "testing-token-never-in-output", "not-a-real-password-1"):
        assert secret not in text
        assert secret not in report
        assert secret not in captured.err + captured.out


def _record(monkeypatch: pytest.MonkeyPatch, extra: Any = None) -> list[tuple[str, str]]:
    import boto3.session

    calls: list[tuple[str, str]] = []
    orig = boto3.session.Session.__init__

    def hook(model: Any, **kwargs: Any) -> None:
        calls.append((model.service_model.signing_name, model.name))

    def init(self: Any, *a: Any, **k: Any) -> None:
        orig(self, *a, **k)
        self.events.register("before-call", hook)
        if extra is not None:
            self.events.register(*extra)

    monkeypatch.setattr(boto3.session.Session, "__init__", init)
    return calls


def test_every_call_is_a_read_in_the_policy(built: Built, moto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from iacscan.live.aws_collect import OPERATIONS, CollectOptions, collect

    calls = _record(monkeypatch)
    collect(CollectOptions(regions=(REGION, "eu-west-1"), endpoint_url=moto_url), progress=False)
    policy = json.loads(POLICY.read_text())
    allowed = {a for s in policy["Statement"] for a in s["Action"] if s["Effect"] == "Allow"}
    assert allowed == {f"{svc}:{op}" for svc, op in OPERATIONS}  # the policy and the collector's list agree
    assert all(s["Resource"] == "*" for s in policy["Statement"])
    used = {f"{svc}:{op}" for svc, op in calls}
    assert used, "no calls recorded"
    assert used <= allowed, used - allowed
    assert all(op.startswith(("Describe", "List", "Get")) for _, op in calls)
    assert all(a.split(":")[1].startswith(("Describe", "List", "Get")) for a in allowed)
    # every paginated list was paginated, and both regions were collected
    assert {"ec2:DescribeInstances", "elasticloadbalancing:DescribeTargetHealth", "rds:DescribeDBInstances"} <= used


def test_access_denied_is_a_diagnostic(built: Built, moto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from iacscan.live.aws_collect import CollectOptions, collect

    class _Http:
        status_code = 403
        headers: dict[str, str] = {}  # noqa: RUF012

    def deny(**kwargs: Any) -> Any:
        return _Http(), {
            "Error": {"Code": "AccessDenied", "Message": "not allowed"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }

    _record(monkeypatch, ("before-call.rds.DescribeDBInstances", deny))
    doc = collect(CollectOptions(regions=(REGION,), endpoint_url=moto_url), progress=False)
    assert doc["diagnostics"] == [
        {
            "region": REGION,
            "service": "rds",
            "operation": "DescribeDBInstances",
            "code": "access-denied",
            "message": "AccessDenied: not allowed",
        }
    ]
    region = doc["regions"][REGION]
    assert "DBInstances" not in region
    assert region["Reservations"] and region["EksClusters"]
