"""Runs the stages in order: walk → ingest (every layer) → facts → rules → post-processing."""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from iacscan import __version__, crosslayer, intent, suppress
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


MODEL_CACHE_VERSION = "1"


@functools.cache
def _code_stamp() -> str:
    """Identity of the analysing code itself (so an edited checkout never reuses stale models)."""
    h = hashlib.sha256()
    for f in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        st = f.stat()
        h.update(f"{f}|{st.st_mtime_ns}|{st.st_size}".encode())
    return h.hexdigest()


def _model_key(ctx: ScanContext, layers: tuple[str, ...]) -> str | None:
    """Content hash of everything a layer may read: files, options, config, the code and its version."""
    h = hashlib.sha256()
    h.update(f"{MODEL_CACHE_VERSION}|{__version__}|{_code_stamp()}|{layers}|{ctx.root}".encode())
    try:
        for f in ctx.files:
            h.update(str(f).encode() + b"\0")
            h.update(hashlib.sha256(f.read_bytes()).digest())
        for vf in ctx.options.var_files:
            h.update(str(vf).encode() + vf.read_bytes())
    except OSError:
        return None
    env = sorted((k, v) for k, v in ctx.options.environ.items() if k.startswith(("TF_VAR_", "IACSCAN_")))
    h.update(repr(env).encode())
    h.update(repr(sorted(ctx.config.raw.items(), key=lambda kv: str(kv[0]))).encode())
    return h.hexdigest()


def load_cached(ctx: ScanContext, layers: tuple[str, ...] = ()) -> Model:
    """Run the layers, or reuse their model and diagnostics when no input changed since the last scan."""
    cache_dir = ctx.options.cache_dir
    key = _model_key(ctx, layers) if cache_dir is not None else None
    path = cache_dir / "models" / f"{key}.pickle" if cache_dir is not None and key else None
    if path is not None and path.is_file():
        try:
            with path.open("rb") as fh:
                model, diags = pickle.load(fh)
            if isinstance(model, Model):
                ctx.diagnostics.items.extend(diags)
                return model
        except Exception:  # a stale or corrupt cache entry is just a miss
            pass
    local = Diagnostics()
    sub = ScanContext(ctx.root, ctx.files, ctx.config, local, ctx.options)
    model = load_layers(sub, layers)
    ctx.diagnostics.items.extend(local.items)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump((model, local.items), fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            pass
    return model


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
        model.merge(load_cached(ctx, layers))
    model = crosslayer.bind(model, contexts, config, diagnostics)
    extra = {**EXTRA_PRODUCERS, **intent.producers(config, diagnostics)}
    findings = evaluate(model, catalog, rule_enabled(config), extra)
    result = ScanResult([c.root for c in contexts], model, findings, diagnostics, catalog, config, contexts)
    for step in POST_STEPS:
        result.findings = step(result)
    return result
