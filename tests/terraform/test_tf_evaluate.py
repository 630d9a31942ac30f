"""Evaluation of a root module: locals, references, count/for_each, dynamic blocks."""

from __future__ import annotations

from tf_helpers import Loader, by_address, messages

from iacscan.ingest.terraform import Ref, Unknown

MAIN = """\
variable "office_cidr" {}
variable "ports" {
  default = [22, 443]
}
variable "nets" {
  default = { a = "10.0.0.0/8", b = "192.168.0.0/16" }
}

locals {
  total = local.base + 1
  cidrs = [for k, v in var.nets : v if k != "b"]
}

resource "aws_security_group" "web" {
  name = "web"

  dynamic "ingress" {
    for_each = var.ports
    iterator = port
    content {
      from_port   = port.value
      to_port     = port.value
      cidr_blocks = [var.office_cidr, "0.0.0.0/0"]
    }
  }

  ingress {
    from_port   = 1
    cidr_blocks = local.cidrs
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_instance" "web" {
  count                  = 2
  subnet_id              = "subnet-${count.index}"
  vpc_security_group_ids = [aws_security_group.web.id]
  tags = {
    sg_name = aws_security_group.web.name
  }
}

resource "aws_instance" "each" {
  for_each = var.nets
  cidr     = each.value
  label    = each.key
  one      = aws_instance.web[1].id
  all      = aws_instance.web[*].id
  ip       = aws_instance.web[0].private_ip
  arn      = aws_security_group.web.arn
}

data "aws_vpc" "main" {
  id = "vpc-123"
}
"""

SECOND = """\
locals {
  base = 41
}

output "facts" {
  value = {
    total     = local.total
    vpc_id    = data.aws_vpc.main.id
    vpc_cidr  = data.aws_vpc.main.cidr_block
    each_a    = aws_instance.each["a"].label
    web_count = length(aws_instance.web)
    each_keys = keys(aws_instance.each)
  }
}
"""


def test_resources_addresses_and_indexes(load: Loader) -> None:
    roots, _ = load({"main.tf": MAIN, "second.tf": SECOND})
    assert [r.name for r in roots] == [""]
    assert [(r.address, r.mode, r.type, r.name, r.module, r.index) for r in roots[0].resources] == [
        ("aws_security_group.web", "managed", "aws_security_group", "web", "", None),
        ("aws_instance.web[0]", "managed", "aws_instance", "web", "", 0),
        ("aws_instance.web[1]", "managed", "aws_instance", "web", "", 1),
        ('aws_instance.each["a"]', "managed", "aws_instance", "each", "", "a"),
        ('aws_instance.each["b"]', "managed", "aws_instance", "each", "", "b"),
        ("data.aws_vpc.main", "data", "aws_vpc", "main", "", None),
    ]


def test_dynamic_blocks_expand_in_source_order_with_lines(load: Loader) -> None:
    roots, _ = load({"main.tf": MAIN, "second.tf": SECOND})
    sg = by_address(roots[0])["aws_security_group.web"]
    unknown_office = Unknown("var.office_cidr (no value)")
    assert sg.attrs == {
        "name": "web",
        "ingress": [
            {"from_port": 22, "to_port": 22, "cidr_blocks": [unknown_office, "0.0.0.0/0"]},
            {"from_port": 443, "to_port": 443, "cidr_blocks": [unknown_office, "0.0.0.0/0"]},
            {"from_port": 1, "cidr_blocks": ["10.0.0.0/8"]},
        ],
    }
    assert sg.location.file == "main.tf"
    assert (sg.location.line, sg.location.end_line) == (14, 35)
    assert sg.attr_lines["name"] == 15
    assert sg.attr_lines["ingress[0]"] == 20
    assert sg.attr_lines["ingress[1].cidr_blocks"] == 23
    assert sg.attr_lines["ingress[2]"] == 27
    assert sg.attr_lines["ingress[2].cidr_blocks"] == 29


def test_count_index_and_refs(load: Loader) -> None:
    roots, _ = load({"main.tf": MAIN, "second.tf": SECOND})
    res = by_address(roots[0])
    assert res["aws_instance.web[1]"].attrs == {
        "subnet_id": "subnet-1",
        "vpc_security_group_ids": [Ref("aws_security_group.web", "id")],
        "tags": {"sg_name": "web"},  # configured attribute of another resource is its value
    }


