"""Root variable values and their precedence."""

from __future__ import annotations

from pathlib import Path

from tf_helpers import Loader, messages

from iacscan.ingest.terraform import Unknown

VARS = """\
variable "a" {
  default = "default"
}
variable "b" {
  default = "default"
}
variable "c" {
  default = "default"
}
variable "d" {
  default = "default"
}
variable "e" {
  default = "default"
}
variable "n" {
  type = number
}
variable "l" {
  type = list(string)
}
variable "s" {
  type = string
}
variable "unset" {}
output "all" {
  value = [var.a, var.b, var.c, var.d, var.e, var.n, var.l, var.s, var.unset]
}
"""


def test_precedence_env_tfvars_auto_varfiles(load: Loader, tmp_path: Path) -> None:
    extra1 = tmp_path / "one.tfvars"
    extra1.write_text('e = "var-file-1"\nd = "var-file-1"\n')
    extra2 = tmp_path / "two.tfvars.json"
    extra2.write_text('{"e": "var-file-2"}')
    roots, diagnostics = load(
        {
            "main.tf": VARS,
            "terraform.tfvars": 'b = "tfvars"\nc = "tfvars"\nd = "tfvars"\ne = "tfvars"\n',
            "terraform.tfvars.json": '{"c": "tfvars.json"}',
            "a.auto.tfvars": 'c = "a.auto"\nd = "a.auto"\n',
            "b.auto.tfvars.json": '{"d": "b.auto.json", "c": "b.auto.json"}',
        },
        environ={
            "TF_VAR_a": "env",
            "TF_VAR_b": "env",
            "TF_VAR_n": "42",
            "TF_VAR_l": '["x", "y"]',
            "TF_VAR_s": '["not", "parsed"]',
            "OTHER": "ignored",
        },
        var_files=[extra1, extra2],
    )
    assert roots[0].outputs["all"] == [
        "env",
        "tfvars",
        "b.auto.json",
        "var-file-1",
        "var-file-2",
        42,
        ["x", "y"],
        '["not", "parsed"]',
        Unknown("var.unset (no value)"),
    ]
    assert messages(diagnostics) == []


def test_tfvars_may_hold_any_hcl_value_but_no_references(load: Loader) -> None:
    roots, diagnostics = load(
        {
            "main.tf": 'variable "a" {}\nvariable "b" {}\noutput "o" {\n  value = [var.a, var.b]\n}\n',
            "terraform.tfvars": 'a = { x = [1, "two", cidrsubnet("10.0.0.0/16", 8, 1)] }\nb = var.a\n',
        }
    )
    assert roots[0].outputs["o"][0] == {"x": [1, "two", "10.0.1.0/24"]}
    assert isinstance(roots[0].outputs["o"][1], Unknown)
    assert messages(diagnostics) == [
        ("error", "terraform.tfvars", 2, "invalid variable value: variables may not refer to 'var'"),
    ]


def test_invalid_env_value_for_typed_variable(load: Loader) -> None:
    roots, diagnostics = load(
        {"main.tf": 'variable "n" {\n  type = number\n}\noutput "o" {\n  value = var.n\n}\n'},
        environ={"TF_VAR_n": "[unclosed"},
    )
    assert roots[0].outputs == {"o": Unknown("var.n (invalid TF_VAR_n)")}
    assert [m[0] for m in messages(diagnostics)] == ["error"]


def test_type_constraints_convert_values_and_fill_optional_attributes(load: Loader) -> None:
    roots, _ = load(
        {
            "main.tf": """\
variable "rules" {
  type = list(object({
    port        = number
    cidrs       = optional(list(string), ["10.0.0.0/8"])
    description = optional(string)
  }))
}
variable "names" {
  type    = set(string)
  default = ["b", "a", "b"]
}
variable "flags" {
  type    = map(bool)
  default = { x = "true" }
}
output "o" {
  value = [var.rules, var.names, var.flags]
}
""",
            "terraform.tfvars": (
                'rules = [{ port = "22", extra = 1 }, { port = 80, cidrs = ["0.0.0.0/0"], description = "web" }]\n'
            ),
        }
    )
    assert roots[0].outputs["o"] == [
        [
            {"port": 22, "cidrs": ["10.0.0.0/8"], "description": None},
            {"port": 80, "cidrs": ["0.0.0.0/0"], "description": "web"},
        ],
        ["a", "b"],
        {"x": True},
    ]
