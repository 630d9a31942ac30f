"""Shared fixtures for the pull-request checks: a copy of ``fixtures/pr/estate`` in a git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "fixtures" / "pr" / "estate"


def git(repo: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
    )
    out = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return out.stdout


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line containing ``needle``."""
    hits = [i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line]
    return hits[nth - 1]


def insert_after(path: Path, needle: str, text: str, nth: int = 1) -> None:
    lines = path.read_text().splitlines(keepends=True)
    i = line_of(path, needle, nth)
    lines.insert(i, text)
    path.write_text("".join(lines))


def insert_before(path: Path, needle: str, text: str, nth: int = 1) -> None:
    lines = path.read_text().splitlines(keepends=True)
    i = line_of(path, needle, nth)
    lines.insert(i - 1, text)
    path.write_text("".join(lines))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A git repository whose ``infra/`` holds the PR estate, committed."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    r = tmp_path / "repo"
    shutil.copytree(ESTATE, r / "infra")
    git(r, "init", "-q", "-b", "main")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "estate")
    yield r
