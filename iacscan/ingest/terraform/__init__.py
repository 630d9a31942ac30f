"""Load and evaluate Terraform estates statically (no network, no provider, no execution).

``load_terraform`` finds every root module under the scanned path (a directory with ``.tf``
files that no other scanned directory calls as a local module), parses all files once (cached,
in parallel when there are many), and evaluates each root lazily: variables, locals, resources
with ``count``/``for_each``, ``dynamic`` blocks, module calls and outputs.  Values that cannot
be known statically are :class:`~.values.Unknown`; computed resource identifiers are
:class:`~.values.Ref`.  See :mod:`.module` for how unknown ``count``/``for_each`` are handled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iacscan.source import Diagnostics, Location

from .config import ModuleConfig
from .discovery import ModulesManifest, Tree, discover, is_local_source, resolve_local
from .evaluator import materialize
from .hclfile import ParsedFile, parse_files
from .module import ModuleInstance, Reporter, ResourceObject, Session
from .values import Ref, Unknown, Value
from .variables import root_variable_values

__all__ = ["Ref", "TfResource", "TfRoot", "Unknown", "Value", "load_terraform"]


@dataclass(frozen=True)
class TfResource:
    address: str
    mode: str
    type: str
    name: str
    module: str
    index: int | str | None
    attrs: dict[str, Any]
    location: Location
    attr_lines: dict[str, int]


@dataclass(frozen=True)
class TfRoot:
    name: str
    path: Path
    resources: tuple[TfResource, ...]
    outputs: dict[str, Any]


class _Configs:
    """Module directory -> ModuleConfig, parsing on demand what discovery did not see."""

    def __init__(self, tree: Tree, parsed: dict[Path, ParsedFile], cache_dir: Path | None, reporter: Reporter) -> None:
        self.tree = tree
        self.parsed = parsed
        self.cache_dir = cache_dir
        self.reporter = reporter
        self.configs: dict[Path, ModuleConfig | None] = {}

    def get(self, directory: Path) -> ModuleConfig | None:
        if directory in self.configs:
            return self.configs[directory]
        files = self.tree.tf_dirs.get(directory)
        if files is None:
            try:
                files = sorted(p for p in directory.iterdir() if p.is_file() and p.name.endswith(".tf"))
            except OSError:
                files = []
            missing = [f for f in files if f not in self.parsed]
            if missing:
                self.parsed.update(parse_files(missing, cache_dir=self.cache_dir))
        config = ModuleConfig(self.tree.rel(directory))
        for path in files:
            parsed = self.parsed.get(path)
            if parsed is None:
                continue
            if parsed.body is None:
                code = "tf-too-large" if "too large" in parsed.error else "hcl-syntax"
                level = "warning" if code == "tf-too-large" else "error"
                self.reporter.emit(level, parsed.error, self.tree.location(path, parsed.error_line), code)
                continue
            config.add_file(self.tree.rel(path), parsed.body)
        for message, item in config.duplicates:
            self.reporter.emit("error", message, self.tree.location(self.tree.root / item.file, item.line), "tf-dup")
        self.configs[directory] = config
        return config


def _called_dirs(configs: _Configs, tree: Tree) -> set[Path]:
    called: set[Path] = set()
    for directory in tree.tf_dirs:
        config = configs.get(directory)
        if config is None:
            continue
        for block in config.module_calls:
            attr = block.attr("source")
            if attr is None:
                continue
            source = attr.src.strip()
            if len(source) >= 2 and source[0] == '"' and source[-1] == '"':
                source = source[1:-1]
            if is_local_source(source):
                target = resolve_local(directory, source)
                called.add(target)
                called.add(target.resolve())
    return called


def _to_resource(session: Session, obj: ResourceObject) -> TfResource:
    group = obj.group
    block = group.block
    attrs = obj.all_attrs()
    location = session.location(block.file, block.line, block.end_line)
    return TfResource(
        address=obj.instance.address,
        mode=group.mode,
        type=group.type,
        name=group.name,
        module=group.module.path,
        index=obj.instance.index,
        attrs=attrs,
        location=location,
        attr_lines=dict(sorted(obj.attr_lines.items())),
    )


def _const(value: Value) -> Callable[[], Value]:
    return lambda: value


def _load_root(
    directory: Path,
    tree: Tree,
    configs: _Configs,
    reporter: Reporter,
    *,
    var_files: Sequence[Path],
    environ: Mapping[str, str],
    cache_dir: Path | None,
) -> TfRoot:
    config = configs.get(directory) or ModuleConfig(tree.rel(directory))
    manifest = ModulesManifest.load(directory, tree, reporter.diagnostics)
    session = Session(tree, reporter, directory, manifest, configs.get)
    values = root_variable_values(
        directory,
        config.variables,
        tree=tree,
        var_files=var_files,
        environ=environ,
        cache_dir=cache_dir,
        diagnostics=reporter.diagnostics,
    )
    inputs: dict[str, Callable[[], Value]] = {name: _const(value) for name, value in values.items()}
    root = ModuleInstance(session, "", config, inputs, module_dir=directory)
    resources: list[TfResource] = []
    for obj in root.walk():
        try:
            resources.append(_to_resource(session, obj))
        except Exception as exc:  # one bad resource never stops the rest
            where = session.location(obj.group.block.file, obj.group.block.line)
            reporter.emit("error", f"internal error evaluating {obj.instance.address}: {exc!r}", where, "tf-internal")
    outputs: dict[str, Value] = {}
    for name in config.outputs:
        try:
            outputs[name] = materialize(root.output(name))
        except Exception as exc:
            block = config.outputs[name]
            reporter.emit(
                "error",
                f"internal error evaluating output {name}: {exc!r}",
                tree.location(tree.root / block.file, block.line),
                "tf-internal",
            )
            outputs[name] = Unknown(f"output.{name} (internal error)")
    rel = tree.rel(directory)
    return TfRoot("" if rel == "." else rel, directory, tuple(resources), outputs)


def load_terraform(
    scan_root: Path,
    *,
    var_files: Sequence[Path] = (),
    environ: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    diagnostics: Diagnostics,
    jobs: int | None = None,
) -> list[TfRoot]:
    """Load every Terraform root module under ``scan_root``."""
    env = dict(os.environ) if environ is None else environ
    reporter = Reporter(diagnostics)
    tree = discover(scan_root, diagnostics)
    all_files = [f for files in tree.tf_dirs.values() for f in files]
    parsed = parse_files(all_files, cache_dir=cache_dir, jobs=jobs)
    configs = _Configs(tree, parsed, cache_dir, reporter)
    called = _called_dirs(configs, tree)
    roots: list[TfRoot] = []
    for directory in sorted(tree.tf_dirs):
        if directory in called:
            continue
        try:
            roots.append(
                _load_root(directory, tree, configs, reporter, var_files=var_files, environ=env, cache_dir=cache_dir)
            )
        except Exception as exc:
            reporter.emit("error", f"internal error loading root: {exc!r}", tree.location(directory), "tf-internal")
    return roots
