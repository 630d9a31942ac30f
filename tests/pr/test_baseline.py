"""--write-baseline / --baseline and --diff-base report only new findings; gendocs keeps rule docs current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iacscan.cli import main as cli_main
from iacscan.engine.catalog import load_catalog
from iacscan.tools import gendocs

from .conftest import ROOT, git, insert_before

RDP = """
resource "aws_security_group_rule" "rdp" {
  type              = "ingress"
  security_group_id = aws_security_group.web.id
  from_port         = 3389
  to_port           = 3389
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}
"""


def findings(path: Path) -> list[tuple[str, str, list[str]]]:
    doc = json.loads(path.read_text())
    return [(f["rule"], f["target"], f["ports"]) for f in doc["findings"]]


def test_write_baseline_then_only_new(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    out = repo / "out.json"
    assert cli_main(["scan", "infra", "--write-baseline", "base.json", "--format", "json", "-o", str(out)]) == 1
    doc = json.loads((repo / "base.json").read_text())
    assert doc["schema"] == "iacscan/baseline/v1" and len(doc["findings"]) == 2
    assert cli_main(["scan", "infra", "--baseline", "base.json", "--format", "json", "-o", str(out)]) == 0
    assert findings(out) == []
    # moving lines keeps the old findings known; a new rule is reported alone
    insert_before(repo / "infra" / "compute.tf", '"aws_security_group" "admin"', "\n\n# moved\n")
    (repo / "infra" / "rdp.tf").write_text(RDP)
    assert cli_main(["scan", "infra", "--baseline", "base.json", "--format", "json", "-o", str(out)]) == 1
    assert findings(out) == [("mgmt-api-internet", "aws_instance.web", ["tcp/3389"])]


def test_bad_baseline_is_a_usage_error(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    (repo / "bad.json").write_text("{}")
    assert cli_main(["scan", "infra", "--baseline", "bad.json"]) == 2


def test_diff_base(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    out = repo / "out.json"
    insert_before(repo / "infra" / "compute.tf", '"aws_security_group" "admin"', "# shifted\n\n")
    (repo / "infra" / "rdp.tf").write_text(RDP)  # untracked, working tree only
    assert cli_main(["scan", "infra", "--diff-base", "HEAD", "--format", "json", "-o", str(out)]) == 1
    assert findings(out) == [("mgmt-api-internet", "aws_instance.web", ["tcp/3389"])]
    # once committed, HEAD has it too: nothing new; the previous commit still shows it as new
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "rdp")
    assert cli_main(["scan", "infra", "--diff-base", "HEAD", "--format", "json", "-o", str(out)]) == 0
    assert findings(out) == []
    assert cli_main(["scan", "infra", "--diff-base", "HEAD~1", "--format", "json", "-o", str(out)]) == 1
    assert len(findings(out)) == 1
    # a path that did not exist at the base: everything is new
    (repo / "more").mkdir()
    (repo / "more" / "main.tf").write_text(
        (repo / "infra" / "network.tf").read_text() + (repo / "infra" / "compute.tf").read_text()
    )
    assert cli_main(["scan", "more", "--diff-base", "HEAD", "--format", "json", "-o", str(out)]) == 1
    assert len(findings(out)) == 2
    assert cli_main(["scan", "infra", "--diff-base", "no-such-ref"]) == 2


def test_gendocs_check_and_rules_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gendocs.main(["--check"]) == 0  # the committed docs are current
    out = tmp_path / "docs"
    assert gendocs.main(["--check", "--out", str(out)]) == 1
    assert "missing" in capsys.readouterr().err
    assert gendocs.main(["--out", str(out)]) == 0
    assert gendocs.main(["--check", "--out", str(out)]) == 0
    page = out / "mgmt-api-internet.md"
    page.write_text(page.read_text() + "hand edit\n")
    (out / "gone.md").write_text("old\n")
    assert gendocs.main(["--check", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "mgmt-api-internet.md: out of date" in err and "gone.md: no rule" in err
    for rule in load_catalog().rules:
        printed = subprocess.run(
            [sys.executable, "-m", "iacscan", "rules", rule.slug], capture_output=True, text=True, check=True
        ).stdout
        assert printed == (ROOT / "docs" / "rules" / f"{rule.slug}.md").read_text()
