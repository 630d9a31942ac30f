"""Compose variable interpolation and ``.env`` files.

Supported, as in the Compose specification ("Interpolation"): ``$$`` (a literal ``$``),
``$VAR``, ``${VAR}``, ``${VAR:-default}`` (unset or empty), ``${VAR-default}`` (unset),
``${VAR:?error}`` / ``${VAR?error}`` (mandatory), ``${VAR:+alt}`` / ``${VAR+alt}``, with
defaults that are themselves interpolated (``${A:-${B}}``).

Three-valued: a variable that is unset and has no default becomes the empty string, as
Compose does, but is reported in :attr:`Interpolated.unknowns`, so facts that depend on it
are *conditional*.  A mandatory variable that is missing becomes an error message in
:attr:`Interpolated.errors` (the caller turns it into a diagnostic and keeps scanning).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Interpolated:
    text: str
    unknowns: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Parser:
    def __init__(self, env: Mapping[str, str], out: Interpolated) -> None:
        self.env = env
        self.out = out

    def run(self, s: str, i: int = 0, stop_at_brace: bool = False) -> tuple[str, int]:
        """Interpolate ``s`` from ``i``; with ``stop_at_brace`` stop at the matching ``}``."""
        buf: list[str] = []
        while i < len(s):
            c = s[i]
            if stop_at_brace and c == "}":
                return "".join(buf), i
            if c != "$":
                buf.append(c)
                i += 1
                continue
            nxt = s[i + 1] if i + 1 < len(s) else ""
            if nxt == "$":
                buf.append("$")
                i += 2
            elif nxt == "{":
                text, i = self.braced(s, i + 2)
                buf.append(text)
            else:
                m = _NAME.match(s, i + 1)
                if m is None:
                    buf.append("$")  # a lone "$": Compose rejects it; keep it literally
                    i += 1
                    continue
                buf.append(self.lookup(m.group(0)))
                i = m.end()
        if stop_at_brace:
            raise _Unterminated
        return "".join(buf), i

    def lookup(self, name: str) -> str:
        if name in self.env:
            return self.env[name]
        if name not in self.out.unknowns:
            self.out.unknowns.append(name)
        return ""

    def braced(self, s: str, i: int) -> tuple[str, int]:
        m = _NAME.match(s, i)
        if m is None:
            raise _Invalid(f"invalid interpolation format in {s!r}")
        name = m.group(0)
        i = m.end()
        if i >= len(s):
            raise _Unterminated
        if s[i] == "}":
            return self.lookup(name), i + 1
        for op in (":-", ":?", ":+", "-", "?", "+"):
            if s.startswith(op, i):
                break
        else:
            raise _Invalid(f"invalid interpolation format for ${{{name}...}} in {s!r}")
        # The operand: interpolate it in a scratch result so that unused defaults do not
        # leave unknowns behind.
        scratch = Interpolated("")
        operand, end = _Parser(self.env, scratch).run(s, i + len(op), stop_at_brace=True)
        value = self.env.get(name)
        is_set = value is not None
        is_nonempty = bool(value)
        present = is_nonempty if op.startswith(":") else is_set
        kind = op[-1]
        if kind == "-":
            if present:
                return str(value), end + 1
            self._absorb(scratch)
            return operand, end + 1
        if kind == "?":
            if present:
                return str(value), end + 1
            self._absorb(scratch)
            why = operand or ("is not set" if not is_set else "is empty")
            self.out.errors.append(f"required variable {name} is missing a value: {why}")
            if name not in self.out.unknowns:
                self.out.unknowns.append(name)
            return "", end + 1
        # "+": the alternative when set
        if present:
            self._absorb(scratch)
            return operand, end + 1
        return "", end + 1

    def _absorb(self, scratch: Interpolated) -> None:
        for u in scratch.unknowns:
            if u not in self.out.unknowns:
                self.out.unknowns.append(u)
        self.out.errors.extend(scratch.errors)


class _Invalid(ValueError):
    pass


class _Unterminated(ValueError):
    pass


def interpolate(text: str, env: Mapping[str, str]) -> Interpolated:
    """Interpolate one string; never raises (problems land in ``errors``)."""
    if "$" not in text:
        return Interpolated(text)
    out = Interpolated("")
    try:
        out.text, _ = _Parser(env, out).run(text)
    except _Unterminated:
        out.text = text
        out.errors.append(f"invalid interpolation format: unterminated '${{' in {text!r}")
    except _Invalid as exc:
        out.text = text
        out.errors.append(str(exc))
    return out


@dataclass(frozen=True)
class DotenvEntry:
    value: str
    line: int


def parse_dotenv(text: str, env: Mapping[str, str]) -> tuple[dict[str, DotenvEntry], list[tuple[int, str]]]:
    """Parse a ``.env`` file: ``KEY=value``, ``export KEY=value``, quotes and ``#`` comments.

    Unquoted and double-quoted values are interpolated with ``env`` plus the earlier entries.
    Returns the entries and ``(line, problem)`` pairs for malformed lines.
    """
    entries: dict[str, DotenvEntry] = {}
    problems: list[tuple[int, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        lineno = i + 1
        raw = lines[i].strip()
        i += 1
        if not raw or raw.startswith("#"):
            continue
        if raw.startswith("export "):
            raw = raw[len("export ") :].lstrip()
        key, sep, rest = raw.partition("=")
        key = key.strip()
        if not sep or not _NAME.fullmatch(key):
            problems.append((lineno, f"unexpected line in .env: {lines[lineno - 1].strip()[:60]!r}"))
            continue
        rest = rest.strip()
        if rest[:1] in ("'", '"'):
            q = rest[0]
            body = rest[1:]
            # multi-line quoted values
            while q not in body.replace("\\" + q, "") and i < len(lines):
                body += "\n" + lines[i]
                i += 1
            end = _closing_quote(body, q)
            if end < 0:
                problems.append((lineno, f"unterminated quote in .env value of {key}"))
                continue
            value = body[:end]
            if q == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
                value = interpolate(value, {**env, **{k: e.value for k, e in entries.items()}}).text
        else:
            value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
            value = interpolate(value, {**env, **{k: e.value for k, e in entries.items()}}).text
        entries[key] = DotenvEntry(value, lineno)
    return entries, problems


def _closing_quote(body: str, q: str) -> int:
    j = 0
    while j < len(body):
        if body[j] == "\\" and q == '"':
            j += 2
            continue
        if body[j] == q:
            return j
        j += 1
    return -1
