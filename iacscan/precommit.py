"""``iacscan-pre-commit FILE...``: the pre-commit hook.

Reachability needs the whole estate — a security group in one file opens an instance declared
in another — so the hook scans the *roots* that contain the changed files and reports only the
findings located in them (their primary location, or a hop of their path: a changed route
table reports the exposure it opens).  A root is the nearest ancestor of a changed file that
holds an ``.iacscan.yml`` (so a monorepo can mark its estates), else the repository's top level.
``--root DIR`` (repeatable) overrides that.  The scan uses the parse/model cache, so a typical
commit re-scans in well under a second.

Exit codes as ``iacscan scan``: 0 clean, 1 findings at or above ``--fail-on``, 2 usage/strict.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from iacscan.commands.scan import exit_code
from iacscan.config import CONFIG_NAMES
from iacscan.engine.catalog import SEVERITIES
from iacscan.engine.finding import Finding
from iacscan.ingest import ScanOptions
from iacscan.pipeline import default_cache_dir, scan
from iacscan.report import text
from iacscan.source import Diagnostic, Location


def repo_top(start: Path) -> Path:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return start.resolve()
    return Path(out.stdout.strip()).resolve() if out.returncode == 0 and out.stdout.strip() else start.resolve()


def scan_root(file: Path, top: Path) -> Path:
    """The nearest ancestor of ``file`` (up to ``top``) holding a config file, else ``top``."""
    d = file.resolve().parent
    while d.is_relative_to(top):
        if any((d / n).is_file() for n in CONFIG_NAMES):
            return d
        if d == top:
            break
        d = d.parent
    return top


def outermost(roots: Iterable[Path]) -> list[Path]:
    """Drop roots nested in another root (the outer scan covers them)."""
    ordered = sorted(set(roots), key=lambda p: len(p.parts))
    out: list[Path] = []
    for r in ordered:
        if not any(r.is_relative_to(o) for o in out):
            out.append(r)
    return out


def _in(loc: Location, changed: set[Path]) -> bool:
    return bool(loc.file) and loc.abspath.resolve() in changed


def located_in(f: Finding, changed: set[Path]) -> bool:
    return _in(f.location, changed) or any(_in(h.location, changed) for h in f.path)


def _diag_in(d: Diagnostic, changed: set[Path]) -> bool:
    return not d.location.file or _in(d.location, changed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="iacscan-pre-commit", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("files", nargs="*", type=Path, help="changed files (pre-commit passes them)")
    parser.add_argument("--root", action="append", type=Path, default=[], help="scan this root (repeatable)")
    parser.add_argument("--config", type=Path, help="config file (default: .iacscan.yml of each root)")
    parser.add_argument("--fail-on", choices=[*SEVERITIES, "none"], default=None)
    parser.add_argument("--var-file", action="append", type=Path, default=[])
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)

    files = [f for f in args.files if f.is_file()]
    if not files:
        return 0
    top = repo_top(Path.cwd())
    roots = outermost(r.resolve() for r in args.root) if args.root else outermost(scan_root(f, top) for f in files)
    changed = {f.resolve() for f in files}
    options = ScanOptions(
        var_files=tuple(args.var_file),
        cache_dir=None if args.no_cache else default_cache_dir(),
        environ=dict(os.environ),
    )
    result = scan(roots, options, args.config)
    result.findings = [f for f in result.findings if located_in(f, changed)]
    diags = [d for d in result.diagnostics.sorted() if _diag_in(d, changed)]
    fail_on = args.fail_on or result.config.fail_on or "low"
    code = exit_code(result, fail_on, args.strict)
    if result.findings or diags or code:
        sys.stdout.write(text.render(result.findings, diags))
    return code


if __name__ == "__main__":
    sys.exit(main())
