"""Protocol/port sets with interval arithmetic.

A :class:`PortSet` is a subset of the finite universe
``{tcp, udp, sctp} x 0..65535  ∪  icmp x 0..255  ∪  icmpv6 x 0..255  ∪  {other protocols}``.
Because the universe is finite, complement and difference are exact, which is
what first-match NACL evaluation needs.  Ports are never compared as strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

Interval = tuple[int, int]  # inclusive

PROTOCOLS: tuple[str, ...] = ("tcp", "udp", "sctp", "icmp", "icmpv6", "other")
_MAX: dict[str, int] = {"tcp": 65535, "udp": 65535, "sctp": 65535, "icmp": 255, "icmpv6": 255, "other": 0}
_PROTO_NUMBERS: dict[str, str] = {"6": "tcp", "17": "udp", "132": "sctp", "1": "icmp", "58": "icmpv6"}


def normalise(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    if isinstance(intervals, tuple) and len(intervals) <= 1:
        return intervals if not intervals or intervals[0][0] <= intervals[0][1] else ()
    out: list[list[int]] = []
    for lo, hi in sorted(i for i in intervals if i[0] <= i[1]):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((a, b) for a, b in out)


def _intersect(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _complement(a: tuple[Interval, ...], top: int) -> tuple[Interval, ...]:
    out: list[Interval] = []
    cur = 0
    for lo, hi in a:
        if lo > cur:
            out.append((cur, lo - 1))
        cur = hi + 1
    if cur <= top:
        out.append((cur, top))
    return tuple(out)


def canonical_protocol(proto: str | int) -> str | None:
    """Map Terraform/AWS/Kubernetes protocol spellings to ours; "all" for -1."""
    p = str(proto).strip().lower()
    if p in ("-1", "all", "any", "*"):
        return "all"
    if p in _PROTO_NUMBERS:
        return _PROTO_NUMBERS[p]
    if p in ("tcp", "udp", "sctp", "icmp", "icmpv6", "other"):
        return p
    if p == "58" or p == "ipv6-icmp":
        return "icmpv6"
    if p.isdigit():
        return "other"
    return None


@dataclass(frozen=True)
class PortSet:
    """An immutable set of (protocol, port) pairs."""

    spans: tuple[tuple[str, tuple[Interval, ...]], ...] = ()

    # -- construction -----------------------------------------------------
    @staticmethod
    def of(mapping: dict[str, Iterable[Interval]]) -> PortSet:
        items = []
        for proto in PROTOCOLS:
            if proto in mapping:
                top = _MAX[proto]
                iv = normalise((max(0, lo), min(top, hi)) for lo, hi in mapping[proto])
                if iv:
                    items.append((proto, iv))
        return PortSet(tuple(items))

    @staticmethod
    def empty() -> PortSet:
        return _EMPTY

    @staticmethod
    def all() -> PortSet:
        return _ALL

    @staticmethod
    def proto(proto: str, lo: int | None = None, hi: int | None = None) -> PortSet:
        """``proto`` over ``lo..hi`` (the whole protocol when lo is None)."""
        p = canonical_protocol(proto)
        if p is None:
            raise ValueError(f"unknown protocol {proto!r}")
        if p == "all":
            return _ALL
        if lo is None:
            return PortSet.of({p: [(0, _MAX[p])]})
        return PortSet.of({p: [(lo, hi if hi is not None else lo)]})

    @staticmethod
    def tcp(lo: int, hi: int | None = None) -> PortSet:
        return PortSet.of({"tcp": [(lo, hi if hi is not None else lo)]})

    @staticmethod
    def udp(lo: int, hi: int | None = None) -> PortSet:
        return PortSet.of({"udp": [(lo, hi if hi is not None else lo)]})

    @staticmethod
    def parse(text: str) -> PortSet:
        """Parse ``tcp/80``, ``tcp/8000-8080``, ``udp/53``, ``tcp`` or ``all``."""
        t = text.strip().lower()
        if t in ("all", "*", "-1"):
            return _ALL
        proto, _, rng = t.partition("/")
        if not rng or rng in ("*", "all"):
            return PortSet.proto(proto)
        lo, _, hi = rng.partition("-")
        lo_i, hi_i = int(lo), int(hi or lo)
        if not (0 <= lo_i <= hi_i <= 65535):
            raise ValueError(f"invalid port range {rng!r}")
        return PortSet.proto(proto, lo_i, hi_i)

    # -- algebra ----------------------------------------------------------
    def _map(self) -> dict[str, tuple[Interval, ...]]:
        return dict(self.spans)

    def __or__(self, other: PortSet) -> PortSet:
        if not other.spans or self is other or self.spans == other.spans:
            return self
        if not self.spans:
            return other
        return _or(self, other)

    def __and__(self, other: PortSet) -> PortSet:
        if not self.spans or not other.spans:
            return _EMPTY
        if self is other or self.spans == other.spans or other.spans == _ALL.spans:
            return self
        if self.spans == _ALL.spans:
            return other
        return _and(self, other)

    def complement(self) -> PortSet:
        return _complement_set(self)

    def __sub__(self, other: PortSet) -> PortSet:
        if not other.spans or not self.spans:
            return self
        if self.spans == other.spans or other.spans == _ALL.spans:
            return _EMPTY
        return _and(self, _complement_set(other))

    def __bool__(self) -> bool:
        return bool(self.spans)

    def __le__(self, other: PortSet) -> bool:
        return not (self - other)

    def is_all(self) -> bool:
        return self == _ALL

    def contains(self, proto: str, port: int) -> bool:
        return any(lo <= port <= hi for lo, hi in self._map().get(proto, ()))

    def count(self, proto: str = "tcp") -> int:
        return sum(hi - lo + 1 for lo, hi in self._map().get(proto, ()))

    def intervals(self, proto: str) -> tuple[Interval, ...]:
        return self._map().get(proto, ())

    def protocols(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.spans)

    # -- rendering --------------------------------------------------------
    def to_strings(self) -> list[str]:
        """``["tcp/22", "tcp/2379-2380", "udp/53"]``, or ``["all"]``."""
        if self.is_all():
            return ["all"]
        out: list[str] = []
        for proto, ivs in self.spans:
            if proto == "other":
                out.append("other-protocols")
                continue
            if ivs == ((0, _MAX[proto]),):
                out.append(f"{proto}/all" if proto in ("icmp", "icmpv6") else f"{proto}/0-{_MAX[proto]}")
                continue
            for lo, hi in ivs:
                out.append(f"{proto}/{lo}" if lo == hi else f"{proto}/{lo}-{hi}")
        return out

    def __str__(self) -> str:
        return ",".join(self.to_strings()) or "none"

    def __iter__(self) -> Iterator[tuple[str, Interval]]:
        for proto, ivs in self.spans:
            for iv in ivs:
                yield proto, iv


@lru_cache(maxsize=16384)
def _or(a: PortSet, b: PortSet) -> PortSet:
    x, y = a._map(), b._map()
    return PortSet(tuple((p, normalise(x.get(p, ()) + y.get(p, ()))) for p in PROTOCOLS if p in x or p in y))


@lru_cache(maxsize=16384)
def _and(a: PortSet, b: PortSet) -> PortSet:
    x, y = a._map(), b._map()
    spans = []
    for p in PROTOCOLS:
        if p in x and p in y:
            iv = _intersect(x[p], y[p])
            if iv:
                spans.append((p, iv))
    return PortSet(tuple(spans))


@lru_cache(maxsize=4096)
def _complement_set(a: PortSet) -> PortSet:
    x = a._map()
    spans = []
    for p in PROTOCOLS:
        iv = _complement(x.get(p, ()), _MAX[p])
        if iv:
            spans.append((p, iv))
    return PortSet(tuple(spans))


_EMPTY = PortSet(())
_ALL = PortSet(tuple((p, ((0, _MAX[p]),)) for p in PROTOCOLS))

EPHEMERAL = PortSet.of({"tcp": [(1024, 65535)], "udp": [(1024, 65535)]})
