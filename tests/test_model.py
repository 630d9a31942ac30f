"""Unit tests of the network math: port sets, CIDR sets, address maps."""

from __future__ import annotations

import pytest

from iacscan.model.addr import PUBLIC_V4, AddrMap, CidrSet, covers_internet, parse_cidr
from iacscan.model.ports import PortSet


def test_port_sets_are_interval_sets() -> None:
    a = PortSet.tcp(20, 25) | PortSet.tcp(26, 30) | PortSet.udp(53)
    assert a.to_strings() == ["tcp/20-30", "udp/53"]
    assert (a - PortSet.tcp(22)).to_strings() == ["tcp/20-21", "tcp/23-30", "udp/53"]
    assert (a & PortSet.tcp(0, 21)).to_strings() == ["tcp/20-21"]
    assert PortSet.tcp(22) <= a and not PortSet.tcp(31) <= a


def test_protocol_all_and_port_zero() -> None:
    assert PortSet.proto("-1").is_all() and PortSet.all().to_strings() == ["all"]
    assert PortSet.proto("tcp", 0, 0).to_strings() == ["tcp/0"]  # tcp 0-0 is port 0 only
    assert not (PortSet.proto("tcp", 0, 0) & PortSet.tcp(22))
    everything_but_ssh = PortSet.all() - PortSet.tcp(22)
    assert not everything_but_ssh.contains("tcp", 22) and everything_but_ssh.contains("udp", 22)
    assert (everything_but_ssh | PortSet.tcp(22)).is_all()


@pytest.mark.parametrize("text", ["tcp/22", "tcp/2379-2380", "udp/53", "all", "sctp/9"])
def test_port_parse_round_trip(text: str) -> None:
    assert ",".join(PortSet.parse(text).to_strings()) == text


def test_invalid_ports_are_rejected() -> None:
    with pytest.raises(ValueError):
        PortSet.parse("tcp/70000")
    with pytest.raises(ValueError):
        PortSet.parse("tcp/abc")


def test_cidr_sets_cover_the_internet_only_when_whole() -> None:
    assert covers_internet(CidrSet.of("0.0.0.0/1", "128.0.0.0/1"))
    assert covers_internet(CidrSet.of("0.0.0.0/0"))
    assert not covers_internet(CidrSet.of("10.0.0.0/8"))
    assert not covers_internet(CidrSet.of("0.0.0.0/1"))
    assert covers_internet(CidrSet.of("::/0"))  # IPv6 public space
    assert not CidrSet.of("::/0") & CidrSet.of("0.0.0.0/0")  # families are separate
    assert not PUBLIC_V4 & CidrSet.of("192.168.0.0/16")


def test_cidr_parsing_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        parse_cidr("300.0.0.0/33")
    assert str(parse_cidr("10.1.2.3/8")) == "10.0.0.0/8"  # host bits allowed, like AWS


def test_cidr_difference_and_rendering() -> None:
    s = CidrSet.of("10.0.0.0/8") - CidrSet.of("10.1.0.0/16")
    assert s.to_strings()[:2] == ["10.0.0.0/16", "10.2.0.0/15"]
    assert CidrSet.of("10.0.0.0/24").ranges() == ["10.0.0.0-10.0.0.255"]


def test_addr_map_first_match_style_assignment() -> None:
    m = AddrMap.constant(PortSet.tcp(22), CidrSet.of("0.0.0.0/0"))
    m = m | AddrMap.constant(PortSet.tcp(443), CidrSet.of("203.0.113.0/24"))
    every, some = m.ports_over(CidrSet.of("203.0.113.0/24"))
    assert every.to_strings() == ["tcp/22", "tcp/443"] and some == every
    every, some = m.ports_over(PUBLIC_V4)
    assert every.to_strings() == ["tcp/22"] and some.to_strings() == ["tcp/22", "tcp/443"]
    assert m.sources_for(PortSet.tcp(443)) == CidrSet.of("203.0.113.0/24")
