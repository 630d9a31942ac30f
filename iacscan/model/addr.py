"""Address sets (CIDR unions) and address-indexed port maps.

:class:`CidrSet` is a union of address intervals per IP family, built with
:mod:`ipaddress`; ``0.0.0.0/1 + 128.0.0.0/1`` equals ``0.0.0.0/0`` and
``10.0.0.0/8`` does not cover the internet.  :class:`AddrMap` maps every
address of both families to a :class:`PortSet` piecewise, which is the shape
of "what may source address X send to this endpoint" after ordered NACL
evaluation and security-group unions.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from iacscan.model.ports import Interval, PortSet, normalise

_TOP = {4: (1 << 32) - 1, 6: (1 << 128) - 1}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(text: str) -> Network:
    """Parse a CIDR strictly enough to reject ``300.0.0.0/33`` but accept host bits (like AWS)."""
    t = text.strip()
    if "/" not in t:
        t = t + ("/128" if ":" in t else "/32")
    return ipaddress.ip_network(t, strict=False)


@dataclass(frozen=True)
class CidrSet:
    v4: tuple[Interval, ...] = ()
    v6: tuple[Interval, ...] = ()

    @staticmethod
    def of(*cidrs: str | Network) -> CidrSet:
        v4: list[Interval] = []
        v6: list[Interval] = []
        for c in cidrs:
            net = parse_cidr(c) if isinstance(c, str) else c
            iv = (int(net.network_address), int(net.broadcast_address))
            (v4 if net.version == 4 else v6).append(iv)
        return CidrSet(normalise(v4), normalise(v6))

    @staticmethod
    def from_intervals(v4: Iterable[Interval] = (), v6: Iterable[Interval] = ()) -> CidrSet:
        return CidrSet(normalise(v4), normalise(v6))

    @staticmethod
    def everything() -> CidrSet:
        return ALL_ADDRESSES

    def family(self, fam: int) -> tuple[Interval, ...]:
        return self.v4 if fam == 4 else self.v6

    def __or__(self, o: CidrSet) -> CidrSet:
        return CidrSet(normalise(self.v4 + o.v4), normalise(self.v6 + o.v6))

    def __and__(self, o: CidrSet) -> CidrSet:
        from iacscan.model.ports import _intersect

        return CidrSet(_intersect(self.v4, o.v4), _intersect(self.v6, o.v6))

    def complement(self) -> CidrSet:
        from iacscan.model.ports import _complement

        return CidrSet(_complement(self.v4, _TOP[4]), _complement(self.v6, _TOP[6]))

    def __sub__(self, o: CidrSet) -> CidrSet:
        return self & o.complement()

    def __bool__(self) -> bool:
        return bool(self.v4 or self.v6)

    def __le__(self, o: CidrSet) -> bool:
        return not (self - o)

    def size(self, fam: int = 4) -> int:
        return sum(hi - lo + 1 for lo, hi in self.family(fam))

    def networks(self) -> Iterator[Network]:
        for lo, hi in self.v4:
            yield from ipaddress.summarize_address_range(ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi))
        for lo, hi in self.v6:
            yield from ipaddress.summarize_address_range(ipaddress.IPv6Address(lo), ipaddress.IPv6Address(hi))

    def to_strings(self, limit: int = 0) -> list[str]:
        nets = [str(n) for n in self.networks()]
        if limit and len(nets) > limit:
            return [*nets[:limit], f"+{len(nets) - limit}-more"]
        return nets

    def ranges(self) -> list[str]:
        """netpol-analyzer style ``a.b.c.d-e.f.g.h`` ranges."""
        out = []
        for lo, hi in self.v4:
            out.append(f"{ipaddress.IPv4Address(lo)}-{ipaddress.IPv4Address(hi)}")
        for lo, hi in self.v6:
            out.append(f"{ipaddress.IPv6Address(lo)}-{ipaddress.IPv6Address(hi)}")
        return out

    def __str__(self) -> str:
        return ",".join(self.to_strings(limit=8)) or "none"


ALL_ADDRESSES = CidrSet(((0, _TOP[4]),), ((0, _TOP[6]),))
ALL_V4 = CidrSet(((0, _TOP[4]),), ())
ALL_V6 = CidrSet((), ((0, _TOP[6]),))

# Addresses that are not on the public internet (RFC 6890 special-purpose blocks).
NON_PUBLIC = CidrSet.of(
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/3",
    "4000::/2",
    "8000::/1",  # everything outside 2000::/3 is not global unicast
)
PRIVATE = CidrSet.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
PUBLIC = ALL_ADDRESSES - NON_PUBLIC
PUBLIC_V4 = PUBLIC & ALL_V4
PUBLIC_V6 = PUBLIC & ALL_V6


def covers_internet(s: CidrSet) -> bool:
    """True when ``s`` holds the whole public IPv4 or the whole public IPv6 space."""
    return s >= PUBLIC_V4 or s >= PUBLIC_V6


@dataclass(frozen=True)
class AddrMap:
    """A total map from addresses (both families) to :class:`PortSet`, piecewise constant.

    Stored per family as sorted segment starts with one value each; segment i
    covers ``starts[i] .. starts[i+1]-1``.
    """

    v4: tuple[tuple[int, PortSet], ...] = ((0, PortSet()),)
    v6: tuple[tuple[int, PortSet], ...] = ((0, PortSet()),)

    @staticmethod
    def constant(ports: PortSet, where: CidrSet = ALL_ADDRESSES) -> AddrMap:
        return AddrMap.empty().assign(where, lambda _old: ports)

    @staticmethod
    def empty() -> AddrMap:
        return _EMPTY_MAP

    def _fam(self, fam: int) -> tuple[tuple[int, PortSet], ...]:
        return self.v4 if fam == 4 else self.v6

    @staticmethod
    def _split(segs: tuple[tuple[int, PortSet], ...], points: Iterable[int]) -> list[tuple[int, PortSet]]:
        starts = {s for s, _ in segs}
        extra = sorted(p for p in set(points) if p not in starts)
        out: list[tuple[int, PortSet]] = []
        j = 0
        for i, (s, v) in enumerate(segs):
            out.append((s, v))
            end = segs[i + 1][0] if i + 1 < len(segs) else None
            while j < len(extra) and (end is None or extra[j] < end):
                if extra[j] > s:
                    out.append((extra[j], v))
                j += 1
        return out

    @staticmethod
    def _compact(segs: list[tuple[int, PortSet]]) -> tuple[tuple[int, PortSet], ...]:
        out: list[tuple[int, PortSet]] = []
        for s, v in segs:
            if out and out[-1][1] == v:
                continue
            out.append((s, v))
        return tuple(out)

    def assign(self, where: CidrSet, fn: Callable[[PortSet], PortSet]) -> AddrMap:
        """Apply ``fn`` to the value of every address in ``where``."""
        res = []
        for fam in (4, 6):
            ivs = where.family(fam)
            segs = self._fam(fam)
            if not ivs:
                res.append(segs)
                continue
            pts = [lo for lo, _ in ivs] + [hi + 1 for _, hi in ivs if hi < _TOP[fam]]
            split = self._split(segs, pts)
            new = []
            k = 0
            for s, v in split:
                while k < len(ivs) and ivs[k][1] < s:
                    k += 1
                inside = k < len(ivs) and ivs[k][0] <= s <= ivs[k][1]
                new.append((s, fn(v) if inside else v))
            res.append(self._compact(new))
        return AddrMap(res[0], res[1])

    def combine(self, other: AddrMap, fn: Callable[[PortSet, PortSet], PortSet]) -> AddrMap:
        res = []
        for fam in (4, 6):
            a, b = self._fam(fam), other._fam(fam)
            pts = sorted({s for s, _ in a} | {s for s, _ in b})
            sa = dict(self._split(a, pts))
            sb = dict(self._split(b, pts))
            res.append(self._compact([(p, fn(sa[p], sb[p])) for p in pts]))
        return AddrMap(res[0], res[1])

    def __or__(self, o: AddrMap) -> AddrMap:
        return self.combine(o, lambda x, y: x | y)

    def __and__(self, o: AddrMap) -> AddrMap:
        return self.combine(o, lambda x, y: x & y)

    def restrict(self, ports: PortSet) -> AddrMap:
        return self.map(lambda v: v & ports)

    def map(self, fn: Callable[[PortSet], PortSet]) -> AddrMap:
        return AddrMap(self._compact([(s, fn(v)) for s, v in self.v4]), self._compact([(s, fn(v)) for s, v in self.v6]))

    def segments(self) -> Iterator[tuple[CidrSet, PortSet]]:
        for fam in (4, 6):
            segs = self._fam(fam)
            for i, (s, v) in enumerate(segs):
                end = segs[i + 1][0] - 1 if i + 1 < len(segs) else _TOP[fam]
                cs = CidrSet(((s, end),), ()) if fam == 4 else CidrSet((), ((s, end),))
                yield cs, v

    def __bool__(self) -> bool:
        return any(bool(v) for _, v in self.v4) or any(bool(v) for _, v in self.v6)

    def ports_over(self, where: CidrSet) -> tuple[PortSet, PortSet]:
        """(ports allowed from *every* address of ``where``, from *some* address of it)."""
        every: PortSet | None = None
        some = PortSet()
        for seg, v in self.segments():
            if seg & where:
                every = v if every is None else every & v
                some = some | v
        return (every or PortSet()), some

    def sources_for(self, ports: PortSet) -> CidrSet:
        """Addresses that may send at least part of ``ports``."""
        out = CidrSet()
        for seg, v in self.segments():
            if v & ports:
                out = out | seg
        return out

    def grouped(self, where: CidrSet) -> list[tuple[CidrSet, PortSet]]:
        """Group the addresses of ``where`` by their (non-empty) port sets."""
        groups: dict[PortSet, CidrSet] = {}
        for seg, v in self.segments():
            part = seg & where
            if part and v:
                groups[v] = groups.get(v, CidrSet()) | part
        return [(c, p) for p, c in groups.items()]


_EMPTY_MAP = AddrMap()
