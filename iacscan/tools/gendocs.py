"""Generate ``docs/rules/<slug>.md`` from ``rules/*.yaml`` (the text ``iacscan rules SLUG`` prints).

python3 -m iacscan.tools.gendocs            # write the pages
python3 -m iacscan.tools.gendocs --check    # exit 1 when a page is missing, stale or orphaned (CI)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from iacscan.engine.catalog import Catalog, load_catalog, rules_dir
from iacscan.report.ruledoc import rule_markdown


def default_out_dir() -> Path:
    return rules_dir().parent / "docs" / "rules"


def pages(catalog: Catalog) -> dict[str, str]:
    """File name -> content of every rule page: exactly what ``iacscan rules SLUG`` prints.

    The pages carry no "generated" banner so they stay identical to that output; CI's ``--check``
    is what keeps hand edits out.
    """
    return {f"{r.slug}.md": rule_markdown(r, catalog) for r in catalog.rules}


def problems(out_dir: Path, wanted: dict[str, str]) -> list[str]:
    out = []
    for name, text in sorted(wanted.items()):
        path = out_dir / name
        if not path.is_file():
            out.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8") != text:
            out.append(f"{path}: out of date")
    if out_dir.is_dir():
        for path in sorted(out_dir.glob("*.md")):
            if path.name not in wanted:
                out.append(f"{path}: no rule has this slug (remove it)")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m iacscan.tools.gendocs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when the pages are out of date")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: docs/rules)")
    parser.add_argument("--rules", type=Path, default=None, help="rule directory (default: rules/)")
    args = parser.parse_args(argv)
    out_dir: Path = args.out or default_out_dir()
    wanted = pages(load_catalog(args.rules))
    found = problems(out_dir, wanted)
    if args.check:
        for p in found:
            sys.stderr.write(f"gendocs: {p}\n")
        if found:
            sys.stderr.write("gendocs: rule docs are out of date; run `python3 -m iacscan.tools.gendocs`\n")
            return 1
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in wanted.items():
        path = out_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            sys.stdout.write(f"wrote {path}\n")
    for path in sorted(out_dir.glob("*.md")):
        if path.name not in wanted:
            path.unlink()
            sys.stdout.write(f"removed {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
