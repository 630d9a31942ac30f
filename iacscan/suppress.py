"""Suppressions: inline comments, Kubernetes annotations, compose ``x-iacscan-ignore``, config ``ignore:``.

A post-processing step of :func:`iacscan.pipeline.scan`.  Findings that a suppression matches keep
their place in the result with a :class:`~iacscan.engine.finding.Suppression` attached (reporters
show them as suppressed, SARIF carries them as ``suppressions``); suppressions that match nothing
become ``unused-suppression`` findings of their own.

Inline forms (read from the scanned files' text, so every layer gets them for free):

* ``# iacscan:ignore[SLUG-or-ID, ...] reason`` (also ``//`` and ``/* */`` in HCL) on the finding's
  line, in the comment lines directly above it, or above (or on) any block that encloses it;
* Kubernetes ``metadata.annotations: {iacscan.io/ignore: "SLUG: reason"}`` (one entry per line)
  — applies to the whole object (YAML document);
* compose ``x-iacscan-ignore`` on a service (that service) or at the top level (the whole
  project): a string ``"SLUG: reason"``, a list of them, or a mapping ``SLUG: reason``;
* ``Model.inline_ignores`` filled by a layer: applies to the block (HCL) or document (YAML)
  around its location.

A finding is also matched at the location of its target endpoint, so a comment on the instance
or workload silences what reaches it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fnmatch
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from iacscan.config import IgnoreEntry, entry_lines
from iacscan.engine.catalog import Catalog, Rule
from iacscan.engine.finding import Finding, Suppression
from iacscan.model.core import Status
from iacscan.model.ports import PortSet
from iacscan.source import Diagnostics, Location

if TYPE_CHECKING:
    from iacscan.pipeline import ScanResult

UNUSED_SLUG = "unused-suppression"
ANNOTATION = "iacscan.io/ignore"
COMPOSE_KEY = "x-iacscan-ignore"
HCL_SUFFIXES = (".tf", ".hcl", ".tfvars")
YAML_SUFFIXES = (".yml", ".yaml")
SCANNED_SUFFIXES = (*HCL_SUFFIXES, *YAML_SUFFIXES)

_MARKER = re.compile(r"(?:#|//|/\*)\s*iacscan:ignore\[([^\]]*)\]\s*(.*?)\s*(?:\*/\s*)?$")
_COMMENT_LINE = re.compile(r"^\s*(?:#|//|/\*|\*)")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_ANNOTATION_LINE = re.compile(r"^(\s*)[\"']?iacscan\.io/ignore[\"']?\s*:\s*(.*)$")
_COMPOSE_LINE = re.compile(r"^(\s*)[\"']?x-iacscan-ignore[\"']?\s*:\s*(.*)$")


def today() -> dt.date:
    """The date expiry is judged against (a function so tests can pin it)."""
    return dt.date.today()


@dataclass
class Ignore:
    """One suppression key found in a scanned file."""

    key: str  # slug, id or "*"
    reason: str
    location: Location  # where it is written
    form: str  # "comment" | "annotation" | "compose" | "layer"
    scope: tuple[int, int] | None = None  # lines it covers (annotation/compose/layer); None: comment rules
    used: int = 0

    def label(self) -> str:
        if self.form == "comment":
            return f"iacscan:ignore[{self.key}]"
        if self.form == "annotation":
            return f"{ANNOTATION} {self.key}"
        if self.form == "compose":
            return f"{COMPOSE_KEY} {self.key}"
        return f"ignore {self.key}"


def _key_matches(key: str, finding: Finding) -> bool:
    return key == "*" or key.lower() in (finding.rule.lower(), finding.rule_id.lower())


def _split_entry(text: str) -> tuple[list[str], str]:
    """``"ssh, IAC008: reason"`` -> (["ssh", "IAC008"], "reason")."""
    keys, _, reason = text.partition(":")
    return [k.strip() for k in keys.split(",") if k.strip()], reason.strip()


# -- reading one file ----------------------------------------------------------------------


@dataclass
class FileText:
    path: Path
    lines: list[str]
    kind: str  # "hcl" | "yaml" | "other"
    comments: dict[int, list[Ignore]] = field(default_factory=dict)  # line -> comment markers
    scoped: list[Ignore] = field(default_factory=list)

    @staticmethod
    def read(path: Path, location: Location) -> FileText | None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        suffix = path.suffix.lower()
        kind = "hcl" if suffix in HCL_SUFFIXES else "yaml" if suffix in YAML_SUFFIXES else "other"
        ft = FileText(path, text.splitlines(), kind)
        if "iacscan" in text:
            ft._find_markers(location)
        return ft

    def _loc(self, base: Location, line: int) -> Location:
        return Location(base.file, line, 0, base.root)

    def _find_markers(self, base: Location) -> None:
        for i, raw in enumerate(self.lines, start=1):
            m = _MARKER.search(raw)
            if m and "iacscan:ignore" in raw:
                keys = [k.strip() for k in m.group(1).split(",") if k.strip()] or ["*"]
                reason = m.group(2).lstrip(":- ").strip()
                for k in keys:
                    self.comments.setdefault(i, []).append(Ignore(k, reason, self._loc(base, i), "comment"))
            if self.kind != "yaml":
                continue
            am = _ANNOTATION_LINE.match(raw)
            if am:
                for text in self._yaml_values(i, am.group(2)):
                    keys, reason = _split_entry(text)
                    for k in keys:
                        self.scoped.append(Ignore(k, reason, self._loc(base, i), "annotation", self.document(i)))
            cm = _COMPOSE_LINE.match(raw)
            if cm:
                indent = len(cm.group(1))
                scope = (1, len(self.lines)) if indent == 0 else self.parent_block(i)
                for k, reason in self._compose_entries(i, cm.group(2)):
                    self.scoped.append(Ignore(k, reason, self._loc(base, i), "compose", scope))

    def _block_value(self, line: int, inline: str) -> Any:
        """The YAML value of the key on ``line``: its inline text or the more-indented lines below."""
        text = inline.strip()
        if text and not text.startswith(("|", ">")) and not text.startswith("#"):
            try:
                return yaml.safe_load(text)
            except yaml.YAMLError:
                return text
        indent = _indent(self.lines[line - 1])
        body = [self.lines[line - 1].strip().split(":", 1)[0] + ":" + (" " + text if text else "")]
        for raw in self.lines[line:]:
            if raw.strip() and _indent(raw) <= indent:
                break
            body.append(raw[indent:] if len(raw) > indent else raw.strip())
        try:
            data = yaml.safe_load("\n".join(body))
        except yaml.YAMLError:
            return None
        return next(iter(data.values())) if isinstance(data, dict) and data else None

    def _yaml_values(self, line: int, inline: str) -> list[str]:
        value = self._block_value(line, inline)
        if isinstance(value, str):
            return [v.strip() for v in value.splitlines() if v.strip()]
        return []

    def _compose_entries(self, line: int, inline: str) -> list[tuple[str, str]]:
        value = self._block_value(line, inline)
        items: list[tuple[str, str]] = []
        if isinstance(value, dict):
            for k, v in value.items():
                items += [(key, str(v or "").strip()) for key in str(k).split(",") if key.strip()]
        else:
            for entry in value if isinstance(value, list) else [value] if isinstance(value, str) else []:
                keys, reason = _split_entry(str(entry))
                items += [(k, reason) for k in keys]
        return [(k.strip(), r) for k, r in items]

    # -- structure -------------------------------------------------------------------------

    def document(self, line: int) -> tuple[int, int]:
        """The YAML document (between ``---`` lines) holding ``line``."""
        start, end = 1, len(self.lines)
        for i in range(line - 1, 0, -1):
            if self.lines[i - 1].startswith("---"):
                start = i + 1
                break
        for i in range(line + 1, len(self.lines) + 1):
            if self.lines[i - 1].startswith("---"):
                end = i - 1
                break
        return start, end

    def parent_block(self, line: int) -> tuple[int, int]:
        """The YAML mapping entry that contains ``line`` (its key line to its last child)."""
        parents = list(self.yaml_ancestors(line))
        start = parents[0] if parents else 1
        indent = _indent(self.lines[start - 1])
        end = start
        for i in range(start + 1, len(self.lines) + 1):
            raw = self.lines[i - 1]
            if raw.strip() and not raw.lstrip().startswith("#") and _indent(raw) <= indent:
                break
            end = i
        return start, end

    def yaml_ancestors(self, line: int) -> Iterator[int]:
        """Lines of the keys that enclose ``line``, innermost first (by indentation)."""
        if not 1 <= line <= len(self.lines):
            return
        cur = _indent(self.lines[line - 1]) if self.lines[line - 1].strip() else 10**6
        for i in range(line - 1, 0, -1):
            raw = self.lines[i - 1]
            if raw.startswith("---"):
                return
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            ind = _indent(raw)
            if ind < cur:
                yield i
                cur = ind
                if ind == 0:
                    return

    def hcl_ancestors(self, line: int) -> Iterator[int]:
        """Lines that open the blocks enclosing ``line``, innermost first (by brace depth)."""
        depth = 0
        for i in range(line - 1, 0, -1):
            code = _strip_hcl(self.lines[i - 1])
            for ch in reversed(code):
                if ch in "}]":
                    depth += 1
                elif ch in "{[":
                    depth -= 1
            if depth < 0:
                yield i
                depth = 0

    def hcl_block(self, line: int) -> tuple[int, int]:
        """The top-level HCL block around ``line``."""
        starts = list(self.hcl_ancestors(line))
        start = starts[-1] if starts else line
        depth, opened = 0, False
        for i in range(start, len(self.lines) + 1):
            for ch in _strip_hcl(self.lines[i - 1]):
                if ch in "{[":
                    depth, opened = depth + 1, True
                elif ch in "}]":
                    depth -= 1
            if opened and depth <= 0:
                return start, i
        return start, len(self.lines)

    def scope_of(self, line: int) -> tuple[int, int]:
        if self.kind == "hcl":
            return self.hcl_block(line)
        if self.kind == "yaml":
            return self.document(line)
        return line, line

    def comment_lines_above(self, line: int) -> Iterator[int]:
        for i in range(line - 1, 0, -1):
            if not _COMMENT_LINE.match(self.lines[i - 1]):
                return
            yield i

    def candidate_lines(self, line: int, end_line: int = 0) -> set[int]:
        """Lines whose ``iacscan:ignore`` comments apply to a finding located at ``line``."""
        if not 1 <= line <= len(self.lines):
            return set()
        heads = [line]
        if self.kind == "hcl":
            heads += self.hcl_ancestors(line)
        elif self.kind == "yaml":
            heads += self.yaml_ancestors(line)
        out: set[int] = set()
        for h in heads:
            out.add(h)
            out.update(self.comment_lines_above(h))
        end = end_line if end_line > line else self.own_block_end(line)
        out.update(range(line, min(end, len(self.lines)) + 1))  # anywhere in the exposing block itself
        return out

    def own_block_end(self, line: int) -> int:
        """Last line of the block that opens on ``line`` (HCL braces / YAML indentation); ``line`` if none."""
        if self.kind == "hcl":
            depth, opened = 0, False
            for i in range(line, len(self.lines) + 1):
                for ch in _strip_hcl(self.lines[i - 1]):
                    if ch in "{[":
                        depth, opened = depth + 1, True
                    elif ch in "}]":
                        depth -= 1
                if not opened or depth <= 0:
                    return i
            return line
        if self.kind == "yaml":
            indent = _indent(self.lines[line - 1])
            end = line
            for i in range(line + 1, len(self.lines) + 1):
                raw = self.lines[i - 1]
                if raw.startswith("---") or (raw.strip() and _indent(raw) <= indent):
                    break
                end = i
            return end
        return line


def _indent(raw: str) -> int:
    return len(raw) - len(raw.lstrip(" "))


def _strip_hcl(raw: str) -> str:
    code = _STRING.sub('""', raw)
    for mark in ("#", "//"):
        pos = code.find(mark)
        if pos >= 0:
            code = code[:pos]
    return code


# -- the post step ---------------------------------------------------------------------------


class _Files:
    """Scanned files by absolute path, read once."""

    def __init__(self) -> None:
        self.by_path: dict[Path, FileText | None] = {}

    def get(self, loc: Location) -> FileText | None:
        if not loc.file:
            return None
        path = loc.abspath
        if path not in self.by_path:
            self.by_path[path] = FileText.read(path, loc) if path.is_file() else None
        return self.by_path[path]


def _scanned_files(result: ScanResult) -> Iterator[Location]:
    for ctx in result.contexts:
        for p in ctx.files:
            if p.suffix.lower() in SCANNED_SUFFIXES:
                yield ctx.loc(p)


def _finding_locations(f: Finding, result: ScanResult) -> list[Location]:
    locs = [f.location]
    ep = result.model.endpoints.get(f.target)
    if ep is not None and ep.location.file and ep.location != f.location:
        locs.append(ep.location)
    return locs


def _config_path_matches(entry: IgnoreEntry, f: Finding, base: Path | None) -> bool:
    if entry.path in ("", "*", "**"):
        return True
    names = [f.location.file]
    if base is not None and f.location.root:
        with contextlib.suppress(ValueError):
            names.append(f.location.abspath.resolve().relative_to(base).as_posix())
    globs = (entry.path, entry.path.rstrip("/") + "/*")
    return any(fnmatch.fnmatchcase(n, g) for n in names for g in globs)


def collect_ignores(result: ScanResult, files: _Files) -> list[Ignore]:
    """Every inline suppression in the scanned files plus the layers' ``Model.inline_ignores``."""
    out: list[Ignore] = []
    for loc in _scanned_files(result):
        ft = files.get(loc)
        if ft is None:
            continue
        for items in ft.comments.values():
            out.extend(items)
        out.extend(ft.scoped)
    seen = {(str(i.location.abspath), i.location.line, i.key) for i in out}
    for loc, key, reason in result.model.inline_ignores:
        if (str(loc.abspath), loc.line, key) in seen:
            continue
        ft = files.get(loc)
        scope = ft.scope_of(loc.line) if ft is not None and loc.line else (0, 10**9)
        ign = Ignore(key, reason, loc, "layer", scope)
        out.append(ign)
        if ft is not None:
            ft.scoped.append(ign)
        seen.add((str(loc.abspath), loc.line, key))
    return out


