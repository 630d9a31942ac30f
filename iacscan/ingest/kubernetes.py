"""Kubernetes manifests → the common model (``load(ctx)``).

Reads every ``*.yaml`` / ``*.yml`` / ``*.json`` of the scan that holds Kubernetes
objects (``apiVersion`` + ``kind``, or a ``*List`` of them); other YAML (compose
files, CI configs) and JSON (docker inspect, AWS snapshots) is left to the other
layers without a word.  Unreadable or malicious input becomes a diagnostic.
"""

from __future__ import annotations

from pathlib import Path

from iacscan.ingest import ScanContext
from iacscan.k8s.facts import build_model
from iacscan.k8s.manifests import iter_objects, load_text, looks_like_k8s
from iacscan.k8s.parse import Builder, Diag
from iacscan.model.core import Model
from iacscan.source import Level

SUFFIXES = (".yaml", ".yml", ".json")


def _reporter(ctx: ScanContext, path: Path) -> Diag:
    def diag(level: str, message: str, line: int, code: str) -> None:
        ctx.diagnostics.add(Level(level), message, ctx.loc(path, line), code)

    return diag


def load(ctx: ScanContext) -> Model:
    builder = Builder()
    for path in ctx.files:
        if path.suffix.lower() not in SUFFIXES:
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            if path.suffix.lower() != ".json":
                ctx.diagnostics.warning(f"cannot read: {exc}", ctx.loc(path), "io")
            continue
        if "kind" not in text or "apiVersion" not in text:
            continue  # not Kubernetes: cheap pre-filter before any parsing
        docs, problems = load_text(text, path.suffix.lower() == ".json")
        for pr in problems:
            ctx.diagnostics.add(Level(pr.level), pr.message, ctx.loc(path, pr.line), pr.code)
        for doc in docs:
            if not looks_like_k8s(doc.value):
                continue
            for obj, line, kind in iter_objects(doc.value, doc.line):
                loc = ctx.loc(path, obj.line_of("kind") if "kind" in obj else line)
                builder.add(obj, kind, loc, _reporter(ctx, path))
    cluster = builder.finish()
    if not cluster.workloads and not cluster.services and not cluster.policies:
        return Model()
    return build_model(cluster, ctx)
