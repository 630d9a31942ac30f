"""Runs the stages in order: walk → ingest (every layer) → facts → rules → post-processing."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from iacscan import suppress
from iacscan.config import Config, find_config, load_config
from iacscan.engine.catalog import Catalog, Rule, load_catalog
from iacscan.engine.evaluate import ExtraProducer, evaluate
from iacscan.engine.finding import Finding
from iacscan.ingest import ScanContext, ScanOptions, load_layers, walk
from iacscan.model.core import Model
from iacscan.source import Diagnostics, Location


@dataclass
class ScanResult:
    roots: list[Path]
    model: Model
    findings: list[Finding]
    diagnostics: Diagnostics
    catalog: Catalog
    config: Config
    contexts: list[ScanContext] = field(default_factory=list)


# Post-processing steps (suppressions, baselines, confirmation...) in order; each gets the
# result and returns the findings to keep.  Filled explicitly by the modules' owners below.
PostStep = Callable[[ScanResult], list[Finding]]
POST_STEPS: list[PostStep] = [suppress.apply]
EXTRA_PRODUCERS: dict[str, ExtraProducer] = {}


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "iacscan"


def build_contexts(
    paths: Sequence[Path], config: Config, diagnostics: Diagnostics, options: ScanOptions
) -> list[ScanContext]:
    contexts = []
    for p in paths:
        if not p.exists():
            diagnostics.error(f"path does not exist: {p}", Location(str(p)), "io")
            continue
        if p.is_file():
            root = p.resolve().parent
            files = [p.resolve()]
        else:
            root = p.resolve()
            files = walk(root, diagnostics)
        contexts.append(ScanContext(root=root, files=files, config=config, diagnostics=diagnostics, options=options))
    return contexts


def rule_enabled(config: Config) -> Callable[[Rule], bool]:
    def enabled(rule: Rule) -> bool:
        keys = {rule.slug, rule.id}
        if config.enable and not keys & set(config.enable):
            return False
        return not keys & set(config.disable)

    return enabled


def scan(
    paths: Sequence[Path],
    options: ScanOptions | None = None,
    config_path: Path | None = None,
    layers: tuple[str, ...] = (),
    catalog: Catalog | None = None,
) -> ScanResult:
    diagnostics = Diagnostics()
    options = options or ScanOptions(environ=dict(os.environ))
    config = load_config(config_path or find_config(list(paths)), diagnostics)
    catalog = catalog or load_catalog()
    contexts = build_contexts(paths, config, diagnostics, options)
    model = Model()
    for ctx in contexts:
        model.merge(load_layers(ctx, layers))
    findings = evaluate(model, catalog, rule_enabled(config), EXTRA_PRODUCERS)
    result = ScanResult([c.root for c in contexts], model, findings, diagnostics, catalog, config, contexts)
    for step in POST_STEPS:
        result.findings = step(result)
    return result