def _inline_match(f: Finding, result: ScanResult, files: _Files) -> list[Ignore]:
    matched: list[Ignore] = []
    for loc in _finding_locations(f, result):
        ft = files.get(loc)
        if ft is None or not loc.line or not (ft.comments or ft.scoped):
            continue  # nothing in this file can suppress anything
        for line in sorted(ft.candidate_lines(loc.line, loc.end_line)):
            matched += [i for i in ft.comments.get(line, []) if _key_matches(i.key, f)]
        matched += [i for i in ft.scoped if i.scope and i.scope[0] <= loc.line <= i.scope[1] and _key_matches(i.key, f)]
    return matched


def apply(result: ScanResult) -> list[Finding]:
    """Attach suppressions to the findings they match and report the unused ones."""
    files = _Files()
    ignores = collect_ignores(result, files)
    diags = result.diagnostics
    when = today()
    config = result.config
    base = config.base_dir.resolve() if config.path is not None else None
    active_entries = [e for e in config.ignores if e.expires is None or e.expires >= when]
    entry_used: dict[int, int] = {}
    expired_hits: dict[int, int] = {}
    out: list[Finding] = []
    for f in result.findings:
        if f.suppression is not None or f.rule == UNUSED_SLUG:
            out.append(f)
            continue
        matched = _inline_match(f, result, files)
        for ign in matched:
            ign.used += 1
        if matched:
            first = matched[0]
            reason = first.reason or "(no reason given)"
            out.append(dataclasses.replace(f, suppression=Suppression("inSource", reason, first.location)))
            continue
        suppression: Suppression | None = None
        for idx, entry in enumerate(config.ignores):
            if not (_key_matches(entry.rule, f) and fnmatch.fnmatchcase(f.target, entry.target)):
                continue
            if not _config_path_matches(entry, f, base):
                continue
            if entry not in active_entries:
                expired_hits[idx] = expired_hits.get(idx, 0) + 1
                continue
            entry_used[idx] = entry_used.get(idx, 0) + 1
            if suppression is None:
                reason = entry.reason or "(no reason given)"
                suppression = Suppression("external", f"{reason} ({entry.location.file or 'config'})", entry.location)
        out.append(f if suppression is None else dataclasses.replace(f, suppression=suppression))

    _warn(ignores, config.ignores, expired_hits, when, diags, entry_lines(config.path, "ignore"))
    out.extend(_unused(result, ignores, entry_used, when))
    out.sort(key=lambda x: x.sort_key())
    return out


