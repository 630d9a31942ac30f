"""Ingesters: one module per input kind, each turning files into the common model.

The registry below is the one explicit list; a layer is a function
``load(ctx: ScanContext) -> Model``.  Modules are imported when a scan runs,
so a static scan never imports boto3 or kubernetes.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from iacscan.config import Config
from iacscan.model.core import Model
from iacscan.source import Diagnostics, Location

# (name, module path, file suffixes it can read). Each module defines ``load(ctx) -> Model``; a layer
# is imported only when the scan holds a file it could read.
LAYERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("terraform", "iacscan.ingest.terraform.aws", (".tf", ".tfvars")),
    ("aws-snapshot", "iacscan.ingest.aws_snapshot", (".json",)),
    ("kubernetes", "iacscan.ingest.kubernetes", (".yaml", ".yml", ".json")),
    ("compose", "iacscan.ingest.compose", (".yaml", ".yml")),
    ("docker", "iacscan.ingest.docker_inspect", (".json",)),
)

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"}
MAX_FILES = 200_000


@dataclass(frozen=True)
class ScanOptions:
    var_files: tuple[Path, ...] = ()
    cache_dir: Path | None = None
    environ: dict[str, str] = field(default_factory=dict)
    jobs: int | None = None


@dataclass
class ScanContext:
    root: Path  # the scanned path, resolved (a directory; for a file argument, its directory)
    files: list[Path]  # files to consider (for a file argument, just that file)
    config: Config
    diagnostics: Diagnostics
    options: ScanOptions = field(default_factory=ScanOptions)

    def rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def loc(self, path: Path, line: int = 0) -> Location:
        return Location(self.rel(path), line, root=str(self.root))


def walk(root: Path, diagnostics: Diagnostics) -> list[Path]:
    """Every regular file under ``root``, skipping VCS and tool folders and symlink loops.

    ``.terraform/`` is skipped except ``.terraform/modules/`` (modules that ``terraform init`` fetched).
    """
    out: list[Path] = []
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            st = d.stat()
        except OSError as exc:
            diagnostics.warning(f"cannot read directory: {exc.strerror}", Location(_rel(d, root)), "io")
            continue
        if (st.st_dev, st.st_ino) in seen:
            diagnostics.warning("symlink loop skipped", Location(_rel(d, root)), "symlink-loop")
            continue
        seen.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            diagnostics.warning(f"cannot list directory: {exc.strerror}", Location(_rel(d, root)), "io")
            continue
        for e in entries:
            p = Path(e.path)
            try:
                if e.is_dir():
                    if e.name in SKIP_DIRS:
                        continue
                    if e.name == ".terraform":
                        if (p / "modules").is_dir():
                            stack.append(p / "modules")
                        continue
                    stack.append(p)
                elif e.is_file():
                    out.append(p)
                    if len(out) > MAX_FILES:
                        diagnostics.error(f"more than {MAX_FILES} files; the rest is skipped", Location(""), "limit")
                        return out
            except OSError:
                diagnostics.warning("unreadable entry skipped", Location(_rel(p, root)), "io")
    out.sort()
    return out


def _rel(p: Path, root: Path) -> str:
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return p.as_posix()


def load_layers(ctx: ScanContext, only: tuple[str, ...] = ()) -> Model:
    model = Model()
    suffixes = {f.suffix.lower() for f in ctx.files}
    for name, module, reads in LAYERS:
        if only and name not in only:
            continue
        if not suffixes & set(reads):
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue  # layer not built into this version
            raise
        load: Callable[[ScanContext], Model] = mod.load
        try:
            model.merge(load(ctx))
        except Exception as exc:  # a layer bug must not kill the scan
            if os.environ.get("IACSCAN_DEBUG"):
                import traceback

                traceback.print_exc()
            ctx.diagnostics.error(
                f"internal error in the {name} layer: {type(exc).__name__}: {exc}", Location(""), "internal"
            )
    return model
