"""Root discovery and module calls (local, modules.json, offline, outside, missing)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tf_helpers import Loader, by_address, messages

from iacscan.ingest.terraform import Ref, Unknown, load_terraform
from iacscan.source import Diagnostics

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "terraform" / "modules_estate"


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    target = tmp_path / "estate"
    shutil.copytree(FIXTURE, target)
    return target


def test_roots_are_directories_no_one_calls(estate: Path) -> None:
    roots = load_terraform(estate, diagnostics=Diagnostics(), environ={})
    assert [(r.name, r.path) for r in roots] == [
        ("envs/dev", estate.resolve() / "envs" / "dev"),
        ("envs/prod", estate.resolve() / "envs" / "prod"),
    ]


def test_module_count_and_nested_for_each_modules(estate: Path) -> None:
    dev = load_terraform(estate, diagnostics=Diagnostics(), environ={})[0]
    assert [(r.address, r.module, r.index) for r in dev.resources] == [
        ('module.net[0].aws_subnet.this["x"]', "module.net[0]", "x"),
        ('module.net[1].aws_subnet.this["x"]', "module.net[1]", "x"),
    ]
    assert dev.resources[1].attrs == {"cidr_block": "10.1.0.0/24"}
    assert dev.resources[1].location.file == "modules/net/main.tf"
    assert dev.resources[1].location.line == 9
    assert dev.resources[1].location.root == str(estate.resolve())
    assert dev.outputs == {"first": "10.1.0.0/24", "all": ["10.0.0.0/24", "10.1.0.0/24"]}


def test_module_outputs_registry_modules_and_unavailable_sources(estate: Path) -> None:
    diagnostics = Diagnostics()
    prod = load_terraform(estate, diagnostics=diagnostics, environ={})[1]
    res = by_address(prod)
    assert list(res) == [
        "aws_security_group_rule.r",
        'module.net.aws_subnet.this["a"]',
        'module.net.aws_subnet.this["b"]',
        "module.reg.aws_security_group.this",
    ]
    assert res["aws_security_group_rule.r"].attrs == {
        "security_group_id": Ref("module.reg.aws_security_group.this", "id"),
        "cidr_blocks": [
            Unknown("module.gone.cidr (module source not available offline)"),
            Unknown("module.outside.cidr (module source outside the scanned tree)"),
        ],
        "subnets": [Ref('module.net.aws_subnet.this["a"]', "id"), Ref('module.net.aws_subnet.this["b"]', "id")],
    }
    registry_sg = res["module.reg.aws_security_group.this"]
    assert registry_sg.location.file == "envs/prod/.terraform/modules/reg/main.tf"
    assert registry_sg.attrs["ingress"][0]["cidr_blocks"] == ["10.1.0.0/24"]
    assert prod.outputs == {"subnets": {"a": "10.1.0.0/24", "b": "10.1.1.0/24"}}
    assert messages(diagnostics) == [
        (
            "warning",
            "envs/prod/main.tf",
            18,
            "module 'gone' source 'git::https://example.com/net.git': module source not available offline",
        ),
        (
            "warning",
            "envs/prod/main.tf",
            22,
            "module 'outside' source '../../../../outside_module' is outside the scanned tree; not read",
        ),
        ("error", "envs/prod/main.tf", 26, "module 'missing' source './nope' not found"),
    ]


def test_scan_root_may_be_a_single_file(estate: Path) -> None:
    roots = load_terraform(estate / "envs" / "dev" / "main.tf", diagnostics=Diagnostics(), environ={})
    assert [r.name for r in roots] == [""]
    assert roots[0].resources == ()  # the module dir is outside the scanned tree
    assert roots[0].outputs == {
        "first": Unknown("module.net[1].first_subnet (module source outside the scanned tree)"),
        "all": [
            Unknown("module.net[0].first_subnet (module source outside the scanned tree)"),
            Unknown("module.net[1].first_subnet (module source outside the scanned tree)"),
        ],
    }


def test_module_arguments_set_variables_and_defaults_apply(load: Loader) -> None:
    roots, diagnostics = load(
        {
            "root/main.tf": """\