def _warn(
    ignores: list[Ignore],
    entries: Iterable[IgnoreEntry],
    expired_hits: dict[int, int],
    when: dt.date,
    diags: Diagnostics,
    config_lines: list[int],
) -> None:
    for ign in ignores:
        if not ign.reason:
            diags.warning(
                f"{ign.label()} has no reason; say why the risk is accepted", ign.location, "suppression-no-reason"
            )
    for idx, entry in enumerate(entries):
        if entry.expires is not None and entry.expires < when:
            n = expired_hits.get(idx, 0)
            line = config_lines[idx] if idx < len(config_lines) else 0
            diags.warning(
                f"ignore[{idx}] for {entry.rule} expired on {entry.expires.isoformat()} and no longer suppresses"
                + (f" ({n} finding{'s' if n != 1 else ''} reported again)" if n else ""),
                entry.location.at(line),
                "suppression-expired",
            )


def _unused(result: ScanResult, ignores: list[Ignore], entry_used: dict[int, int], when: dt.date) -> list[Finding]:
    from iacscan.pipeline import rule_enabled

    rule = result.catalog.rule(UNUSED_SLUG)
    if rule is None or not rule_enabled(result.config)(rule):
        return []
    out: list[Finding] = []
    catalog = result.catalog
    for ign in ignores:
        if ign.used:
            continue
        out.append(_unused_finding(rule, ign.label(), ign.key, ign.location, catalog))
    lines = entry_lines(result.config.path, "ignore")
    for idx, entry in enumerate(result.config.ignores):
        if entry_used.get(idx) or (entry.expires is not None and entry.expires < when):
            continue
        loc = entry.location.at(lines[idx] if idx < len(lines) else 0)
        what = f"ignore[{idx}] rule={entry.rule} path={entry.path} target={entry.target}"
        out.append(_unused_finding(rule, what, entry.rule, loc, catalog))
    return out


def _unused_finding(rule: Rule, what: str, key: str, loc: Location, catalog: Catalog) -> Finding:
    known = key == "*" or catalog.rule(key) is not None
    why = "matches no finding" if known else f"names no known rule ({key!r}; see `iacscan rules`)"
    return Finding(
        rule=rule.slug,
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        status=Status.EXPOSED,
        message=f"suppression {what} {why}; remove it",
        source=loc.file,
        target=what,
        ports=PortSet(),
        location=loc,
    )
