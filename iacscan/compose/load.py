"""Find compose projects and load them the way ``docker compose`` does.

* A directory's project file is the first of :data:`DEFAULT_FILES` present (Compose warns and
  ignores the others), plus the first of :data:`OVERRIDE_FILES` present, merged over it.
* ``include:`` imports another file's services, networks, volumes, secrets and configs
  (a name defined twice is an error in Compose: a diagnostic here, the including file wins).
* ``extends:`` (same file or ``file:``) merges the base service under the local one.
* Every string value is interpolated (:mod:`.interpolate`) with the process environment,
  which wins over the project's ``.env`` file, before merging.
* Merging follows the Compose "Merge" rules: mappings recursively, scalars replaced,
  ``ports``/``expose``/``cap_add``… appended without duplicates, ``volumes`` unique by target,
  ``command``/``entrypoint`` replaced, and the ``!reset`` / ``!override`` tags.

Files that another project includes or extends are not loaded as projects of their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from iacscan.compose.interpolate import interpolate, parse_dotenv
from iacscan.compose.yamlsafe import YamlError, YNode, load_yaml
from iacscan.ingest import ScanContext

DEFAULT_FILES: tuple[str, ...] = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES: tuple[str, ...] = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
RESOURCES: tuple[str, ...] = ("services", "networks", "volumes", "secrets", "configs")
MAX_INCLUDE_DEPTH = 16

# Service keys whose sequences the override replaces instead of appending.
_REPLACE_LISTS = {"command", "entrypoint", "test"}
# Service keys given either as a list or a mapping; normalised to mappings before merging.
_LIST_OR_MAP = {"networks", "depends_on", "environment", "labels", "extra_hosts", "sysctls", "annotations"}


@dataclass
class RawProject:
    """One project's merged, interpolated document (``doc`` is the top-level mapping)."""

    directory: Path
    main_file: Path
    doc: YNode
    env: dict[str, str]
    files: list[Path] = field(default_factory=list)  # every file read for it
    name_from_env: str = ""


def project_name(raw: RawProject) -> str:
    """Top-level ``name:``, else ``COMPOSE_PROJECT_NAME`` from ``.env``, else the normalised directory name."""
    node = raw.doc.get("name")
    explicit = node.str() if node is not None else None
    if explicit:
        return normalise_name(explicit)
    if raw.name_from_env:
        return normalise_name(raw.name_from_env)
    return normalise_name(raw.directory.name)


def normalise_name(name: str) -> str:
    """Compose's ``NormalizeProjectName``: lower case, keep ``[a-z0-9_-]``, trim leading ``_``/``-``."""
    return "".join(re.findall(r"[a-z0-9_-]", name.lower())).lstrip("_-")


