"""Find Terraform module directories under the scanned path, and resolve module sources."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from iacscan.source import Diagnostics, Location


@dataclass(frozen=True)
class Tree:
    """The scanned tree: its root (resolved) and every directory holding ``.tf`` files."""

    root: Path
    tf_dirs: dict[Path, list[Path]]  # resolved dir -> sorted .tf files

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def location(self, path: Path, line: int = 0, end_line: int = 0, key: str = "") -> Location:
        rel = self.rel(path)
        return Location("" if rel == "." else rel, line, end_line, str(self.root), key)

    def contains(self, path: Path) -> bool:
        return path == self.root or self.root in path.parents


def discover(scan_root: Path, diagnostics: Diagnostics) -> Tree:
    """Walk ``scan_root`` (a directory, or a single .tf file meaning its directory)."""
    base = scan_root.resolve()
    if base.is_file():
        base = base.parent
        single: Path | None = scan_root.resolve()
    else:
        single = None
    tree = Tree(base, {})
    if single is not None:
        files = sorted(p for p in base.iterdir() if p.is_file() and p.name.endswith(".tf"))
        tree.tf_dirs[base] = files
        return tree
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(base, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            diagnostics.warning(
                "symlink loop or duplicate directory skipped", tree.location(Path(dirpath)), "tf-symlink-loop"
            )
            dirnames[:] = []
            continue
        seen.add(real)
        keep: list[str] = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            full = os.path.join(dirpath, name)
            target = os.path.realpath(full)
            if os.path.islink(full) and (target == real or real.startswith(target + os.sep) or target in seen):
                diagnostics.warning("symlink loop skipped", tree.location(Path(full)), "tf-symlink-loop")
                continue
            if os.path.islink(full) and not (target == str(base) or target.startswith(str(base) + os.sep)):
                diagnostics.warning(
                    "symlink to a directory outside the scanned tree skipped", tree.location(Path(full)), "tf-symlink"
                )
                continue
            keep.append(name)
        dirnames[:] = keep
        tf_files = sorted(Path(dirpath) / f for f in filenames if f.endswith(".tf") and not f.startswith("."))
        for name in sorted(f for f in filenames if f.endswith(".tf.json")):
            diagnostics.info(
                "JSON configuration syntax (.tf.json) is not supported; file skipped",
                tree.location(Path(dirpath) / name),
                "tf-json-unsupported",
            )
        if tf_files:
            tree.tf_dirs[Path(dirpath)] = tf_files
    return tree


def is_local_source(source: str) -> bool:
    return source.startswith("./") or source.startswith("../") or source in (".", "..")


def resolve_local(caller_dir: Path, source: str) -> Path:
    return Path(os.path.normpath(caller_dir / source))


@dataclass(frozen=True)
class ModulesManifest:
    """``.terraform/modules/modules.json`` of a root module (``terraform init`` output)."""

    root_dir: Path
    dirs: dict[str, Path]  # module key ("a.b") -> directory

    @staticmethod
    def load(root_dir: Path, tree: Tree, diagnostics: Diagnostics) -> ModulesManifest:
        manifest = root_dir / ".terraform" / "modules" / "modules.json"
        dirs: dict[str, Path] = {}
        if not manifest.is_file():
            return ModulesManifest(root_dir, dirs)
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            for entry in data.get("Modules", []):
                key, rel = str(entry.get("Key", "")), str(entry.get("Dir", ""))
                if key and rel:
                    dirs[key] = Path(os.path.normpath(root_dir / PurePosixPath(rel)))
        except (OSError, ValueError, AttributeError) as exc:
            diagnostics.warning(f"cannot read modules.json: {exc}", tree.location(manifest), "tf-modules-json")
        return ModulesManifest(root_dir, dirs)