def test_for_each_each_key_value_and_references(load: Loader) -> None:
    roots, _ = load({"main.tf": MAIN, "second.tf": SECOND})
    each_b = by_address(roots[0])['aws_instance.each["b"]']
    assert each_b.attrs == {
        "cidr": "192.168.0.0/16",
        "label": "b",
        "one": Ref("aws_instance.web[1]", "id"),
        "all": [Ref("aws_instance.web[0]", "id"), Ref("aws_instance.web[1]", "id")],
        "ip": Unknown("aws_instance.web[0].private_ip (known after apply)"),
        "arn": Ref("aws_security_group.web", "arn"),
    }


def test_locals_across_files_data_sources_and_outputs(load: Loader) -> None:
    roots, diagnostics = load({"main.tf": MAIN, "second.tf": SECOND})
    assert roots[0].outputs == {
        "facts": {
            "total": 42,
            "vpc_id": "vpc-123",
            "vpc_cidr": Unknown("data.aws_vpc.main.cidr_block"),
            "each_a": "a",
            "web_count": 2,
            "each_keys": ["a", "b"],
        }
    }
    assert messages(diagnostics) == []


def test_unindexed_reference_to_counted_and_for_each_resources(load: Loader) -> None:
    roots, _ = load(
        {
            "main.tf": """\
resource "aws_subnet" "c" {
  count      = 2
  cidr_block = cidrsubnet("10.0.0.0/16", 8, count.index)
}
resource "aws_subnet" "m" {
  for_each   = { x = 1, y = 2 }
  cidr_block = cidrsubnet("10.1.0.0/16", 8, each.value)
}
output "c" {
  value = [for s in aws_subnet.c : s.cidr_block]
}
output "m" {
  value = { for k, s in aws_subnet.m : k => s.id }
}
output "whole" {
  value = aws_subnet.c[0]
}
"""
        }
    )
    assert roots[0].outputs == {
        "c": ["10.0.0.0/24", "10.0.1.0/24"],
        "m": {"x": Ref('aws_subnet.m["x"]', "id"), "y": Ref('aws_subnet.m["y"]', "id")},
        "whole": {
            "cidr_block": "10.0.0.0/24",
            "id": Ref("aws_subnet.c[0]", "id"),
            "arn": Ref("aws_subnet.c[0]", "arn"),
        },
    }


def test_for_each_over_set_and_for_expression_over_objects(load: Loader) -> None:
    roots, _ = load(
        {
            "main.tf": """\
variable "rules" {
  default = [{ name = "ssh", port = 22 }, { name = "web", port = 80 }]
}
resource "aws_security_group_rule" "r" {
  for_each  = { for r in var.rules : r.name => r }
  from_port = each.value.port
}
resource "aws_eip" "e" {
  for_each = toset(["b", "a"])
  tag      = each.key
}
"""
        }
    )
    res = by_address(roots[0])
    assert list(res) == [
        'aws_security_group_rule.r["ssh"]',
        'aws_security_group_rule.r["web"]',
        'aws_eip.e["a"]',
        'aws_eip.e["b"]',
    ]
    assert res['aws_security_group_rule.r["web"]'].attrs == {"from_port": 80}
    assert res['aws_eip.e["a"]'].index == "a"


def test_unknown_count_and_for_each(load: Loader) -> None:
    roots, diagnostics = load(
        {
            "main.tf": """\
variable "n" {
  type = number
}
variable "names" {
  type = set(string)
}
resource "aws_instance" "c" {
  count = var.n
  name  = "i-${count.index}"
}
resource "aws_instance" "f" {
  for_each = var.names
  name     = each.key
}
output "ref" {
  value = aws_instance.c[0].id
}
"""
        }
    )
    res = by_address(roots[0])
    assert list(res) == ["aws_instance.c[0]", 'aws_instance.f["*"]']
    assert res["aws_instance.c[0]"].attrs == {"name": "i-0"}
    assert res['aws_instance.f["*"]'].index == "*"
    assert res['aws_instance.f["*"]'].attrs == {"name": Unknown("each.key of aws_instance.f (var.names (no value))")}
    assert roots[0].outputs == {"ref": Ref("aws_instance.c[0]", "id")}
    assert messages(diagnostics) == [
        ("warning", "main.tf", 7, "count of aws_instance.c is unknown (var.n (no value)); assuming one instance"),
        (
            "warning",
            "main.tf",
            11,
            "for_each of aws_instance.f is unknown (var.names (no value)); assuming one instance",
        ),
    ]


