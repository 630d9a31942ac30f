"""Root-module variable values, with Terraform's precedence.

Lowest to highest: variable defaults (handled by the module), ``TF_VAR_name`` environment
variables, ``terraform.tfvars``, ``terraform.tfvars.json``, ``*.auto.tfvars`` and
``*.auto.tfvars.json`` (lexical order), then ``--var-file`` files in the order given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from iacscan.source import Diagnostics

from .config import Block
from .discovery import Tree
from .evaluator import Context, evaluate
from .hclfile import MAX_FILE_BYTES, parse_files
from .parser import ParseError, parse_expression
from .values import EvalError, Unknown, Value


def _no_refs(name: str) -> Value:
    raise EvalError(f"variables may not refer to {name!r}")


def _eval_literal(src: str, tree: Tree, path: Path, line: int, diagnostics: Diagnostics) -> Value:
    where = tree.location(path, line)
    try:
        node = parse_expression(src)
        return evaluate(node, Context(_no_refs, lambda msg: diagnostics.warning(msg, where, "tf-function")))
    except (ParseError, EvalError) as exc:
        diagnostics.error(f"invalid variable value: {exc}", where, "tf-tfvars")
        return Unknown(f"invalid value in {where}")


def _var_type(block: Block | None) -> str:
    if block is None:
        return ""
    attr = block.attr("type")
    return attr.src.strip() if attr is not None else ""


def root_variable_values(
    root_dir: Path,
    variables: Mapping[str, Block],
    *,
    tree: Tree,
    var_files: Sequence[Path],
    environ: Mapping[str, str],
    cache_dir: Path | None,
    diagnostics: Diagnostics,
) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for key, raw in sorted(environ.items()):
        if not key.startswith("TF_VAR_"):
            continue
        name = key[len("TF_VAR_") :]
        if name not in variables:
            continue
        vtype = _var_type(variables.get(name))
        if vtype in ("", "string"):
            values[name] = raw
        else:
            where = tree.location(root_dir)
            try:
                values[name] = evaluate(parse_expression(raw), Context(_no_refs, lambda _m: None))
            except (ParseError, EvalError) as exc:
                diagnostics.error(f"invalid value for TF_VAR_{name}: {exc}", where, "tf-env-var")
                values[name] = Unknown(f"var.{name} (invalid TF_VAR_{name})")
    files: list[Path] = []
    for name in ("terraform.tfvars", "terraform.tfvars.json"):
        if (root_dir / name).is_file():
            files.append(root_dir / name)
    auto = sorted(
        (p for p in root_dir.iterdir() if p.is_file() and p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))),
        key=lambda p: p.name,
    )
    files.extend(auto)
    files.extend(var_files)
    for path in files:
        values.update(_read_var_file(path, tree, cache_dir, diagnostics))
    return values


def _read_var_file(path: Path, tree: Tree, cache_dir: Path | None, diagnostics: Diagnostics) -> dict[str, Value]:
    where = tree.location(path)
    if path.name.endswith(".json"):
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                diagnostics.error("file too large", where, "tf-too-large")
                return {}
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            diagnostics.error(f"cannot read variables file: {exc}", where, "tf-tfvars")
            return {}
        if not isinstance(data, dict):
            diagnostics.error("variables file must hold a JSON object", where, "tf-tfvars")
            return {}
        return dict(data)
    parsed = parse_files([path], cache_dir=cache_dir)[path]
    if parsed.body is None:
        code = "tf-too-large" if "too large" in parsed.error else "hcl-syntax"
        diagnostics.error(parsed.error, tree.location(path, parsed.error_line), code)
        return {}
    out: dict[str, Value] = {}
    for name, src, line, _end in parsed.body.get("attrs", []):
        out[name] = _eval_literal(src, tree, path, int(line), diagnostics)
    return out
