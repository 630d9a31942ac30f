"""``.iacscan.yml``: rules on/off, ignores, tenant label, intent flows, layer bindings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from iacscan.source import Diagnostics, Location

CONFIG_NAMES = (".iacscan.yml", ".iacscan.yaml")


@dataclass(frozen=True)
class IgnoreEntry:
    rule: str  # slug or id, "*" for any
    reason: str
    path: str = "*"  # glob over the finding's file
    target: str = "*"  # glob over the finding's target
    expires: dt.date | None = None
    location: Location = field(default_factory=lambda: Location(""))


@dataclass
class Config:
    path: Path | None = None
    enable: tuple[str, ...] = ()  # when set, only these rules
    disable: tuple[str, ...] = ()
    ignores: tuple[IgnoreEntry, ...] = ()
    tenant_label: str = "tenant"
    fail_on: str | None = None
    raw: dict[str, Any] = field(
        default_factory=dict
    )  # every key, for the layers that read their own (clusters, hosts, flows)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


def find_config(paths: list[Path]) -> Path | None:
    for p in paths:
        d = p if p.is_dir() else p.parent
        for name in CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
    return None


def load_config(path: Path | None, diagnostics: Diagnostics) -> Config:
    if path is None:
        return Config()
    loc = Location(path.name, 0, root=str(path.parent.resolve()))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
        diagnostics.error(f"cannot read config: {exc}", loc.at(max(line, 0)), "config")
        return Config(path=path)
    if not isinstance(data, dict):
        diagnostics.error("config must be a mapping", loc, "config")
        return Config(path=path)
    rules = data.get("rules") or {}
    ignores = []
    for i, entry in enumerate(data.get("ignore") or []):
        if not isinstance(entry, dict) or "rule" not in entry:
            diagnostics.error(f"ignore[{i}]: needs at least 'rule'", loc, "config")
            continue
        expires = entry.get("expires")
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                diagnostics.error(f"ignore[{i}]: expires {expires!r} is not YYYY-MM-DD", loc, "config")
                expires = None
        reason = str(entry.get("reason") or "").strip()
        if not reason:
            diagnostics.warning(f"ignore[{i}] for {entry['rule']} has no reason", loc, "suppression-no-reason")
        ignores.append(
            IgnoreEntry(
                rule=str(entry["rule"]),
                reason=reason,
                path=str(entry.get("path", "*")),
                target=str(entry.get("target", "*")),
                expires=expires if isinstance(expires, dt.date) else None,
                location=loc,
            )
        )
    return Config(
        path=path,
        enable=tuple(str(r) for r in (rules.get("enable") or [])) if isinstance(rules, dict) else (),
        disable=tuple(str(r) for r in (rules.get("disable") or [])) if isinstance(rules, dict) else (),
        ignores=tuple(ignores),
        tenant_label=str(data.get("tenant_label", "tenant")),
        fail_on=data.get("fail_on"),
        raw=data,
    )


def entry_lines(path: Path | None, key: str) -> list[int]:
    """1-based line of each item of the top-level list ``key`` in a config file (empty when unknown)."""
    if path is None:
        return []
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in v.value]
    return []
