"""YAML safety, interpolation, port syntax, merging and project naming."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from iacscan.compose.interpolate import interpolate, parse_dotenv
from iacscan.compose.load import merge, normalise_name
from iacscan.compose.spec import parse_short_port
from iacscan.compose.yamlsafe import YamlError, load_yaml
from iacscan.source import Location

from .helpers import FIXTURES, run

LOC = Location("compose.yaml", 0, root="/x")


def test_yaml_keeps_lines_and_uses_yaml_1_2_scalars() -> None:
    doc = load_yaml("services:\n  web:\n    ports:\n      - 22:22\n    tty: yes\n    privileged: true\n", LOC)
    assert doc is not None
    web = doc.map()["services"].map()["web"]
    assert web.line == 2
    port = web.map()["ports"].list()[0]
    assert (port.value, port.line) == ("22:22", 4)  # not sexagesimal 1342
    assert web.map()["tty"].value == "yes"
    assert web.map()["privileged"].value is True


def test_yaml_merge_keys_and_reset_tag() -> None:
    doc = load_yaml("x-base: &b {image: a, pid: host}\nsvc:\n  <<: *b\n  image: c\n  ports: !reset []\n", LOC)
    assert doc is not None
    svc = doc.map()["svc"]
    assert svc.plain() == {"image": "c", "ports": [], "pid": "host"}
    assert svc.map()["ports"].tag == "!reset"


def test_yaml_bomb_is_fast_error() -> None:
    text = (FIXTURES / "bad" / "bomb" / "compose.yaml").read_text()
    start = time.monotonic()
    with pytest.raises(YamlError) as exc:
        load_yaml(text, LOC)
    assert exc.value.code == "yaml-bomb"
    assert time.monotonic() - start < 2


def test_yaml_recursive_alias_is_error() -> None:
    with pytest.raises(YamlError):
        load_yaml("a: &a [*a]\n", LOC)


@pytest.mark.parametrize(
    ("text", "env", "expected", "unknowns", "errors"),
    [
        ("${A}", {"A": "1"}, "1", [], 0),
        ("$A-x", {"A": "1"}, "1-x", [], 0),
        ("${A:-d}", {"A": ""}, "d", [], 0),
        ("${A-d}", {"A": ""}, "", [], 0),
        ("${A-d}", {}, "d", [], 0),
        ("${A:-${B:-z}}", {}, "z", [], 0),
        ("${A:?need A}", {}, "", ["A"], 1),
        ("${A?need A}", {"A": ""}, "", [], 0),
        ("${A:+yes}", {"A": "1"}, "yes", [], 0),
        ("${A+yes}", {}, "", [], 0),
        ("$$HOME", {"HOME": "/root"}, "$HOME", [], 0),
        ("${MISSING}:80", {}, ":80", ["MISSING"], 0),
        ("${A", {}, "${A", [], 1),
    ],
)
def test_interpolation(text: str, env: dict[str, str], expected: str, unknowns: list[str], errors: int) -> None:
    res = interpolate(text, env)
    assert (res.text, res.unknowns, len(res.errors)) == (expected, unknowns, errors)


def test_dotenv() -> None:
    entries, problems = parse_dotenv("A=1\nexport B=\"x ${A}\"\nC='${A}'\nD=v # comment\nbad line\n", {})
    assert {k: e.value for k, e in entries.items()} == {"A": "1", "B": "x 1", "C": "${A}", "D": "v"}
    assert [line for line, _ in problems] == [5]


@pytest.mark.parametrize(
    ("text", "ip", "host", "container", "proto"),
    [
        ("80", "", None, (80, 80), "tcp"),
        ("8080:80", "", (8080, 8080), (80, 80), "tcp"),
        ("127.0.0.1:8080:80", "127.0.0.1", (8080, 8080), (80, 80), "tcp"),
        ("[::1]:8080:80", "::1", (8080, 8080), (80, 80), "tcp"),
        ("::1:8080:80", "::1", (8080, 8080), (80, 80), "tcp"),
        ("9000-9005:9000-9005", "", (9000, 9005), (9000, 9005), "tcp"),
        ("53:53/udp", "", (53, 53), (53, 53), "udp"),
        ("127.0.0.1::5000", "127.0.0.1", None, (5000, 5000), "tcp"),
    ],
)
def test_short_ports(text: str, ip: str, host: tuple[int, int] | None, container: tuple[int, int], proto: str) -> None:
    b = parse_short_port(text, LOC)
    assert (b.host_ip, b.host_ports, b.container_ports, b.protocol) == (ip, host, container, proto)


@pytest.mark.parametrize("text", ["99999:80", "80:abc", "1-3:1-2", "80/icmp"])
def test_bad_short_ports(text: str) -> None:
    with pytest.raises(ValueError):
        parse_short_port(text, LOC)


def test_merge_rules() -> None:
    base = load_yaml("services:\n  a:\n    image: x\n    ports: ['80:80']\n    command: [a, b]\n", LOC)
    over = load_yaml("services:\n  a:\n    image: y\n    ports: ['81:81', '80:80']\n    command: [c]\n", LOC)
    assert base is not None and over is not None
    merged = merge(base, over, ())
    assert merged.plain() == {"services": {"a": {"image": "y", "ports": ["80:80", "81:81"], "command": ["c"]}}}


def test_project_name_normalised() -> None:
    assert normalise_name("My App.v2") == "myappv2"
    assert normalise_name("_-Foo_Bar") == "foo_bar"
    result = run(FIXTURES / "project name")
    assert sorted(result.model.endpoints) == ["myappv2/svc"]


def test_override_choice_warns_nothing_and_uses_first_override() -> None:
    result = run(FIXTURES / "override")
    db = [r for r in result.model.reaches if r.target == "override/db"]
    assert [(r.source, r.ports.to_strings(), r.via) for r in db] == [
        ("lan", ["tcp/5432"], "docker-host port 0.0.0.0:5432/tcp")
    ]
    assert not [r for r in result.model.reaches if r.target == "override/cache"]


def test_several_main_files_warn(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: x\n")
    (tmp_path / "docker-compose.yml").write_text("services:\n  b:\n    image: x\n")
    result = run(tmp_path)
    assert sorted(result.model.endpoints) == [f"{normalise_name(tmp_path.name)}/a"]
    assert [d.code for d in result.diagnostics.items] == ["compose-multiple-files"]


def test_environment_wins_over_dotenv() -> None:
    root = FIXTURES / "interpolation"
    result = run(root, {"BIND": "127.0.0.1", "WEB_BIND": "127.0.0.1"})
    assert not [f for f in result.findings if f.target == "interp/db" and f.rule == "classic-service-exposed"]
    result = run(root, {"PROJECT": "renamed"})
    assert "renamed/db" in result.model.endpoints


def test_unset_variable_makes_finding_conditional() -> None:
    result = run(FIXTURES / "interpolation", {"WEB_BIND": "127.0.0.1"})
    (f,) = [f for f in result.findings if f.target == "interp/maybe" and f.rule == "classic-service-exposed"]
    assert f.status.value == "conditional"
    assert f.unknowns == ("${MONGO_BIND}",)


def test_bad_input_diagnostics_have_file_and_line() -> None:
    result = run(FIXTURES / "bad")
    got = sorted((d.level.value, d.code, d.location.file, d.location.line) for d in result.diagnostics.items)
    assert got == [
        ("error", "compose-interpolation", "required/compose.yaml", 8),
        ("error", "compose-port", "unknown/compose.yaml", 14),
        ("error", "compose-schema", "notmap/compose.yaml", 2),
        ("error", "yaml-bomb", "bomb/compose.yaml", 2),
        ("error", "yaml-syntax", "invalid/compose.yaml", 5),
        ("info", "compose-ports-internal", "unknown/compose.yaml", 12),
        ("warning", "compose-unknown-key", "unknown/compose.yaml", 3),
        ("warning", "compose-unknown-key", "unknown/compose.yaml", 7),
        ("warning", "compose-unknown-key", "unknown/compose.yaml", 10),
        ("warning", "compose-unknown-key", "unknown/compose.yaml", 13),
        ("warning", "compose-unknown-key", "unknown/compose.yaml", 18),
    ]
    # the scan went on: the good project and the projects with recoverable problems are in the model
    assert {"good/agent", "required/db", "unknown-keys/web"} <= set(result.model.endpoints)


def test_include_and_extends_files_are_not_projects() -> None:
    result = run(FIXTURES / "include_extends")
    assert sorted(result.model.endpoints) == ["platform-app/db", "platform-app/web", "platform-app/worker"]
    assert result.model.endpoints["platform-app/web"].images == ("example/web:2",)
