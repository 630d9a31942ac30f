"""Arguments shared by the commands that scan an estate."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from iacscan.ingest import ScanOptions
from iacscan.pipeline import default_cache_dir


def add_scan_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="directories or files to scan")
    p.add_argument("--var-file", action="append", type=Path, default=[], help="Terraform variable file (repeatable)")
    p.add_argument("--config", type=Path, help="config file (default: .iacscan.yml at the scanned root)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the parse cache")
    p.add_argument("--strict", action="store_true", help="exit 2 when any diagnostic of level error was emitted")


def scan_options(args: argparse.Namespace) -> ScanOptions:
    return ScanOptions(
        var_files=tuple(args.var_file),
        cache_dir=None if args.no_cache else default_cache_dir(),
        environ=dict(os.environ),
    )


def write_output(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


@contextmanager
def progress(label: str, after: float = 2.0) -> Iterator[None]:
    """A spinner on stderr for work that takes longer than ``after`` seconds (TTY only)."""
    done = threading.Event()

    def spin() -> None:
        if done.wait(after) or not sys.stderr.isatty():
            return
        start = time.monotonic()
        frames = "|/-\\"
        i = 0
        while not done.wait(0.2):
            sys.stderr.write(f"\r{label} {frames[i % 4]} {time.monotonic() - start + after:.0f}s")
            sys.stderr.flush()
            i += 1
        sys.stderr.write("\r" + " " * (len(label) + 12) + "\r")

    t = threading.Thread(target=spin, daemon=True)
    t.start()
    try:
        yield
    finally:
        done.set()
        t.join(timeout=1)
