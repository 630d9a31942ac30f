"""Built-in functions."""

from __future__ import annotations

import pytest

from iacscan.ingest.terraform.evaluator import Context, evaluate
from iacscan.ingest.terraform.parser import parse_expression
from iacscan.ingest.terraform.values import EvalError, Ref, Unknown, Value

U = Unknown("var.x (no value)")


def ev(src: str, **symbols: Value) -> Value:
    reports: list[str] = []

    def resolve(name: str) -> Value:
        raise EvalError(f"no {name}")

    return evaluate(parse_expression(src), Context(resolve, reports.append, symbols))


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ('cidrsubnet("10.0.0.0/16", 8, 2)', "10.0.2.0/24"),
        ('cidrsubnet("10.1.0.0/16", 4, 15)', "10.1.240.0/20"),
        ('cidrsubnet("fd00::/56", 8, 1)', "fd00:0:0:1::/64"),
        ('cidrhost("10.0.1.0/24", 5)', "10.0.1.5"),
        ('cidrhost("10.0.1.0/24", -1)', "10.0.1.255"),
        ('cidrnetmask("172.16.0.0/12")', "255.240.0.0"),
        ('cidrsubnets("10.0.0.0/16", 8, 4, 8)', ["10.0.0.0/24", "10.0.16.0/20", "10.0.32.0/24"]),
        ("concat([1], [2, 3], [])", [1, 2, 3]),
        ("merge({a = 1, b = 2}, {b = 3}, null)", {"a": 1, "b": 3}),
        ("flatten([[1, [2]], 3])", [1, 2, 3]),
        ('toset(["b", "a", "b"])', ["a", "b"]),
        ("tolist([1])", [1]),
        ("tomap({a = 1})", {"a": 1}),
        ("tostring(5)", "5"),
        ('tonumber("5")', 5),
        ('tobool("true")', True),
        ("element([1, 2, 3], 4)", 2),
        ('lookup({a = 1}, "b", 9)', 9),
        ('lookup({a = 1}, "a")', 1),
        ('length("abc")', 3),
        ("length({a = 1, b = 2})", 2),
        ("keys({b = 1, a = 2})", ["a", "b"]),
        ("values({b = 1, a = 2})", [2, 1]),
        ('format("%s:%d %v %q %t", "h", 80, 1.5, "q", true)', 'h:80 1.5 "q" true'),
        ('formatlist("%s-%s", ["a", "b"], "x")', ["a-x", "b-x"]),
        ('join(",", ["a", "b"], ["c"])', "a,b,c"),
        ('split(",", "a,b")', ["a", "b"]),
        ('coalesce(null, "", "x")', "x"),
        ("coalescelist([], [1])", [1]),
        ("range(3)", [0, 1, 2]),
        ("range(1, 7, 3)", [1, 4]),
        ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
        ("distinct([1, 2, 1])", [1, 2]),
        ('contains(["a"], "a")', True),
        ('jsonencode({b = [1, true, null], a = "x"})', '{"a":"x","b":[1,true,null]}'),
        ('jsondecode("{\\"a\\": [1]}")', {"a": [1]}),
        ('lower("AbC")', "abc"),
        ('upper("abc")', "ABC"),
        ('replace("a-b-c", "-", "_")', "a_b_c"),
        ('replace("a1b22", "/[0-9]+/", "#")', "a#b#"),
        ('trimspace("  x ")', "x"),
        ('substr("hello", 1, 3)', "ell"),
        ("min(3, 1, 2)", 1),
        ("max(3, 1, 2)", 3),
        ("abs(-4)", 4),
        ("ceil(1.2)", 2),
        ("floor(1.8)", 1),
        ('compact(["a", "", null, "b"])', ["a", "b"]),
        ("slice([1, 2, 3, 4], 1, 3)", [2, 3]),
        ('sort(["b", "a"])', ["a", "b"]),
        ("reverse([1, 2])", [2, 1]),
        ('setunion(["a"], ["b", "a"])', ["a", "b"]),
        ('setintersection(["a", "b"], ["b", "c"])', ["b"]),
        ('setsubtract(["a", "b"], ["b"])', ["a"]),
        ("one([5])", 5),
        ("one([])", None),
        ('index(["a", "b"], "b")', 1),
        ('startswith("abc", "ab")', True),
        ('endswith("abc", "bc")', True),
        ('regex("^([a-z]+)-([0-9]+)$", "ab-12")', ["ab", "12"]),
        ('try(x.missing, "fallback")', "fallback"),
        ("can(x.missing)", False),
        ("can(x.a)", True),
    ],
)
def test_functions(src: str, expected: Value) -> None:
    assert ev(src, x={"a": 1}) == expected


def test_unknown_arguments_propagate() -> None:
    assert ev("cidrsubnet(u, 8, 1)", u=U) == U
    assert ev('join(",", ["a", u])', u=U) == U
    assert ev('format("%s", u)', u=U) == U


def test_collection_functions_keep_unknown_items() -> None:
    assert ev("length([u, 1])", u=U) == 2
    assert ev("concat([u], [1])", u=U) == [U, 1]
    assert ev('coalesce(null, u, "x")', u=U) == U
    assert ev('try(u, "x")', u=U) == U


def test_ref_in_string_function_becomes_unknown() -> None:
    ref = Ref("aws_sg.a", "id")
    assert ev('"sg-${r}"', r=ref) == Unknown("aws_sg.a.id (known after apply)")
    assert ev("[r]", r=ref) == [ref]
    assert ev("r + 1", r=ref) == Unknown("aws_sg.a.id (known after apply)")


def test_file_functions_are_never_evaluated() -> None:
    assert ev('file("/etc/passwd")') == Unknown("file() (not evaluated statically)")
    assert ev('templatefile("x.tpl", {})') == Unknown("templatefile() (not evaluated statically)")


def test_unsupported_function_reports_and_is_unknown() -> None:
    reports: list[str] = []

    def resolve(name: str) -> Value:
        raise EvalError(name)

    value = evaluate(parse_expression("nosuchfn(1)"), Context(resolve, reports.append, {}))
    assert value == Unknown("nosuchfn() (unsupported function)")
    assert reports == ["unsupported function nosuchfn()"]


@pytest.mark.parametrize(
    "src", ['cidrsubnet("10.0.0.0/24", 8, 300)', "element([], 0)", 'lookup({}, "a")', "1 / 0", 'tonumber("x")']
)
def test_bad_arguments_raise_eval_error(src: str) -> None:
    with pytest.raises(EvalError):
        ev(src)