module "svc" {
  for_each = { api = 8080, web = 80 }
  source   = "../mod"
  port     = each.value
}
output "ports" {
  value = { for k, m in module.svc : k => m.rule }
}
""",
            "mod/main.tf": """\
variable "port" {}
variable "cidr" {
  default = "10.0.0.0/8"
}
variable "required" {}
output "rule" {
  value = "${var.cidr}:${var.port}"
}
output "req" {
  value = var.required
}
""",
        }
    )
    assert [r.name for r in roots] == ["root"]
    assert roots[0].outputs == {"ports": {"api": "10.0.0.0/8:8080", "web": "10.0.0.0/8:80"}}
    assert messages(diagnostics) == []


def test_hidden_and_terraform_dirs_are_not_roots(load: Loader) -> None:
    roots, _ = load(
        {
            "a/main.tf": 'resource "aws_vpc" "v" {}\n',
            ".hidden/main.tf": 'resource "aws_vpc" "h" {}\n',
            "a/.terraform/modules/x/main.tf": 'resource "aws_vpc" "t" {}\n',
        }
    )
    assert [(r.name, [x.address for x in r.resources]) for r in roots] == [("a", ["aws_vpc.v"])]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_is_a_diagnostic(load: Loader, tmp_path: Path) -> None:
    base = tmp_path / "tree"
    (base / "a").mkdir(parents=True)
    (base / "a" / "main.tf").write_text('resource "aws_vpc" "v" {}\n')
    os.symlink(base, base / "a" / "loop")
    roots, diagnostics = load({})
    assert [r.name for r in roots] == ["a"]
    assert ("warning", "a/loop", 0, "symlink loop skipped") in messages(diagnostics)


def test_tf_json_files_are_reported_as_unsupported(load: Loader) -> None:
    roots, diagnostics = load({"main.tf": 'resource "aws_vpc" "v" {}\n', "extra.tf.json": "{}"})
    assert [r.address for r in roots[0].resources] == ["aws_vpc.v"]
    assert messages(diagnostics) == [
        ("info", "extra.tf.json", 0, "JSON configuration syntax (.tf.json) is not supported; file skipped")
    ]


def test_module_with_unknown_count_and_for_each(load: Loader) -> None:
    roots, diagnostics = load(
        {
            "root/main.tf": """\
variable "n" {
  type = number
}
variable "keys" {
  type = set(string)
}
module "c" {
  source = "../mod"
  count  = var.n
}
module "f" {
  source   = "../mod"
  for_each = var.keys
}
output "c0" {
  value = module.c[0].id
}
output "fk" {
  value = module.f["anything"].id
}
""",
            "mod/main.tf": 'resource "aws_vpc" "v" {}\noutput "id" {\n  value = aws_vpc.v.id\n}\n',
        }
    )
    assert [r.address for r in roots[0].resources] == [
        "module.c[0].aws_vpc.v",
        'module.f["*"].aws_vpc.v',
    ]
    assert roots[0].outputs == {
        "c0": Ref("module.c[0].aws_vpc.v", "id"),
        "fk": Unknown("module.f (for_each unknown)"),
    }
    assert [(m[0], m[2]) for m in messages(diagnostics)] == [("warning", 7), ("warning", 11)]


def test_registry_module_found_in_conventional_dir_without_modules_json(load: Loader) -> None:
    roots, diagnostics = load(
        {
            "root/main.tf": 'module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n',
            "root/.terraform/modules/vpc/main.tf": 'resource "aws_vpc" "this" {\n  cidr_block = "10.9.0.0/16"\n}\n',
        }
    )
    assert [(r.address, r.attrs) for r in roots[0].resources] == [
        ("module.vpc.aws_vpc.this", {"cidr_block": "10.9.0.0/16"})
    ]
    assert messages(diagnostics) == []
