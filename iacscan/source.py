"""Source locations and diagnostics shared by every pipeline stage."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


@dataclass(frozen=True, order=True)
class Location:
    """A place in a scanned file.

    ``file`` is relative to the scanned root (``root``, an absolute path), so
    reports can print it as the user sees it and SARIF can rebase it on the
    repository root.  ``line`` is 1-based; 0 means "the file as a whole".
    """

    file: str
    line: int = 0
    end_line: int = 0
    root: str = ""
    key: str = ""  # key path inside the block, e.g. "ingress[0].cidr_blocks"

    @property
    def abspath(self) -> Path:
        return Path(self.root) / self.file if self.root else Path(self.file)

    def at(self, line: int, key: str = "") -> Location:
        return Location(self.file, line or self.line, 0, self.root, key or self.key)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


NOWHERE = Location("", 0)


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    level: Level
    message: str
    location: Location = NOWHERE
    code: str = ""  # short machine-readable kind, e.g. "hcl-syntax", "yaml-bomb"

    def to_json(self) -> dict[str, object]:
        return {
            "level": self.level.value,
            "code": self.code,
            "file": self.location.file,
            "line": self.location.line,
            "message": self.message,
        }


@dataclass
class Diagnostics:
    """A thread-safe sink every stage writes its diagnostics to."""

    items: list[Diagnostic] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, level: Level, message: str, location: Location = NOWHERE, code: str = "") -> None:
        with self._lock:
            self.items.append(Diagnostic(level, message, location, code))

    def error(self, message: str, location: Location = NOWHERE, code: str = "") -> None:
        self.add(Level.ERROR, message, location, code)

    def warning(self, message: str, location: Location = NOWHERE, code: str = "") -> None:
        self.add(Level.WARNING, message, location, code)

    def info(self, message: str, location: Location = NOWHERE, code: str = "") -> None:
        self.add(Level.INFO, message, location, code)

    def extend(self, other: Diagnostics) -> None:
        with self._lock:
            self.items.extend(other.items)

    @property
    def has_errors(self) -> bool:
        return any(d.level is Level.ERROR for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.location.file, d.location.line, d.message))
