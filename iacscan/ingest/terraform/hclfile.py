"""Parse ``.tf``/``.tfvars`` files into a small JSON-serialisable body structure.

python-hcl2's grammar (pinned 7.3.1) gives the block structure and line numbers; attribute
values are kept as their exact source text (python-hcl2's own re-serialisation of expressions
is lossy: it drops ``...`` and the quotes of strings inside tuples), and later parsed by
:mod:`.parser`.  Body layout::

    {"attrs": [[name, source, line, end_line], ...],
     "blocks": [[type, [labels...], line, end_line, body], ...]}

Results are cached by the sha256 of the file content (plus a format version) and parsed in
parallel across processes when many files are uncached.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE_FORMAT = "iacscan-tf-body-v1"
MAX_FILE_BYTES = 5 * 1024 * 1024
PARALLEL_MIN_FILES = 8
PARALLEL_MIN_BYTES = 256 * 1024

Body = dict[str, Any]


@dataclass(frozen=True)
class ParsedFile:
    path: Path
    body: Body | None
    error: str = ""
    error_line: int = 0


def parse_text(text: str) -> dict[str, Any]:
    """Parse HCL text; returns ``{"body": ...}`` or ``{"error": msg, "line": n}``."""
    from hcl2.parser import parser  # imported lazily: lark grammar load is not free
    from lark.exceptions import LarkError, UnexpectedInput

    try:
        tree = parser().parse(text + "\n")
    except UnexpectedInput as exc:
        line = int(getattr(exc, "line", 0) or 0)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        return {"error": f"invalid HCL: {first}", "line": max(line, 0)}
    except (LarkError, RecursionError, ValueError) as exc:
        return {"error": f"invalid HCL: {type(exc).__name__}: {exc}"[:300], "line": 0}
    try:
        return {"body": _body(tree.children[0], text)}
    except (AttributeError, IndexError, TypeError) as exc:
        return {"error": f"unsupported HCL structure: {exc}"[:300], "line": 0}


def _body(tree: Any, text: str) -> Body:
    attrs: list[list[Any]] = []
    blocks: list[list[Any]] = []
    for child in tree.children:
        data = getattr(child, "data", None)
        if data == "attribute":
            name = _ident(child.children[0])
            expr = child.children[2]
            start, end = _span(expr)
            attrs.append([name, text[start:end].strip(), child.meta.line, child.meta.end_line])
        elif data == "block":
            kids = [k for k in child.children if getattr(k, "data", None) != "new_line_or_comment"]
            block_type = _ident(kids[0])
            labels = [_label(k, text) for k in kids[1:-1]]
            blocks.append([block_type, labels, child.meta.line, child.meta.end_line, _body(kids[-1], text)])
    return {"attrs": attrs, "blocks": blocks}


def _span(node: Any) -> tuple[int, int]:
    if hasattr(node, "meta"):
        return int(node.meta.start_pos), int(node.meta.end_pos)
    return int(node.start_pos), int(node.end_pos)


def _ident(node: Any) -> str:
    return str(node.children[0]) if hasattr(node, "children") else str(node)


def _label(node: Any, text: str) -> str:
    if getattr(node, "data", None) == "identifier":
        return _ident(node)
    start, end = _span(node)
    raw = text[start:end]
    return raw[1:-1] if raw.startswith('"') and raw.endswith('"') else raw


def _cache_file(cache_dir: Path, digest: str) -> Path:
    return cache_dir / "terraform" / digest[:2] / f"{digest}.json"


def _digest(data: bytes) -> str:
    return hashlib.sha256(CACHE_FORMAT.encode() + b"\0" + data).hexdigest()


def _read_cache(cache_dir: Path | None, digest: str) -> dict[str, Any] | None:
    if cache_dir is None:
        return None
    try:
        with open(_cache_file(cache_dir, digest), encoding="utf-8") as fh:
            result = json.load(fh)
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) else None


def _write_cache(cache_dir: Path | None, digest: str, result: dict[str, Any]) -> None:
    if cache_dir is None:
        return
    target = _cache_file(cache_dir, digest)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(result, fh, separators=(",", ":"))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a cache that cannot be written is only slower


def _to_parsed(path: Path, result: dict[str, Any]) -> ParsedFile:
    if "body" in result:
        return ParsedFile(path, result["body"])
    return ParsedFile(path, None, str(result.get("error", "invalid HCL")), int(result.get("line", 0)))


def parse_files(paths: list[Path], *, cache_dir: Path | None, jobs: int | None = None) -> dict[Path, ParsedFile]:
    """Parse many files (cache first, then serially or in a process pool)."""
    out: dict[Path, ParsedFile] = {}
    todo: list[tuple[Path, str, str]] = []
    for path in paths:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                out[path] = ParsedFile(path, None, f"file too large ({size} bytes > {MAX_FILE_BYTES})")
                continue
            data = path.read_bytes()
        except OSError as exc:
            out[path] = ParsedFile(path, None, f"cannot read file: {exc.strerror or exc}")
            continue
        if b"\0" in data:
            out[path] = ParsedFile(path, None, "binary file (contains NUL bytes)")
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            out[path] = ParsedFile(path, None, f"file is not valid UTF-8 (byte {exc.start})")
            continue
        digest = _digest(data)
        cached = _read_cache(cache_dir, digest)
        if cached is not None:
            out[path] = _to_parsed(path, cached)
        else:
            todo.append((path, digest, text.removeprefix("\ufeff")))
    total = sum(len(t) for _, _, t in todo)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    results: list[dict[str, Any]]
    texts = [t for _, _, t in todo]
    if len(todo) > PARALLEL_MIN_FILES and total > PARALLEL_MIN_BYTES and workers > 1:
        results = _parse_parallel(texts, min(workers, len(todo)))
    else:
        results = [parse_text(t) for t in texts]
    for (path, digest, _), result in zip(todo, results, strict=True):
        _write_cache(cache_dir, digest, result)
        out[path] = _to_parsed(path, result)
    return out


def _parse_parallel(texts: list[str], workers: int) -> list[dict[str, Any]]:
    """Parse in a process pool; fall back to serial parsing where processes are unavailable."""
    try:
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(parse_text, texts, chunksize=max(1, len(texts) // (workers * 4))))
    except (OSError, concurrent.futures.process.BrokenProcessPool, NotImplementedError):
        return [parse_text(t) for t in texts]
