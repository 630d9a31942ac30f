"""Tokenizer for HCL native-syntax expressions.

Templates (quoted strings and heredocs) are lexed into one ``TEMPLATE`` token whose value is a
tuple of parts: literal text (``str``), interpolations (a tuple of tokens ending in ``EOF``), or
``DIRECTIVE`` markers for ``%{...}`` directives (which evaluation treats as unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

NUM = "NUM"
IDENT = "IDENT"
TEMPLATE = "TEMPLATE"
OP = "OP"
EOF = "EOF"
DIRECTIVE = ("%{directive}",)  # marker part inside a template

_OPS = sorted(
    [
        "...",
        "=>",
        "==",
        "!=",
        "<=",
        ">=",
        "&&",
        "||",
        "::",
        ".*",
        "[*]",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ".",
        "?",
        ":",
        "=",
        "<",
        ">",
        "+",
        "-",
        "*",
        "/",
        "%",
        "!",
        "~",
    ],
    key=len,
    reverse=True,
)
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUM_RE = re.compile(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_HEREDOC_RE = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class LexError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(f"{message} at offset {pos}")
        self.pos = pos


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    value: Any
    pos: int


def tokenize(src: str) -> tuple[Token, ...]:
    """Tokenize a whole expression."""
    tokens, pos = _lex(src, 0, closing=None)
    if pos != len(src):
        raise LexError("unexpected '}'", pos)
    return tokens


def _lex(src: str, pos: int, closing: str | None) -> tuple[tuple[Token, ...], int]:
    """Lex until end of input or, when ``closing`` is '}', the unmatched closing brace."""
    out: list[Token] = []
    depth = 0
    n = len(src)
    while True:
        pos = _skip_space(src, pos)
        if pos >= n:
            if closing is not None:
                raise LexError("unterminated interpolation", pos)
            out.append(Token(EOF, None, pos))
            return tuple(out), pos
        ch = src[pos]
        if ch == "}" and closing is not None and depth == 0:
            out.append(Token(EOF, None, pos))
            return tuple(out), pos + 1
        if ch == '"':
            parts, pos = _lex_quoted(src, pos + 1)
            out.append(Token(TEMPLATE, parts, pos))
            continue
        if ch == "<" and src.startswith("<<", pos):
            m = _HEREDOC_RE.match(src, pos)
            if m:
                start = pos
                parts, pos = _lex_heredoc(src, m)
                out.append(Token(TEMPLATE, parts, start))
                continue
        if ch.isdigit():
            m = _NUM_RE.match(src, pos)
            assert m is not None
            text = m.group(0)
            value: int | float = float(text) if (m.group(1) or m.group(2)) else int(text)
            out.append(Token(NUM, value, pos))
            pos = m.end()
            continue
        m = _IDENT_RE.match(src, pos)
        if m:
            out.append(Token(IDENT, m.group(0), pos))
            pos = m.end()
            continue
        for op in _OPS:
            if src.startswith(op, pos):
                if op == "{":
                    depth += 1
                elif op == "}":
                    depth -= 1
                out.append(Token(OP, op, pos))
                pos += len(op)
                break
        else:
            raise LexError(f"unexpected character {ch!r}", pos)


def _skip_space(src: str, pos: int) -> int:
    n = len(src)
    while pos < n:
        ch = src[pos]
        if ch in " \t\r\n":
            pos += 1
        elif ch == "#" or src.startswith("//", pos):
            end = src.find("\n", pos)
            pos = n if end < 0 else end + 1
        elif src.startswith("/*", pos):
            end = src.find("*/", pos + 2)
            if end < 0:
                raise LexError("unterminated comment", pos)
            pos = end + 2
        else:
            break
    return pos


def _lex_quoted(src: str, pos: int) -> tuple[tuple[Any, ...], int]:
    parts: list[Any] = []
    buf: list[str] = []
    n = len(src)
    while True:
        if pos >= n:
            raise LexError("unterminated string", pos)
        ch = src[pos]
        if ch == '"':
            pos += 1
            break
        if ch == "\\":
            nxt = src[pos + 1 : pos + 2]
            if nxt in _ESCAPES:
                buf.append(_ESCAPES[nxt])
                pos += 2
            elif nxt == "u" or nxt == "U":
                width = 4 if nxt == "u" else 8
                digits = src[pos + 2 : pos + 2 + width]
                try:
                    buf.append(chr(int(digits, 16)))
                except ValueError:
                    raise LexError("bad unicode escape", pos) from None
                pos += 2 + width
            else:
                raise LexError(f"bad escape \\{nxt}", pos)
            continue
        pos = _template_step(src, pos, parts, buf)
    _flush(parts, buf)
    return tuple(parts), pos


def _template_step(src: str, pos: int, parts: list[Any], buf: list[str]) -> int:
    """Consume one template element at ``pos`` (literal char, $${, %%{, ${...} or %{...})."""
    if src.startswith("$${", pos) or src.startswith("%%{", pos):
        buf.append(src[pos + 1 : pos + 3])
        return pos + 3
    if src.startswith("${", pos):
        _flush(parts, buf)
        start = pos + 2
        if src.startswith("~", start):
            start += 1
        tokens, pos = _lex(src, start, closing="}")
        if len(tokens) >= 2 and tokens[-2].kind == OP and tokens[-2].value == "~":
            tokens = tokens[:-2] + tokens[-1:]
        parts.append(tokens)
        return pos
    if src.startswith("%{", pos):
        _flush(parts, buf)
        _tokens, pos = _lex(src, pos + 2, closing="}")
        parts.append(DIRECTIVE)
        return pos
    buf.append(src[pos])
    return pos + 1


def _flush(parts: list[Any], buf: list[str]) -> None:
    if buf:
        parts.append("".join(buf))
        buf.clear()


def _lex_heredoc(src: str, m: re.Match[str]) -> tuple[tuple[Any, ...], int]:
    strip, marker = m.group(1) == "-", m.group(2)
    body_start = m.end()
    end_re = re.compile(r"^[ \t]*" + re.escape(marker) + r"[ \t]*$", re.M)
    end = end_re.search(src, body_start)
    if end is None:
        raise LexError("unterminated heredoc", m.start())
    body = src[body_start : end.start()]
    if strip:
        lines = body.split("\n")
        indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
        cut = min(indents) if indents else 0
        body = "\n".join(line[cut:] for line in lines)
    parts: list[Any] = []
    buf: list[str] = []
    pos = 0
    while pos < len(body):
        pos = _template_step(body, pos, parts, buf)
    _flush(parts, buf)
    return tuple(parts), end.end()
