"""The GitHub Action: schema-valid, README workflow schema-valid, steps run locally with simulated GITHUB_* files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ROOT, git

EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def check_jsonschema(schema: str, path: Path) -> None:
    exe = shutil.which("check-jsonschema")
    assert exe, "check-jsonschema is a test dependency"
    out = subprocess.run([exe, "--builtin-schema", schema, str(path)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def readme_workflow() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## GitHub Action", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match, "README has no example workflow"
    return match.group(1)


def test_action_yml_valid() -> None:
    check_jsonschema("vendor.github-actions", ROOT / "action.yml")


def test_readme_workflow_valid(tmp_path: Path) -> None:
    wf = readme_workflow()
    doc = yaml.safe_load(wf)
    steps = doc["jobs"]["iacscan"]["steps"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@v4"))
    assert upload["if"] == "success() || failure()"
    assert doc["jobs"]["iacscan"]["permissions"]["security-events"] == "write"
    (tmp_path / "iacscan.yml").write_text(wf)
    check_jsonschema("vendor.github-workflows", tmp_path / "iacscan.yml")


def test_inputs_reach_scripts_only_through_env() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), f"expression interpolated into shell text: {step.get('name')}"
    declared = set(action["inputs"])
    assert declared == {
        "path", "format", "output", "fail-on", "config", "baseline",
        "diff-base", "sarif-category", "version", "python-version",
    }  # fmt: skip
    assert set(action["outputs"]) == {"sarif-file", "findings"}


def evaluate(expr: str, inputs: dict[str, str], steps: dict[str, dict[str, str]], github: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        ref = m.group(1)
        if ref.startswith("inputs."):
            return inputs[ref.removeprefix("inputs.")]
        if ref.startswith("github."):
            return github[ref.removeprefix("github.")]
        if ref.startswith("steps."):
            _, sid, _, name = ref.split(".", 3)
            return steps.get(sid, {}).get(name, "")
        raise AssertionError(f"unsupported expression {ref}")

    return EXPR.sub(one, expr)


def parse_outputs(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line:
            name, marker = line.split("<<", 1)
            j = lines.index(marker, i + 1)
            out[name] = "\n".join(lines[i + 1 : j])
            i = j + 1
        else:
            name, _, value = line.partition("=")
            out[name] = value
            i += 1
    return out


def run_action(workspace: Path, tmp: Path, given: dict[str, str]) -> tuple[int, dict[str, str], str, list[str]]:
    """Run action.yml's `run:` steps like the runner: bash -e, env from `env:`, GITHUB_* files."""
    action: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    inputs.update(given)
    github = {"action_path": str(ROOT), "workspace": str(workspace)}
    steps: dict[str, dict[str, str]] = {}
    summary = tmp / "summary.md"
    ran: list[str] = []
    code = 0
    for i, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            continue  # actions/setup-python: the test's interpreter stands in for it
        out_file = tmp / f"output-{i}"
        out_file.write_text("")
        env = dict(os.environ)
        env.update(
            GITHUB_OUTPUT=str(out_file),
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_ACTION_PATH=str(ROOT),
            GITHUB_WORKSPACE=str(workspace),
            GITHUB_ACTIONS="true",
        )
        env.update({k: evaluate(str(v), inputs, steps, github) for k, v in (step.get("env") or {}).items()})
        script = tmp / f"step-{i}.sh"
        script.write_text(step["run"])
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        ran.append(step.get("name", ""))
        steps[step.get("id", f"step{i}")] = parse_outputs(out_file)
        if proc.returncode != 0:
            code = proc.returncode
            break
    outputs = {k: evaluate(str(v["value"]), inputs, steps, github) for k, v in action["outputs"].items()}
    return code, outputs, summary.read_text() if summary.exists() else "", ran


def test_action_steps_run_locally(repo: Path, tmp_path: Path) -> None:
    code, outputs, summary, ran = run_action(repo, tmp_path, {"path": "infra", "fail-on": "high"})
    assert ran == ["Install iacscan", "Scan"]
    assert code == 1  # a critical finding: the step fails, the upload still runs (success() || failure())
    assert outputs == {"sarif-file": "iacscan.sarif", "findings": "2"}
    sarif = (repo / "iacscan.sarif").read_text()
    assert '"id": "iacscan/infra/"' in sarif and '"uri": "infra/compute.tf"' in sarif
    assert "| 🟥 critical | 1 | 0 |" in summary and "| ⬜ info | 1 | 0 |" in summary
    assert "**failed**" in summary
    assert "path: `internet` → `aws_internet_gateway.main` <sub>(network.tf:6)</sub>" in summary
    # the exposure paths are also drawn as Mermaid flowcharts (rendered by GitHub)
    assert "### Exposure paths" in summary and "```mermaid\nflowchart LR" in summary


def test_action_diff_base_and_category(repo: Path, tmp_path: Path) -> None:
    (repo / "infra" / "more.tf").write_text(
        'resource "aws_security_group_rule" "rdp" {\n  type = "ingress"\n'
        "  security_group_id = aws_security_group.web.id\n  from_port = 3389\n  to_port = 3389\n"
        '  protocol = "tcp"\n  cidr_blocks = ["0.0.0.0/0"]\n}\n'
    )
    given = {"path": "infra", "diff-base": "HEAD", "sarif-category": "pr", "output": "out/r.sarif"}
    code, outputs, summary, _ = run_action(repo, tmp_path, given)
    assert code == 1 and outputs == {"sarif-file": "out/r.sarif", "findings": "1"}
    assert '"id": "iacscan/pr/"' in (repo / "out" / "r.sarif").read_text()
    assert "Only findings added since `HEAD`" in summary and "3389" in summary
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "rdp")
    again = tmp_path / "again"
    again.mkdir()
    code, outputs, summary, _ = run_action(repo, again, given)
    assert code == 0 and outputs["findings"] == "0" and "**passed**" in summary


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_action_other_formats(repo: Path, tmp_path: Path, fmt: str) -> None:
    code, outputs, _, _ = run_action(repo, tmp_path, {"path": "infra", "format": fmt, "fail-on": "none"})
    assert code == 0 and outputs["sarif-file"] == "" and outputs["findings"] == "2"
    assert (repo / ("iacscan.json" if fmt == "json" else "iacscan.txt")).is_file()