def test_count_zero_and_conditional_count(load: Loader) -> None:
    roots, _ = load(
        {
            "main.tf": """\
variable "enabled" {
  default = false
}
resource "aws_lb" "a" {
  count = var.enabled ? 1 : 0
}
resource "aws_lb" "b" {
  count = var.enabled ? 0 : 1
}
"""
        }
    )
    assert [r.address for r in roots[0].resources] == ["aws_lb.b[0]"]


def test_nested_dynamic_blocks_and_unknown_dynamic_for_each(load: Loader) -> None:
    roots, diagnostics = load(
        {
            "main.tf": """\
variable "unknown_list" {}
resource "aws_lb_listener" "l" {
  dynamic "default_action" {
    for_each = { fwd = ["tg1", "tg2"] }
    content {
      type = default_action.key
      dynamic "forward" {
        for_each = default_action.value
        content {
          arn = forward.value
          idx = forward.key
        }
      }
    }
  }
  dynamic "rule" {
    for_each = var.unknown_list
    content {
      port = rule.value
    }
  }
}
"""
        }
    )
    listener = roots[0].resources[0]
    assert listener.attrs == {
        "default_action": [
            {"type": "fwd", "forward": [{"arn": "tg1", "idx": 0}, {"arn": "tg2", "idx": 1}]},
        ],
        "rule": [{"port": Unknown("var.unknown_list (no value)")}],
    }
    assert listener.attr_lines["default_action[0].forward[1].arn"] == 10
    assert messages(diagnostics) == [
        (
            "warning",
            "main.tf",
            16,
            "dynamic 'rule' for_each is unknown (var.unknown_list (no value)); assuming one block",
        )
    ]


def test_cycles_are_diagnosed_with_location(load: Loader) -> None:
    roots, diagnostics = load(
        {
            "main.tf": """\
locals {
  a = local.b
  b = local.a
}
resource "aws_instance" "x" {
  name = aws_instance.y.name
}
resource "aws_instance" "y" {
  name = aws_instance.x.name
}
output "a" {
  value = local.a
}
"""
        }
    )
    assert roots[0].outputs == {"a": Unknown("local.a (reference cycle)")}
    assert by_address(roots[0])["aws_instance.x"].attrs == {"name": Unknown("aws_instance.x.name (reference cycle)")}
    assert [m for m in messages(diagnostics) if m[0] == "error"] == [
        ("error", "main.tf", 2, "reference cycle through local.a"),
        ("error", "main.tf", 5, "reference cycle through aws_instance.x.name"),
    ]


def test_data_external_is_never_executed(load: Loader) -> None:
    roots, _ = load(
        {
            "main.tf": """\
data "external" "x" {
  program = ["sh", "-c", "touch /tmp/iacscan-pwned"]
}
resource "aws_instance" "i" {
  ami = data.external.x.result.ami
}
"""
        }
    )
    assert by_address(roots[0])["aws_instance.i"].attrs == {"ami": Unknown("data.external.x.result")}


def test_evaluation_errors_become_unknown_with_diagnostic(load: Loader) -> None:
    roots, diagnostics = load(
        {
            "main.tf": """\
resource "aws_instance" "i" {
  a = var.undeclared
  b = [1, 2][5]
  c = nosuch(1)
  d = provider::aws::arn_parse("x")
  e = "fine"
}
"""
        }
    )
    res = roots[0].resources
    assert len(res) == 1
    assert res[0].attrs["e"] == "fine"
    for key in "abcd":
        assert isinstance(res[0].attrs[key], Unknown), key
    assert res[0].attrs["a"] == Unknown("aws_instance.i.a (undeclared input variable 'undeclared')")
    assert messages(diagnostics) == [
        ("warning", "main.tf", 2, "cannot evaluate 'a': undeclared input variable 'undeclared'"),
        ("warning", "main.tf", 3, "cannot evaluate 'b': index 5 out of range for list of 2"),
        ("warning", "main.tf", 4, "unsupported function nosuch()"),
        ("warning", "main.tf", 5, "cannot parse expression for 'd': provider-defined functions are not supported"),
    ]


def test_variable_defaults_and_typed_conversion(load: Loader) -> None:
    roots, _ = load(
        {
            "main.tf": """\
variable "port" {
  type    = number
  default = "8080"
}
output "p" {
  value = var.port + 1
}
"""
        }
    )
    assert roots[0].outputs == {"p": 8081}
