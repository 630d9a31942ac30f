"""Pratt parser for HCL native-syntax expressions (cached per source string)."""

from __future__ import annotations

import functools

from . import ast
from .lexer import DIRECTIVE, EOF, IDENT, NUM, OP, TEMPLATE, LexError, Token, tokenize

# Binary operator precedence (higher binds tighter), as in the HCL spec.
_BINARY = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}
_UNARY_PREC = 7


class ParseError(Exception):
    def __init__(self, message: str, pos: int = 0) -> None:
        super().__init__(message)
        self.pos = pos


@functools.lru_cache(maxsize=65536)
def parse_expression(src: str) -> ast.Node:
    """Parse one expression; raises ParseError."""
    try:
        tokens = tokenize(src)
    except LexError as exc:
        raise ParseError(str(exc), exc.pos) from None
    parser = _Parser(tokens)
    node = parser.expression()
    parser.expect_kind(EOF)
    return node


@functools.lru_cache(maxsize=65536)
def parse_template(src: str) -> ast.Node:
    """Parse the body of a template (as if it were between double quotes, no escapes)."""
    return parse_expression('"' + src.replace("\\", "\\\\").replace('"', '\\"') + '"')


class _Parser:
    def __init__(self, tokens: tuple[Token, ...]) -> None:
        self.tokens = tokens
        self.i = 0

    # -- token helpers -----------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, offset: int = 1) -> Token:
        j = min(self.i + offset, len(self.tokens) - 1)
        return self.tokens[j]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != EOF:
            self.i += 1
        return tok

    def is_op(self, value: str) -> bool:
        return self.tok.kind == OP and self.tok.value == value

    def accept(self, value: str) -> bool:
        if self.is_op(value):
            self.i += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if not self.accept(value):
            raise ParseError(f"expected {value!r}, found {self.describe()}", self.tok.pos)

    def expect_kind(self, kind: str) -> Token:
        if self.tok.kind != kind:
            raise ParseError(f"expected {kind.lower()}, found {self.describe()}", self.tok.pos)
        return self.advance()

    def describe(self) -> str:
        tok = self.tok
        return "end of expression" if tok.kind == EOF else repr(tok.value if tok.kind != TEMPLATE else '"..."')

    # -- grammar -----------------------------------------------------------------------
    def expression(self) -> ast.Node:
        cond = self.binary(0)
        if self.accept("?"):
            true = self.expression()
            self.expect(":")
            false = self.expression()
            return ast.Conditional(cond, true, false)
        return cond

    def binary(self, min_prec: int) -> ast.Node:
        left = self.unary()
        while self.tok.kind == OP and self.tok.value in _BINARY:
            prec = _BINARY[self.tok.value]
            if prec <= min_prec:
                break
            op = self.advance().value
            right = self.binary(prec)
            left = ast.Binary(op, left, right)
        return left

    def unary(self) -> ast.Node:
        if self.is_op("-") or self.is_op("!"):
            op = self.advance().value
            operand = self.unary()
            value = operand.value if isinstance(operand, ast.Literal) else None
            if op == "-" and isinstance(value, (int, float)) and not isinstance(value, bool):
                return ast.Literal(-value)
            return ast.Unary(op, operand)
        return self.postfix(self.primary())

    def postfix(self, node: ast.Node) -> ast.Node:
        while True:
            if self.is_op("."):
                self.advance()
                if self.tok.kind == IDENT:
                    node = ast.GetAttr(node, self.advance().value)
                elif self.tok.kind == NUM and isinstance(self.tok.value, int):
                    node = ast.Index(node, ast.Literal(self.advance().value))
                elif self.tok.kind == NUM:  # "a.0.1" lexes as a.<float 0.1>
                    text = repr(self.advance().value).split(".")
                    for part in text:
                        node = ast.Index(node, ast.Literal(int(part)))
                else:
                    raise ParseError(f"expected attribute name, found {self.describe()}", self.tok.pos)
            elif self.is_op(".*"):
                self.advance()
                each: ast.Node = ast.SplatItem()
                while self.is_op(".") and self.peek().kind == IDENT:
                    self.advance()
                    each = ast.GetAttr(each, self.advance().value)
                node = ast.Splat(node, each)
            elif self.is_op("[*]") or (self.is_op("[") and self.peek().kind == OP and self.peek().value == "*"):
                if self.is_op("["):
                    self.advance()
                    self.advance()
                    self.expect("]")
                else:
                    self.advance()
                each = ast.SplatItem()
                while True:
                    if self.is_op(".") and self.peek().kind == IDENT:
                        self.advance()
                        each = ast.GetAttr(each, self.advance().value)
                    elif self.is_op("[") and not (self.peek().kind == OP and self.peek().value == "*"):
                        self.advance()
                        key = self.expression()
                        self.expect("]")
                        each = ast.Index(each, key)
                    else:
                        break
                node = ast.Splat(node, each)
            elif self.is_op("["):
                self.advance()
                key = self.expression()
                self.expect("]")
                node = ast.Index(node, key)
            else:
                return node

    def primary(self) -> ast.Node:
        tok = self.tok
        if tok.kind == NUM:
            self.advance()
            return ast.Literal(tok.value)
        if tok.kind == TEMPLATE:
            self.advance()
            return self.template(tok.value)
        if tok.kind == IDENT:
            self.advance()
            if tok.value == "true":
                return ast.Literal(True)
            if tok.value == "false":
                return ast.Literal(False)
            if tok.value == "null":
                return ast.Literal(None)
            if self.is_op("("):
                return self.call(tok.value)
            if self.is_op("::"):
                raise ParseError("provider-defined functions are not supported", tok.pos)
            return ast.Var(tok.value)
        if tok.kind == OP:
            if tok.value == "(":
                self.advance()
                inner = self.expression()
                self.expect(")")
                return inner
            if tok.value == "[":
                return self.tuple_or_for()
            if tok.value == "{":
                return self.object_or_for()
        raise ParseError(f"unexpected {self.describe()}", tok.pos)

    def template(self, parts: tuple[object, ...]) -> ast.Node:
        out: list[str | ast.Node] = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif part is DIRECTIVE or part == DIRECTIVE:
                out.append(ast.Directive())
            else:
                assert isinstance(part, tuple)
                sub = _Parser(part)
                node = sub.expression()
                sub.expect_kind(EOF)
                out.append(node)
        if not out:
            return ast.Literal("")
        if len(out) == 1 and isinstance(out[0], str):
            return ast.Literal(out[0])
        return ast.Template(tuple(out))

    def call(self, name: str) -> ast.Node:
        self.expect("(")
        args: list[ast.Node] = []
        expand = False
        while not self.is_op(")"):
            args.append(self.expression())
            if self.accept("..."):
                expand = True
                self.accept(",")
                break
            if not self.accept(","):
                break
        self.expect(")")
        return ast.Call(name, tuple(args), expand)

    def _at_for(self) -> bool:
        return self.tok.kind == IDENT and self.tok.value == "for" and self.peek().kind == IDENT

    def for_intro(self) -> tuple[str | None, str, ast.Node]:
        self.advance()  # "for"
        first = self.expect_kind(IDENT).value
        key_var: str | None = None
        value_var = first
        if self.accept(","):
            key_var = first
            value_var = self.expect_kind(IDENT).value
        if not (self.tok.kind == IDENT and self.tok.value == "in"):
            raise ParseError(f"expected 'in', found {self.describe()}", self.tok.pos)
        self.advance()
        collection = self.expression()
        self.expect(":")
        return key_var, value_var, collection

    def for_cond(self) -> ast.Node | None:
        if self.tok.kind == IDENT and self.tok.value == "if":
            self.advance()
            return self.expression()
        return None

    def tuple_or_for(self) -> ast.Node:
        self.expect("[")
        if self._at_for():
            key_var, value_var, collection = self.for_intro()
            value = self.expression()
            cond = self.for_cond()
            self.expect("]")
            return ast.ForExpr(key_var, value_var, collection, None, value, cond, False)
        items: list[ast.Node] = []
        while not self.is_op("]"):
            items.append(self.expression())
            if not self.accept(","):
                break
        self.expect("]")
        return ast.TupleExpr(tuple(items))

    def object_or_for(self) -> ast.Node:
        self.expect("{")
        if self._at_for():
            key_var, value_var, collection = self.for_intro()
            key = self.expression()
            self.expect("=>")
            value = self.expression()
            grouping = self.accept("...")
            cond = self.for_cond()
            self.expect("}")
            return ast.ForExpr(key_var, value_var, collection, key, value, cond, grouping)
        items: list[tuple[ast.Node, ast.Node]] = []
        while not self.is_op("}"):
            if self.tok.kind == IDENT and self.peek().kind == OP and self.peek().value in ("=", ":"):
                item_key: ast.Node = ast.Literal(self.advance().value)
            else:
                item_key = self.expression()
            if not (self.accept("=") or self.accept(":")):
                raise ParseError(f"expected '=' in object, found {self.describe()}", self.tok.pos)
            items.append((item_key, self.expression()))
            self.accept(",")
        self.expect("}")
        return ast.ObjectExpr(tuple(items))
