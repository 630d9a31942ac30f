"""Baselines and diff mode: report only the findings that are new.

* ``--write-baseline FILE`` records the fingerprints of today's findings;
* ``--baseline FILE`` drops the findings whose fingerprint is recorded there;
* ``--diff-base REF`` scans the same paths in the git revision ``REF`` (exported with
  ``git archive`` into a temporary directory, so the working tree and the repository's
  worktree list stay untouched) and drops the findings that exist there too.

Fingerprints are rule|source|target|ports (never lines), so moving code does not make a
finding new; addresses are relative to the scanned path, so both trees agree.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iacscan import __version__
from iacscan.engine.finding import Finding

if TYPE_CHECKING:
    from iacscan.ingest import ScanOptions
    from iacscan.pipeline import ScanResult

SCHEMA = "iacscan/baseline/v1"


class BaselineError(Exception):
    """A baseline or diff base that cannot be used (the command line turns it into exit 2)."""


def write(findings: Iterable[Finding], path: Path) -> int:
    """Record the fingerprints of ``findings``; returns how many."""
    entries = sorted(
        ({"fingerprint": f.fingerprint, "rule": f.rule, "target": f.target, "ports": f.port_strings} for f in findings),
        key=lambda e: (str(e["rule"]), str(e["target"]), str(e["fingerprint"])),
    )
    unique = list({str(e["fingerprint"]): e for e in entries}.values())
    doc = {"schema": SCHEMA, "tool": {"name": "iacscan", "version": __version__}, "findings": unique}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return len(unique)


def read(path: Path) -> set[str]:
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("findings"), list):
        raise BaselineError(f"{path} is not an iacscan baseline ({SCHEMA})")
    return {str(e["fingerprint"]) for e in doc["findings"] if isinstance(e, dict) and "fingerprint" in e}


def new_only(findings: Iterable[Finding], known: set[str]) -> list[Finding]:
    return [f for f in findings if f.fingerprint not in known]


# -- diff mode ------------------------------------------------------------------------------


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BaselineError(f"git {' '.join(args)}: {exc}") from None


def git_toplevel(path: Path) -> Path:
    d = path if path.is_dir() else path.parent
    out = _git(["rev-parse", "--show-toplevel"], d)
    if out.returncode != 0:
        raise BaselineError(f"--diff-base needs a git repository: {d} is not in one")
    return Path(out.stdout.decode().strip()).resolve()


def export_tree(ref: str, top: Path, rel_paths: Sequence[str], dest: Path) -> None:
    """Write the files of ``rel_paths`` (relative to the repository root) as of ``ref`` into ``dest``."""
    commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top)
    if commit.returncode != 0:
        raise BaselineError(f"--diff-base: unknown git revision {ref!r} (in a shallow clone, fetch it first)")
    sha = commit.stdout.decode().strip()
    existing = [p for p in rel_paths if p in ("", ".") or _git(["cat-file", "-e", f"{sha}:{p}"], top).returncode == 0]
    dest.mkdir(parents=True, exist_ok=True)
    if not existing:
        return  # nothing of it existed at the base: every finding is new
    spec = [] if any(p in ("", ".") for p in existing) else existing
    out = _git(["archive", "--format=tar", sha, "--", *spec], top)
    if out.returncode != 0:
        raise BaselineError(f"git archive {ref}: {out.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
        tar.extractall(dest, filter="data")


def base_fingerprints(
    paths: Sequence[Path], ref: str, options: ScanOptions, config_path: Path | None, current: ScanResult
) -> set[str]:
    """Fingerprints of the findings the same scan reports at ``ref``."""
    from iacscan.pipeline import scan

    if not paths:
        return set()
    top = git_toplevel(paths[0].resolve())
    rels: list[str] = []
    for p in paths:
        try:
            rels.append(p.resolve().relative_to(top).as_posix())
        except ValueError:
            raise BaselineError(f"--diff-base: {p} is outside the repository {top}") from None
    with tempfile.TemporaryDirectory(prefix="iacscan-base-") as tmp:
        base = Path(tmp)
        export_tree(ref, top, rels, base)
        base_paths = [base / r if r not in ("", ".") else base for r in rels]
        for bp in base_paths:  # a path that did not exist at the base scans as empty
            if not bp.exists():
                bp.mkdir(parents=True)
        # the current config applies to both trees, so a suppression added now counts for both
        config = config_path or current.config.path
        result = scan(base_paths, options, config)
    return {f.fingerprint for f in result.findings}
