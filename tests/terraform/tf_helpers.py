"""Helpers: write a small Terraform tree and load it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from iacscan.ingest.terraform import TfResource, TfRoot, load_terraform
from iacscan.source import Diagnostics

Loader = Callable[..., tuple[list[TfRoot], Diagnostics]]


def write_tree(base: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def make_loader(tmp_path: Path) -> Loader:
    def _load(files: Mapping[str, str | bytes], **kwargs: Any) -> tuple[list[TfRoot], Diagnostics]:
        base = tmp_path / "tree"
        write_tree(base, files)
        diagnostics = Diagnostics()
        kwargs.setdefault("environ", {})
        roots = load_terraform(kwargs.pop("scan_root", base), diagnostics=diagnostics, **kwargs)
        return roots, diagnostics

    return _load


def by_address(root: TfRoot) -> dict[str, TfResource]:
    return {r.address: r for r in root.resources}


def messages(diagnostics: Diagnostics) -> list[tuple[str, str, int, str]]:
    return [(d.level.value, d.location.file, d.location.line, d.message) for d in diagnostics.sorted()]
