"""Bad input never crashes; caching; parallel parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tf_helpers import Loader, by_address, messages

from iacscan.ingest.terraform import hclfile, load_terraform
from iacscan.source import Diagnostics

GOOD = 'resource "aws_vpc" "ok" {\n  cidr_block = "10.0.0.0/16"\n}\n'


def test_invalid_hcl_is_a_diagnostic_with_line_and_other_files_still_load(load: Loader) -> None:
    roots, diagnostics = load({"bad.tf": 'resource "x" "y" {\n  a = 1\n  b = = 2\n}\n', "good.tf": GOOD})
    assert [r.address for r in roots[0].resources] == ["aws_vpc.ok"]
    found = messages(diagnostics)
    assert len(found) == 1
    level, file, line, message = found[0]
    assert (level, file, line) == ("error", "bad.tf", 3)
    assert message.startswith("invalid HCL:")


def test_binary_and_non_utf8_files(load: Loader) -> None:
    roots, diagnostics = load({"bin.tf": b"\x00\x01\x02", "latin.tf": b'a = "\xe9"\n', "good.tf": GOOD})
    assert [r.address for r in roots[0].resources] == ["aws_vpc.ok"]
    assert messages(diagnostics) == [
        ("error", "bin.tf", 0, "binary file (contains NUL bytes)"),
        ("error", "latin.tf", 0, "file is not valid UTF-8 (byte 5)"),
    ]


def test_too_large_file(load: Loader, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hclfile, "MAX_FILE_BYTES", 100)
    roots, diagnostics = load({"big.tf": "# " + "x" * 200 + "\n", "good.tf": GOOD})
    assert [r.address for r in roots[0].resources] == ["aws_vpc.ok"]
    assert messages(diagnostics) == [("warning", "big.tf", 0, "file too large (203 bytes > 100)")]


def test_duplicate_declarations(load: Loader) -> None:
    _, diagnostics = load({"a.tf": "locals {\n  x = 1\n}\n", "b.tf": "locals {\n  x = 2\n}\n"})
    assert messages(diagnostics) == [("error", "b.tf", 2, "duplicate local value 'x'")]


def test_weird_blocks_do_not_crash(load: Loader) -> None:
    roots, _ = load(
        {
            "main.tf": """\
resource "only_one_label" {
}
module "nosource" {
}
dynamic "x" {
}
resource "aws_sg" "s" {
  dynamic "ingress" {
    for_each = 5
    content {}
  }
  dynamic "egress" {}
}
""",
        }
    )
    assert [r.address for r in roots[0].resources] == ["aws_sg.s"]
    assert roots[0].resources[0].attrs == {"ingress": [], "egress": []}


def test_cache_is_used_and_keyed_by_content(tmp_path: Path) -> None:
    tree = tmp_path / "t"
    tree.mkdir()
    (tree / "main.tf").write_text(GOOD)
    cache = tmp_path / "cache"
    first = load_terraform(tree, diagnostics=Diagnostics(), cache_dir=cache, environ={})
    entries = list(cache.rglob("*.json"))
    assert len(entries) == 1
    # Tamper with the cached body: a warm run must read it instead of parsing again.
    data = json.loads(entries[0].read_text())
    data["body"]["blocks"][0][1] = ["aws_vpc", "from_cache"]
    entries[0].write_text(json.dumps(data))
    second = load_terraform(tree, diagnostics=Diagnostics(), cache_dir=cache, environ={})
    assert [r.address for r in first[0].resources] == ["aws_vpc.ok"]
    assert [r.address for r in second[0].resources] == ["aws_vpc.from_cache"]
    # Changing the content changes the key.
    (tree / "main.tf").write_text(GOOD.replace("ok", "new"))
    third = load_terraform(tree, diagnostics=Diagnostics(), cache_dir=cache, environ={})
    assert [r.address for r in third[0].resources] == ["aws_vpc.new"]
    assert len(list(cache.rglob("*.json"))) == 2
    assert not list(cache.rglob(".tmp-*"))


def test_parallel_parsing_gives_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "t"
    tree.mkdir()
    for i in range(12):
        (tree / f"f{i:02}.tf").write_text(f'resource "aws_vpc" "v{i}" {{\n  cidr_block = "10.{i}.0.0/16"\n}}\n')
    (tree / "zz.tf").write_text("broken = = 1\n")
    serial_diags, parallel_diags = Diagnostics(), Diagnostics()
    serial = load_terraform(tree, diagnostics=serial_diags, environ={}, jobs=1)
    monkeypatch.setattr(hclfile, "PARALLEL_MIN_BYTES", 0)
    parallel = load_terraform(tree, diagnostics=parallel_diags, environ={}, jobs=2)
    assert [r.address for r in parallel[0].resources] == [f"aws_vpc.v{i}" for i in range(12)]
    assert serial == parallel
    assert messages(serial_diags) == messages(parallel_diags)
    assert len(messages(parallel_diags)) == 1


def test_resource_failure_does_not_stop_others(load: Loader, monkeypatch: pytest.MonkeyPatch) -> None:
    from iacscan.ingest.terraform import module

    original = module.ResourceObject.all_attrs

    def explode(self: module.ResourceObject) -> dict[str, object]:
        if self.instance.address == "aws_vpc.bad":
            raise RuntimeError("boom")
        return original(self)

    monkeypatch.setattr(module.ResourceObject, "all_attrs", explode)
    roots, diagnostics = load({"main.tf": 'resource "aws_vpc" "bad" {}\n' + GOOD})
    assert list(by_address(roots[0])) == ["aws_vpc.ok"]
    assert messages(diagnostics) == [
        ("error", "main.tf", 1, "internal error evaluating aws_vpc.bad: RuntimeError('boom')")
    ]
