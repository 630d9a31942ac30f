"""The rule catalogue (``rules/*.yaml``) and the service catalogue (``rules/catalogue/services.yaml``).

One explicit catalogue, loaded from data; no registration by import side effect.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from iacscan.model.ports import PortSet

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
CONFIDENCES: tuple[str, ...] = ("low", "medium", "high")
TEMPLATES: tuple[str, ...] = (
    "service-reachable",
    "other-ports-reachable",
    "host-access",
    "lateral",
    "tenant-shared",
    "egress",
    "intent-violation",
    "intent-unreachable",
    "unused-suppression",
)


def rules_dir() -> Path:
    """``rules/`` of a source checkout, or the copy a wheel carries as ``iacscan/_rules``."""
    here = Path(__file__).resolve().parent.parent
    for cand in (here / "_rules", here.parent / "rules"):
        if cand.is_dir():
            return cand
    raise FileNotFoundError("iacscan rule catalogue not found")


def severity_rank(sev: str) -> int:
    return SEVERITIES.index(sev) if sev in SEVERITIES else 0


@dataclass(frozen=True)
class Rule:
    id: str
    slug: str
    name: str
    summary: str
    description: str
    severity: str
    confidence: str
    tags: tuple[str, ...]
    references: tuple[str, ...]
    remediation: str
    example: str
    template: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    source_file: str = ""

    @property
    def precision(self) -> str:
        return {"high": "very-high", "medium": "high", "low": "medium"}.get(self.confidence, "medium")


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    category: str
    ports: PortSet
    images: tuple[str, ...]

    def matches_image(self, image: str) -> bool:
        ref = image.strip().lower()
        if "@" in ref:
            ref = ref.split("@", 1)[0]
        last = ref.rsplit("/", 1)[-1]
        name_tag = ref
        # drop a registry host ("ghcr.io/x/y" -> "x/y")
        parts = ref.split("/")
        if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
            name_tag = "/".join(parts[1:])
        name = name_tag.rsplit(":", 1)[0] if ":" in name_tag.rsplit("/", 1)[-1] else name_tag
        for pat in self.images:
            p = pat.lower()
            target = name_tag if ":" in p else name
            if fnmatch.fnmatchcase(target, p) or (":" not in p and fnmatch.fnmatchcase(last.split(":")[0], p)):
                return True
        return False


class CatalogError(ValueError):
    pass


def _rule_from(data: dict[str, Any], file: str) -> Rule:
    required = ("id", "slug", "summary", "severity", "confidence", "tags", "remediation", "match")
    missing = [k for k in required if k not in data]
    if missing:
        raise CatalogError(f"{file}: missing {', '.join(missing)}")
    if data["severity"] not in SEVERITIES:
        raise CatalogError(f"{file}: severity {data['severity']!r} not in {SEVERITIES}")
    if data["confidence"] not in CONFIDENCES:
        raise CatalogError(f"{file}: confidence {data['confidence']!r} not in {CONFIDENCES}")
    match = data["match"]
    if not isinstance(match, dict) or match.get("template") not in TEMPLATES:
        raise CatalogError(f"{file}: match.template must be one of {TEMPLATES}")
    return Rule(
        id=str(data["id"]),
        slug=str(data["slug"]),
        name=str(data.get("name", data["slug"])),
        summary=str(data["summary"]).strip(),
        description=str(data.get("description", data["summary"])).strip(),
        severity=str(data["severity"]),
        confidence=str(data["confidence"]),
        tags=tuple(str(t) for t in data.get("tags", [])),
        references=tuple(str(r) for r in data.get("references", [])),
        remediation=str(data["remediation"]).strip(),
        example=str(data.get("example", "")).rstrip(),
        template=str(match["template"]),
        params=dict(match.get("params") or {}),
        source_file=file,
    )


@dataclass(frozen=True)
class Catalog:
    rules: tuple[Rule, ...]
    services: tuple[Service, ...]

    def rule(self, key: str) -> Rule | None:
        for r in self.rules:
            if key in (r.slug, r.id):
                return r
        return None

    def services_in(self, categories: tuple[str, ...]) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.category in categories)

    def service(self, sid: str) -> Service | None:
        return next((s for s in self.services if s.id == sid), None)


def load_catalog(directory: Path | None = None) -> Catalog:
    return _load(str(directory or rules_dir()))


@cache
def _load(directory: str) -> Catalog:
    d = Path(directory)
    rules = []
    for f in sorted(d.glob("*.yaml")):
        data = yaml.load(f.read_text(encoding="utf-8"), Loader=_LOADER)
        rules.append(_rule_from(data, f.name))
    ids = [r.id for r in rules]
    slugs = [r.slug for r in rules]
    for seq, what in ((ids, "id"), (slugs, "slug")):
        dup = {x for x in seq if seq.count(x) > 1}
        if dup:
            raise CatalogError(f"duplicate rule {what}: {sorted(dup)}")
    svc_data = yaml.load((d / "catalogue" / "services.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    services = []
    for s in svc_data["services"]:
        ports = PortSet()
        for p in s.get("ports") or []:
            ports = ports | PortSet.parse(p)
        services.append(Service(s["id"], s["name"], s["category"], ports, tuple(s.get("images") or ())))
    return Catalog(tuple(sorted(rules, key=lambda r: r.id)), tuple(services))
