"""The pre-commit hook: in-process, warm-cache timing, and the real ``pre-commit try-repo``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iacscan import precommit

from .conftest import ROOT, git

SSH_RULE = """
resource "aws_security_group_rule" "ssh_web" {
  type              = "ingress"
  security_group_id = aws_security_group.web.id
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}
"""
GOOD = 'variable "owner" {\n  type    = string\n  default = "platform"\n}\n'


def test_hook_reports_only_changed_files(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    (repo / "infra" / "variables.tf").write_text(GOOD)
    assert precommit.main(["infra/variables.tf"]) == 0
    assert capsys.readouterr().out == ""
    # the existing SSH exposure lives in compute.tf: a change elsewhere does not report it
    (repo / "infra" / "ssh.tf").write_text(SSH_RULE)
    assert precommit.main(["infra/variables.tf", "infra/ssh.tf"]) == 1
    out = capsys.readouterr().out
    assert "infra/ssh.tf:" in out and "aws_instance.web" in out and "aws_instance.admin" not in out
    # touching the route table reports what it opens (a hop in the changed file), at info level too
    assert precommit.main(["infra/network.tf"]) == 1
    out = capsys.readouterr().out
    assert "aws_instance.admin" in out and "infra/compute.tf" in out
    assert precommit.main(["infra/network.tf", "--fail-on", "none"]) == 0


def test_roots_from_config(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / ".iacscan.yml").write_text("{}\n")
    (tmp_path / "a" / "b" / "x.tf").write_text("")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "y.tf").write_text("")
    top = tmp_path.resolve()
    assert precommit.scan_root(tmp_path / "a" / "b" / "x.tf", top) == top / "a"
    assert precommit.scan_root(tmp_path / "c" / "y.tf", top) == top
    assert precommit.outermost([top / "a", top, top / "a" / "b"]) == [top]


def test_warm_run_is_fast(repo: Path) -> None:
    """A typical commit: the hook's real command, second run on a warm cache, under a second."""
    (repo / "infra" / "ssh.tf").write_text(SSH_RULE)
    cmd = [sys.executable, "-m", "iacscan.precommit", "infra/ssh.tf", "infra/compute.tf"]
    env = dict(os.environ)
    subprocess.run(cmd, cwd=repo, env=env, capture_output=True, check=False)  # warms the cache
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    assert out.returncode == 1, out.stderr
    assert elapsed < 1.0, f"warm pre-commit run took {elapsed:.2f}s"


def hook_repo(tmp_path: Path) -> Path:
    """This checkout's hook, as a committed git repository (try-repo ignores untracked files)."""
    dst = tmp_path / "hook"
    dst.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, dst / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "iacscan", dst / "iacscan", ignore=ignore)
    shutil.copytree(ROOT / "rules", dst / "rules", ignore=ignore)
    git(dst, "init", "-q", "-b", "main")
    git(dst, "add", "-A")
    git(dst, "commit", "-q", "-m", "hook")
    return dst


@pytest.mark.slow
def test_pre_commit_try_repo(repo: Path, tmp_path: Path) -> None:
    if shutil.which("pre-commit") is None:
        pytest.fail("pre-commit is a test dependency")
    hook = hook_repo(tmp_path)
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pc-home"), PIP_DISABLE_PIP_VERSION_CHECK="1")

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pre-commit", "try-repo", str(hook), "iacscan", "--color", "never"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    # good change: staged, no exposure in it
    (repo / "infra" / "variables.tf").write_text(GOOD)
    git(repo, "add", "infra/variables.tf")
    good = try_repo()
    assert good.returncode == 0, good.stdout + good.stderr
    assert "iacscan (network exposure)" in good.stdout and "Passed" in good.stdout
    git(repo, "commit", "-q", "-m", "good")
    # bad change: opens SSH to the web instance
    (repo / "infra" / "ssh.tf").write_text(SSH_RULE)
    git(repo, "add", "infra/ssh.tf")
    bad = try_repo()
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout and "infra/ssh.tf:" in bad.stdout and "mgmt-api-internet" in bad.stdout
    assert "aws_instance.admin" not in bad.stdout  # the old exposure is not in the changed file