class Loader:
    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.environ: dict[str, str] = dict(ctx.options.environ)
        self.consumed: set[Path] = set()  # files included/extended by a project
        self._docs: dict[tuple[Path, tuple[tuple[str, str], ...]], YNode | None] = {}
        self._warned: set[tuple[str, str]] = set()

    # -- discovery ----------------------------------------------------------------------
    def discover(self) -> list[tuple[Path, list[Path]]]:
        by_dir: dict[Path, list[Path]] = {}
        for f in self.ctx.files:
            by_dir.setdefault(f.parent, []).append(f)
        out: list[tuple[Path, list[Path]]] = []
        for d in sorted(by_dir):
            names = {f.name: f for f in by_dir[d]}
            mains = [names[n] for n in DEFAULT_FILES if n in names]
            if not mains and len(self.ctx.files) == 1:
                only = self.ctx.files[0]
                if "compose" in only.name and only.suffix in (".yml", ".yaml"):
                    out.append((d, [only]))
                continue
            if not mains:
                continue
            if len(mains) > 1:
                self.ctx.diagnostics.warning(
                    f"several compose files ({', '.join(m.name for m in mains)}); using {mains[0].name} as Compose does",
                    self.ctx.loc(mains[1]),
                    "compose-multiple-files",
                )
            files = [mains[0]]
            overrides = [names[n] for n in OVERRIDE_FILES if n in names]
            if overrides:
                files.append(overrides[0])
            out.append((d, files))
        return out

    # -- environment --------------------------------------------------------------------
    def dotenv(self, path: Path, base: Mapping[str, str]) -> dict[str, str]:
        if not path.is_file():
            return {}
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.ctx.diagnostics.warning(f"cannot read env file: {exc}", self.ctx.loc(path), "io")
            return {}
        entries, problems = parse_dotenv(text, base)
        for line, msg in problems:
            self.ctx.diagnostics.warning(msg, self.ctx.loc(path, line), "dotenv")
        return {k: e.value for k, e in entries.items()}

    # -- files --------------------------------------------------------------------------
    def read(self, path: Path, env: Mapping[str, str]) -> YNode | None:
        """Load, check and interpolate one compose file (cached per environment)."""
        key = (path.resolve(), tuple(sorted(env.items())))
        if key in self._docs:
            return self._docs[key]
        loc = self.ctx.loc(path)
        doc: YNode | None = None
        text: str | None = None
        try:
            text = path.read_text(encoding="utf-8")
            doc = load_yaml(text, loc)
        except (OSError, UnicodeDecodeError) as exc:
            self.ctx.diagnostics.error(f"cannot read compose file: {exc}", loc, "io")
        except YamlError as exc:
            self.ctx.diagnostics.error(f"{exc}; file skipped", loc.at(exc.line), exc.code)
        if doc is not None and not doc.is_map():
            self.ctx.diagnostics.error(
                "a compose file must be a mapping; file skipped", loc.at(doc.line), "compose-schema"
            )
            doc = None
        elif doc is None and text is not None and not text.strip():
            self.ctx.diagnostics.warning("empty compose file", loc, "compose-empty")
        if doc is not None:
            self._interpolate(doc, env)
            _normalise(doc)
        self._docs[key] = doc
        return doc

    def _interpolate(self, node: YNode, env: Mapping[str, str]) -> None:
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n.value, dict):
                stack.extend(n.value.values())
            elif isinstance(n.value, list):
                stack.extend(n.value)
            elif isinstance(n.value, str) and "$" in n.value:
                res = interpolate(n.value, env)
                n.value = res.text
                n.unknowns = tuple(res.unknowns)
                for err in res.errors:
                    self.ctx.diagnostics.error(err, n.loc, "compose-interpolation")
                for u in res.unknowns:
                    if (n.loc.file, u) not in self._warned and not res.errors:
                        self._warned.add((n.loc.file, u))
                        self.ctx.diagnostics.warning(
                            f"variable {u} is not set; Compose uses a blank string (findings that depend on it "
                            "are conditional)",
                            n.loc,
                            "compose-unset-variable",
                        )

    # -- projects -----------------------------------------------------------------------
    def load_project(self, directory: Path, files: list[Path]) -> RawProject | None:
        dot = self.dotenv(directory / ".env", self.environ)
        env = {**dot, **self.environ}
        raw = RawProject(directory, files[0], YNode({}, self.ctx.loc(files[0], 1)), env, [])
        raw.name_from_env = env.get("COMPOSE_PROJECT_NAME", "") if "COMPOSE_PROJECT_NAME" in dot else ""
        merged: YNode | None = None
        for i, f in enumerate(files):
            doc = self.read(f, env)
            raw.files.append(f)
            if doc is None:
                if i == 0:
                    return None
                continue
            doc = self._apply_includes(doc, f, env, raw, (f.resolve(),))
            self._resolve_extends(doc, f, env, raw)
            merged = doc if merged is None else merge(merged, doc, ())
        if merged is None:
            return None
        raw.doc = merged
        return raw

    def _apply_includes(
        self, doc: YNode, path: Path, env: Mapping[str, str], raw: RawProject, stack: tuple[Path, ...]
    ) -> YNode:
        inc = doc.get("include")
        if inc is None:
            return doc
        if not inc.is_list():
            self.ctx.diagnostics.error("include must be a list", inc.loc, "compose-schema")
            return doc
        result = YNode({k: v for k, v in doc.map().items() if k != "include"}, doc.loc)
        for item in inc.list():
            paths: list[YNode] = []
            project_dir: Path | None = None
            env_files: list[Path] = []
            if item.is_map():
                p = item.get("path")
                paths = p.list() if p is not None and p.is_list() else ([p] if p is not None else [])
                pd = item.get("project_directory")
                if pd is not None and pd.str():
                    project_dir = (path.parent / str(pd.str())).resolve()
                ef = item.get("env_file")
                for e in ef.list() if ef is not None and ef.is_list() else [ef] if ef is not None else []:
                    if e.str():
                        env_files.append((path.parent / str(e.str())).resolve())
                unknown = set(item.map()) - {"path", "project_directory", "env_file"}
                for k in sorted(unknown):
                    self.ctx.diagnostics.warning(f"unknown include key {k!r}", item.map()[k].loc, "compose-unknown-key")
            else:
                paths = [item]
            if not paths:
                self.ctx.diagnostics.error("include entry without a path", item.loc, "compose-schema")
                continue
            targets = [(path.parent / str(p.str() or "")).resolve() for p in paths]
            if len(stack) > MAX_INCLUDE_DEPTH or any(t in stack for t in targets):
                self.ctx.diagnostics.error(
                    "include cycle or nesting too deep; entry skipped", item.loc, "compose-include"
                )
                continue
            base_dir = project_dir or targets[0].parent
            inc_env: dict[str, str] = {}
            for ef_path in env_files or [base_dir / ".env"]:
                inc_env.update(self.dotenv(ef_path, env))
            inc_env.update(env)  # the including project's environment wins
            imported: YNode | None = None
            for t, pnode in zip(targets, paths, strict=True):
                if not t.is_file():
                    self.ctx.diagnostics.error(f"included file not found: {pnode.str()}", pnode.loc, "compose-include")
                    continue
                self.consumed.add(t)
                raw.files.append(t)
                sub = self.read(t, inc_env)
                if sub is None:
                    continue
                sub = self._apply_includes(sub, t, inc_env, raw, (*stack, t))
                self._resolve_extends(sub, t, inc_env, raw)
                imported = sub if imported is None else merge(imported, sub, ())
            if imported is None:
                continue
            for res in RESOURCES:
                src = imported.get(res)
                if src is None or not src.is_map():
                    continue
                dst = result.map().setdefault(res, YNode({}, src.loc))
                if not isinstance(dst.value, dict):
                    continue
                for name, node in src.map().items():
                    if name in dst.value:
                        self.ctx.diagnostics.error(
                            f"{res}.{name} is defined both here and in the included {node.loc.file}; "
                            "Compose rejects this; the including file's definition is used",
                            dst.value[name].loc,
                            "compose-include-conflict",
                        )
                        continue
                    dst.value[name] = node
        return result

    def _resolve_extends(self, doc: YNode, path: Path, env: Mapping[str, str], raw: RawProject) -> None:
        services = doc.get("services")
        if services is None or not isinstance(services.value, dict):
            return
        done: dict[str, YNode] = {}
        for name in list(services.value):
            services.value[name] = self._extend(name, services.value, path, env, raw, done, ())

    def _extend(
        self,
        name: str,
        services: dict[str, YNode],
        path: Path,
        env: Mapping[str, str],
        raw: RawProject,
        done: dict[str, YNode],
        stack: tuple[tuple[Path, str], ...],
    ) -> YNode:
        if name in done:
            return done[name]
        svc = services[name]
        ext = svc.get("extends")
        if ext is None or not svc.is_map():
            done[name] = svc
            return svc
        service_node = ext.get("service") if ext.is_map() else ext
        base_name = service_node.str() if service_node is not None else None
        file_node = ext.get("file") if ext.is_map() else None
        local = YNode({k: v for k, v in svc.map().items() if k != "extends"}, svc.loc, svc.tag, svc.unknowns)
        if not base_name:
            self.ctx.diagnostics.error("extends needs a service name", ext.loc, "compose-extends")
            done[name] = local
            return local
        base_path = path
        base_services = services
        base_done = done
        if file_node is not None and file_node.str():
            base_path = (ext.loc.abspath.parent / str(file_node.str())).resolve()
            if not base_path.is_file():
                self.ctx.diagnostics.error(
                    f"extends file not found: {file_node.str()}", file_node.loc, "compose-extends"
                )
                done[name] = local
                return local
            self.consumed.add(base_path)
            if base_path not in raw.files:
                raw.files.append(base_path)
            other = self.read(base_path, env)
            other_services = other.get("services") if other is not None else None
            if other_services is None or not isinstance(other_services.value, dict):
                self.ctx.diagnostics.error(f"{file_node.str()} has no services", file_node.loc, "compose-extends")
                done[name] = local
                return local
            base_services = other_services.value
            base_done = {}
        key = (base_path.resolve(), base_name)
        if key in stack or (base_path == path and base_name == name):
            self.ctx.diagnostics.error(f"extends cycle through service {base_name!r}", ext.loc, "compose-extends")
            done[name] = local
            return local
        if base_name not in base_services:
            self.ctx.diagnostics.error(f"extends: service {base_name!r} not found", ext.loc, "compose-extends")
            done[name] = local
            return local
        base = self._extend(base_name, base_services, base_path, env, raw, base_done, (*stack, (path.resolve(), name)))
        result = merge(base, local, ("services", name))
        result.loc = svc.loc
        done[name] = result
        return result


