"""Findings: what rules produce and reporters print."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from iacscan.model.core import Hop, Status
from iacscan.model.ports import PortSet
from iacscan.source import NOWHERE, Location


@dataclass(frozen=True)
class Suppression:
    kind: str  # "inSource" | "external"
    justification: str
    location: Location = NOWHERE


@dataclass(frozen=True)
class Confirmation:
    status: str  # confirmed | differs | not-deployed | live-only | refuted
    live_id: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Finding:
    rule: str  # slug
    rule_id: str
    severity: str
    confidence: str
    status: Status
    message: str
    source: str
    target: str
    ports: PortSet
    location: Location
    path: tuple[Hop, ...] = ()
    service: str = ""
    unknowns: tuple[str, ...] = ()
    via: str = ""
    suppression: Suppression | None = None
    confirmation: Confirmation | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def port_strings(self) -> list[str]:
        return self.ports.to_strings()

    @property
    def fingerprint(self) -> str:
        """Stable identity: rule, source, target and ports — never line numbers."""
        key = "|".join([self.rule, self.source, self.target, ",".join(self.port_strings)])
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    @property
    def id(self) -> str:
        return f"{self.rule_id}-{self.fingerprint[:12]}"

    def sort_key(self) -> tuple[int, str, str, str, str]:
        from iacscan.engine.catalog import severity_rank

        return (-severity_rank(self.severity), self.rule, self.target, self.source, ",".join(self.port_strings))
