"""HCL expression tokenizer/parser."""

from __future__ import annotations

import pytest

from iacscan.ingest.terraform import ast
from iacscan.ingest.terraform.evaluator import Context, evaluate
from iacscan.ingest.terraform.parser import ParseError, parse_expression
from iacscan.ingest.terraform.values import EvalError, Value


def ev(src: str, **symbols: Value) -> Value:
    def resolve(name: str) -> Value:
        raise EvalError(f"no {name}")

    return evaluate(parse_expression(src), Context(resolve, lambda _m: None, symbols))


def test_precedence_follows_hcl() -> None:
    node = parse_expression("1 + 2 * 3 >= 4 && !true || false")
    assert isinstance(node, ast.Binary) and node.op == "||"
    assert isinstance(node.left, ast.Binary) and node.left.op == "&&"
    assert ev("1 + 2 * 3") == 7
    assert ev("(1 + 2) * 3") == 9
    assert ev("10 - 4 - 3") == 3
    assert ev("7 % 4 * 2") == 6
    assert ev("1 + 2 == 3 && 2 > 1") is True
    assert ev("!false == true") is True
    assert ev("-2 * -3") == 6
    assert ev("7 / 2") == 3.5
    assert ev("6 / 2") == 3


def test_conditional_is_lowest_and_right_associative() -> None:
    assert ev("1 > 2 ? 10 : 2 > 1 ? 20 : 30") == 20
    assert ev('true ? "a" : "b"') == "a"


def test_templates_interpolate_and_keep_type_for_single_interpolation() -> None:
    assert ev('"a${x}b${y}"', x=1, y=True) == "a1btrue"
    assert ev('"${x}"', x=[1, 2]) == [1, 2]
    assert ev('"a$${x}b"') == "a${x}b"
    assert ev('"tab\\tquote\\"nl\\n\\u00e9"') == 'tab\tquote"nl\né'
    assert ev('"${ "nested ${x}" }"', x="in") == "nested in"


def test_template_directive_is_unknown() -> None:
    value = ev('"%{ if x }yes%{ endif }"', x=True)
    assert type(value).__name__ == "Unknown"


def test_heredocs() -> None:
    assert ev("<<EOT\nhello ${x}\n  world\nEOT\n", x="you") == "hello you\n  world\n"
    assert ev("<<-EOT\n    a\n      b\n    EOT", x=1) == "a\n  b\n"


def test_collections_index_attr_and_legacy_index() -> None:
    assert ev('{ a = [1, {b = "c"}], "d e" = 2, (k) = 3 }', k="kk") == {"a": [1, {"b": "c"}], "d e": 2, "kk": 3}
    assert ev("x.a[1].b", x={"a": [0, {"b": "c"}]}) == "c"
    assert ev('x["a"].0', x={"a": [5]}) == 5
    assert ev("[1, 2, 3,]") == [1, 2, 3]
    assert ev("{a: 1, b: 2}") == {"a": 1, "b": 2}


def test_splats() -> None:
    items = [{"id": "a", "n": {"v": 1}}, {"id": "b", "n": {"v": 2}}]
    assert ev("x[*].id", x=items) == ["a", "b"]
    assert ev("x.*.id", x=items) == ["a", "b"]
    assert ev("x[*].n.v", x=items) == [1, 2]
    assert ev("x[*].id", x={"id": "single"}) == ["single"]
    assert ev("x[*]", x=None) == []


def test_for_expressions() -> None:
    assert ev("[for v in x : v * 2 if v > 1]", x=[1, 2, 3]) == [4, 6]
    assert ev("[for i, v in x : i]", x=["a", "b"]) == [0, 1]
    assert ev("{for k, v in x : v => k}", x={"a": "1", "b": "2"}) == {"1": "a", "2": "b"}
    assert ev("{for v in x : v.g => v.n...}", x=[{"g": "a", "n": 1}, {"g": "a", "n": 2}, {"g": "b", "n": 3}]) == {
        "a": [1, 2],
        "b": [3],
    }
    with pytest.raises(EvalError):
        ev("{for v in x : v => 1}", x=["a", "a"])


def test_function_call_with_expansion() -> None:
    assert ev("concat(x...)", x=[[1], [2, 3]]) == [1, 2, 3]
    assert ev("max(x...)", x=[3, 9, 2]) == 9
    assert ev('format("%s-%03d", "a", 7)') == "a-007"


def test_comments_and_newlines_inside_expressions() -> None:
    assert ev("[\n  1, # one\n  2, // two\n  /* three */ 3\n]") == [1, 2, 3]


@pytest.mark.parametrize("src", ["1 +", "[1, 2", '"unterminated', "a.", "{ a = }", "f(", "1 ? 2", "$"])
def test_parse_errors(src: str) -> None:
    with pytest.raises(ParseError):
        parse_expression(src)


def test_ast_is_cached_per_string() -> None:
    assert parse_expression("var.a + 1") is parse_expression("var.a + 1")