# -- merging ----------------------------------------------------------------------------------


def _normalise(doc: YNode) -> None:
    """List-or-mapping service keys become mappings so override files merge them by key."""
    services = doc.get("services")
    if services is None:
        return
    for svc in services.map().values():
        for key in _LIST_OR_MAP:
            node = svc.get(key)
            if node is None or not node.is_list():
                continue
            out: dict[str, YNode] = {}
            for item in node.list():
                text = item.str()
                if text is None:
                    continue
                if key in ("environment", "labels", "sysctls", "annotations") and "=" in text:
                    k, _, v = text.partition("=")
                    out[k] = YNode(v, item.loc, unknowns=item.unknowns)
                elif key == "extra_hosts" and (":" in text or "=" in text):
                    k, _, v = text.replace("=", ":", 1).partition(":")
                    out[k] = YNode(v, item.loc, unknowns=item.unknowns)
                else:
                    out[text] = YNode(None, item.loc, unknowns=item.unknowns)
            svc.map()[key] = YNode(out, node.loc, node.tag, node.unknowns)


def _list_key(path: tuple[str, ...], item: YNode) -> str:
    """Identity of a sequence item for de-duplication (volumes: by target path)."""
    if len(path) == 3 and path[0] == "services" and path[2] == "volumes":
        if item.is_map():
            t = item.get("target")
            return f"target:{t.str() if t else ''}"
        text = item.str() or ""
        parts = text.split(":")
        return f"target:{parts[1] if len(parts) > 1 else parts[0]}"
    return repr(item.plain())


def merge(base: YNode, over: YNode, path: tuple[str, ...]) -> YNode:
    """Merge ``over`` into ``base`` (new node; inputs untouched except shared children)."""
    if over.tag == "!override":
        return YNode(over.value, over.loc, "", over.unknowns)
    if isinstance(base.value, dict) and isinstance(over.value, dict):
        out = dict(base.value)
        for k, v in over.value.items():
            if v.tag == "!reset":
                out.pop(k, None)
            elif k in out:
                out[k] = merge(out[k], v, (*path, k))
            else:
                out[k] = v
        return YNode(out, base.loc, "", base.unknowns)
    if isinstance(base.value, list) and isinstance(over.value, list):
        if path and path[-1] in _REPLACE_LISTS:
            return over
        items: dict[str, YNode] = {}
        for item in (*base.value, *over.value):
            items[_list_key(path, item)] = item
        return YNode(list(items.values()), base.loc, "", base.unknowns)
    return over
