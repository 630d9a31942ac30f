"""Lazy, memoised evaluation of module instances, resources and module calls.

Decisions for values static analysis cannot know:

* ``count`` unknown (or invalid): the resource gets a single instance ``addr[0]`` with
  ``count.index = 0``, plus a warning diagnostic.
* ``for_each`` unknown (or holding an unknown key): a single instance ``addr["*"]`` whose
  ``each.key`` and ``each.value`` are Unknown, plus a warning diagnostic.  References to
  ``addr["k"]`` on such a resource are Unknown.
* ``dynamic`` block with an unknown ``for_each``: one block whose iterator key/value are
  Unknown (so its rules show up as conditional), plus a warning diagnostic.
* A managed resource attribute that is not configured reads as ``Ref(address, attr)`` when
  it names the resource (``id``, ``arn``, ``name``, ``self_link``, ``*_id``, ``*_arn``) and
  as ``Unknown("<address>.<attr> (known after apply)")`` otherwise.  Data source attributes
  that are not configured arguments are ``Unknown("data.TYPE.NAME.attr")``.
* A reference cycle is an error diagnostic at the attribute that closes it; it evaluates to
  Unknown.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iacscan.source import Diagnostics, Location

from .config import Attr, Block, ModuleConfig
from .discovery import ModulesManifest, Tree, is_local_source, resolve_local
from .evaluator import Context, Lazy, Namespace, evaluate, materialize
from .parser import ParseError, parse_expression
from .types import convert
from .values import EvalError, Ref, Unknown, Value, as_unknown

RESOURCE_META_ATTRS = frozenset({"count", "for_each", "depends_on", "provider"})
RESOURCE_META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})
MODULE_META_ATTRS = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})
_NO_SYMBOLS: dict[str, Value] = {}


def is_identity_attr(name: str) -> bool:
    return name in ("id", "arn", "name", "self_link", "unique_id") or name.endswith(("_id", "_arn"))


def format_key(key: int | str) -> str:
    return f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key)}]"


class Reporter:
    """Deduplicating front of :class:`Diagnostics`."""

    def __init__(self, diagnostics: Diagnostics) -> None:
        self.diagnostics = diagnostics
        self._seen: set[tuple[str, str, Location, str]] = set()

    def emit(self, level: str, message: str, location: Location, code: str) -> None:
        key = (level, message, location, code)
        if key in self._seen:
            return
        self._seen.add(key)
        getattr(self.diagnostics, level)(message, location, code)


@dataclass
class Session:
    """State shared by every module instance of one root."""

    tree: Tree
    reporter: Reporter
    root_dir: Path
    manifest: ModulesManifest
    load_config: Callable[[Path], ModuleConfig | None]
    active: set[tuple[Any, ...]] = field(default_factory=set)

    def location(self, file: str, line: int = 0, end_line: int = 0, key: str = "") -> Location:
        return Location(file, line, end_line, str(self.tree.root), key)


@dataclass
class Instance:
    """One expanded instance: its address, index and the symbols (count/each) it sees."""

    address: str
    index: int | str | None
    symbols: dict[str, Value]


class ModuleInstance:
    def __init__(
        self,
        session: Session,
        path: str,
        config: ModuleConfig | None,
        inputs: dict[str, Callable[[], Value]],
        *,
        unavailable: str = "",
        manifest_key: str = "",
        module_dir: Path | None = None,
    ) -> None:
        self.session = session
        self.path = path
        self.config = config
        self.inputs = inputs
        self.unavailable = unavailable
        self.manifest_key = manifest_key
        self.module_dir = module_dir
        self.memo: dict[tuple[Any, ...], Value] = {}
        self.groups: dict[tuple[str, str, str], ResourceGroup] = {}
        self.calls: dict[str, ModuleCall] = {}
        self.types: set[str] = set()
        if config is not None:
            for block in config.resources:
                mode = "managed" if block.type == "resource" else "data"
                group = ResourceGroup(self, block, mode)
                self.groups.setdefault((mode, block.labels[0], block.labels[1]), group)
                if mode == "managed":
                    self.types.add(block.labels[0])
            for block in config.module_calls:
                self.calls.setdefault(block.labels[0], ModuleCall(self, block))
        self._var_ns = Namespace("var", self.var)
        self._local_ns = Namespace("local", self.local)
        self._module_ns = Namespace("module", self.module_value)
        self._data_ns = Namespace("data", lambda t: Namespace(f"data.{t}", lambda n: self.resource_value("data", t, n)))

    # -- helpers ---------------------------------------------------------------------------
    def prefix(self) -> str:
        return f"{self.path}." if self.path else ""

    def guarded(self, key: tuple[Any, ...], what: str, where: Location, compute: Callable[[], Value]) -> Value:
        full = (id(self), *key)
        if key in self.memo:
            return self.memo[key]
        if full in self.session.active:
            self.session.reporter.emit("error", f"reference cycle through {what}", where, "tf-cycle")
            return Unknown(f"{what} (reference cycle)")
        self.session.active.add(full)
        try:
            value = compute()
        finally:
            self.session.active.discard(full)
        self.memo[key] = value
        return value

    def context(self, attr_where: Location, symbols: dict[str, Value]) -> Context:
        reporter = self.session.reporter

        def report(message: str) -> None:
            reporter.emit("warning", message, attr_where, "tf-unsupported-function")

        return Context(self.resolve, report, symbols)

    def eval_src(self, attr: Attr, symbols: dict[str, Value], label: str = "") -> Value:
        where = self.session.location(attr.file, attr.line, key=label or attr.name)
        try:
            node = parse_expression(attr.src)
        except ParseError as exc:
            self.session.reporter.emit("warning", f"cannot parse expression for {attr.name!r}: {exc}", where, "tf-expr")
            return Unknown(f"{label or attr.name} (unparseable expression)")
        try:
            return evaluate(node, self.context(where, symbols))
        except EvalError as exc:
            self.session.reporter.emit("warning", f"cannot evaluate {attr.name!r}: {exc}", where, "tf-eval")
            return Unknown(f"{self.prefix()}{label or attr.name} ({exc})")
        except RecursionError:
            self.session.reporter.emit("error", f"expression for {attr.name!r} nests too deeply", where, "tf-eval")
            return Unknown(f"{label or attr.name} (too deeply nested)")
        except Exception as exc:  # an evaluator bug must not stop the scan
            self.session.reporter.emit(
                "error", f"internal error evaluating {attr.name!r}: {exc!r}", where, "tf-internal"
            )
            return Unknown(f"{label or attr.name} (internal error)")

    # -- symbol resolution -----------------------------------------------------------------
    def resolve(self, name: str) -> Value:
        if name == "var":
            return self._var_ns
        if name == "local":
            return self._local_ns
        if name == "module":
            return self._module_ns
        if name == "data":
            return self._data_ns
        if name == "path":
            module_rel = "."
            if self.module_dir is not None:
                try:
                    module_rel = self.module_dir.relative_to(self.session.root_dir).as_posix()
                except ValueError:
                    module_rel = self.module_dir.as_posix()
            return {"module": module_rel, "root": ".", "cwd": "."}
        if name == "terraform":
            return {"workspace": "default"}
        if name == "self":
            return Unknown("self (not evaluated)")
        if name in ("count", "each"):
            raise EvalError(f"{name} is not available here")
        if name in self.types:
            return Namespace(name, lambda n: self.resource_value("managed", name, n))
        if self.config is None:
            return Unknown(f"{name} ({self.unavailable})")
        raise EvalError(f"reference to undeclared resource type or symbol {name!r}")

    def var(self, name: str) -> Value:
        if self.config is None:
            return Unknown(f"var.{name} ({self.unavailable})")
        block = self.config.variables.get(name)
        if block is None:
            raise EvalError(f"undeclared input variable {name!r}")
        where = self.session.location(block.file, block.line, block.end_line)

        def compute() -> Value:
            if name in self.inputs:
                value = self.inputs[name]()
            else:
                default = block.attr("default")
                if default is None:
                    return Unknown(f"{self.prefix()}var.{name} (no value)")
                value = self.eval_src(default, _NO_SYMBOLS, f"var.{name}")
            return convert_type(value, block)

        return self.guarded(("var", name), f"var.{name}", where, compute)

    def local(self, name: str) -> Value:
        if self.config is None:
            return Unknown(f"local.{name} ({self.unavailable})")
        attr = self.config.locals.get(name)
        if attr is None:
            raise EvalError(f"undeclared local value {name!r}")
        where = self.session.location(attr.file, attr.line, key=f"local.{name}")
        return self.guarded(
            ("local", name), f"local.{name}", where, lambda: self.eval_src(attr, _NO_SYMBOLS, f"local.{name}")
        )

    def output(self, name: str) -> Value:
        if self.config is None:
            return Unknown(f"{self.prefix()}{name} ({self.unavailable})")
        block = self.config.outputs.get(name)
        if block is None:
            raise EvalError(f"module {self.path or 'root'} has no output {name!r}")
        attr = block.attr("value")
        if attr is None:
            return None
        where = self.session.location(attr.file, attr.line, key=f"output.{name}")
        return self.guarded(
            ("output", name), f"output.{name}", where, lambda: self.eval_src(attr, _NO_SYMBOLS, f"output.{name}")
        )

    def outputs(self) -> dict[str, Value]:
        if self.config is None:
            return {}
        return {name: materialize(self.output(name)) for name in self.config.outputs}

    def resource_value(self, mode: str, rtype: str, name: str) -> Value:
        group = self.groups.get((mode, rtype, name))
        if group is None:
            kind = "data source" if mode == "data" else "resource"
            prefix = "data." if mode == "data" else ""
            raise EvalError(f"reference to undeclared {kind} {prefix}{rtype}.{name}")
        return group.value()

    def module_value(self, name: str) -> Value:
        call = self.calls.get(name)
        if call is None:
            raise EvalError(f"reference to undeclared module {name!r}")
        return call.value()

    # -- expansion for listing ---------------------------------------------------------------
    def walk(self) -> Iterator[ResourceObject]:
        """Every resource instance of this module and its descendants, in declaration order."""
        if self.config is None:
            return
        for group in self.groups.values():
            yield from group.objects()
        for call in self.calls.values():
            for child in call.children():
                yield from child.walk()


def convert_type(value: Value, block: Block) -> Value:
    """Convert a variable value to the variable's declared type constraint."""
    attr = block.attr("type")
    if attr is None:
        return value
    return convert(value, attr.src)


def expand(
    owner: ModuleInstance, block: Block, base: str, what: str
) -> tuple[list[Instance], str]:  # (instances, "single"|"count"|"for_each")
    """Expand ``count``/``for_each`` of a resource or module block."""
    reporter = owner.session.reporter
    where = owner.session.location(block.file, block.line, block.end_line)
    count_attr, each_attr = block.attr("count"), block.attr("for_each")
    if count_attr is not None:
        count = materialize(owner.eval_src(count_attr, _NO_SYMBOLS, f"{base}.count"))
        if isinstance(count, (Unknown, Ref)):
            reason = as_unknown(count).reason
            reporter.emit("warning", f"count of {what} is unknown ({reason}); assuming one instance", where, "tf-count")
            return [Instance(f"{base}[0]", 0, {"count": {"index": 0}})], "count"
        number = count if isinstance(count, (int, float)) and not isinstance(count, bool) else None
        if number is None or number < 0 or (isinstance(number, float) and not number.is_integer()):
            reporter.emit("error", f"invalid count for {what}: {count!r}; assuming one instance", where, "tf-count")
            return [Instance(f"{base}[0]", 0, {"count": {"index": 0}})], "count"
        return [Instance(f"{base}[{i}]", i, {"count": {"index": i}}) for i in range(int(number))], "count"
    if each_attr is not None:
        raw = materialize(owner.eval_src(each_attr, _NO_SYMBOLS, f"{base}.for_each"))
        items: list[tuple[str, Value]] | None = None
        reason = ""
        if isinstance(raw, (Unknown, Ref)):
            reason = as_unknown(raw).reason
        elif isinstance(raw, dict):
            items = [(k, raw[k]) for k in sorted(raw)]
        elif isinstance(raw, list):
            bad = [i for i in raw if not isinstance(i, str)]
            if bad and any(isinstance(i, (Unknown, Ref)) for i in bad):
                reason = "a for_each key is unknown"
            elif bad:
                reporter.emit("error", f"for_each of {what} must be a map or a set of strings", where, "tf-for-each")
                return [], "for_each"
            else:
                items = [(k, k) for k in sorted(set(raw))]
        elif raw is None:
            reporter.emit("error", f"for_each of {what} is null", where, "tf-for-each")
            return [], "for_each"
        else:
            reporter.emit("error", f"for_each of {what} must be a map or a set of strings", where, "tf-for-each")
            return [], "for_each"
        if items is None:
            reporter.emit(
                "warning", f"for_each of {what} is unknown ({reason}); assuming one instance", where, "tf-for-each"
            )
            unknown = Unknown(f"each.key of {base} ({reason})")
            return [Instance(f'{base}["*"]', "*", {"each": {"key": unknown, "value": unknown}})], "for_each_unknown"
        return [Instance(f"{base}{format_key(k)}", k, {"each": {"key": k, "value": v}}) for k, v in items], "for_each"
    return [Instance(base, None, {})], "single"


class ResourceGroup:
    """One ``resource``/``data`` block inside a module instance."""

    def __init__(self, module: ModuleInstance, block: Block, mode: str) -> None:
        self.module = module
        self.block = block
        self.mode = mode
        self.type, self.name = block.labels
        local = f"data.{self.type}.{self.name}" if mode == "data" else f"{self.type}.{self.name}"
        self.base = module.prefix() + local
        self._instances: list[ResourceObject] | None = None
        self._kind = "single"

    def instances(self) -> list[Instance]:
        return [obj.instance for obj in self.objects()]

    def objects(self) -> list[ResourceObject]:
        if self._instances is None:
            where = self.module.session.location(self.block.file, self.block.line)
            instances = self.module.guarded(
                ("expand", self.base), f"{self.base} count/for_each", where, lambda: self._expand()
            )
            if not isinstance(instances, list):
                instances = []
            self._instances = [ResourceObject(self, inst) for inst in instances]
        return self._instances

    def _expand(self) -> list[Instance]:
        instances, self._kind = expand(self.module, self.block, self.base, self.base)
        return instances

    def value(self) -> Value:
        objects = self.objects()
        if self._kind == "single":
            return objects[0] if objects else Unknown(f"{self.base} (not expanded)")
        if self._kind == "count":
            return list(objects)
        if self._kind == "for_each_unknown":
            return Unknown(f"{self.base} (for_each unknown)")
        return {str(obj.instance.index): obj for obj in objects}


class ResourceObject(Lazy):
    """A resource instance as a value: configured attributes evaluate lazily."""

    def __init__(self, group: ResourceGroup, instance: Instance) -> None:
        self.group = group
        self.instance = instance
        self.attr_lines: dict[str, int] = {}
        block = group.block
        self.keys: list[str] = [a for a in block.attrs if a not in RESOURCE_META_ATTRS]
        for sub in block.blocks:
            key = sub.labels[0] if sub.type == "dynamic" and sub.labels else sub.type
            if sub.type in RESOURCE_META_BLOCKS or key in self.keys:
                continue
            self.keys.append(key)

    def describe(self) -> str:
        return self.instance.address

    def get_attr(self, name: str) -> Value:
        if name in self.keys:
            return self.configured(name)
        address = self.instance.address
        if self.group.mode == "data":
            return Unknown(f"{address}.{name}")
        if is_identity_attr(name):
            return Ref(address, name)
        return Unknown(f"{address}.{name} (known after apply)")

    def index(self, key: Value) -> Value:
        raise EvalError(f"{self.instance.address} is a single instance and cannot be indexed")

    def configured(self, name: str) -> Value:
        module = self.group.module
        block = self.group.block
        where = module.session.location(block.file, block.line, key=name)
        return module.guarded(
            ("attr", self.instance.address, name), f"{self.instance.address}.{name}", where, lambda: self._eval(name)
        )

    def _eval(self, name: str) -> Value:
        block = self.group.block
        attr = block.attrs.get(name)
        symbols = self.instance.symbols
        if attr is not None:
            self.attr_lines[name] = attr.line
            return self.group.module.eval_src(attr, symbols, f"{self.instance.address}.{name}")
        out: list[Value] = []
        self._blocks(block, name, symbols, name, out)
        return out

    def _blocks(self, parent: Block, name: str, symbols: dict[str, Value], path: str, out: list[Value]) -> None:
        """Evaluate every nested block called ``name`` in ``parent`` (static and dynamic)."""
        for sub in parent.blocks:
            if sub.type == name:
                key = f"{path}[{len(out)}]"
                self.attr_lines[key] = sub.line
                out.append(self._body(sub, symbols, key))
            elif sub.type == "dynamic" and sub.labels and sub.labels[0] == name:
                self._dynamic(sub, symbols, path, out)

    def _dynamic(self, dyn: Block, symbols: dict[str, Value], path: str, out: list[Value]) -> None:
        module = self.group.module
        session = module.session
        label = dyn.labels[0]
        where = session.location(dyn.file, dyn.line, dyn.end_line, key=path)
        iterator = label
        it_attr = dyn.attr("iterator")
        if it_attr is not None:
            iterator = it_attr.src.strip()
        contents = [b for b in dyn.blocks if b.type == "content"]
        each_attr = dyn.attr("for_each")
        if not contents or each_attr is None:
            session.reporter.emit("error", f"dynamic {label!r} block needs for_each and content", where, "tf-dynamic")
            return
        content = contents[0]
        collection = materialize(module.eval_src(each_attr, symbols, f"{path}.for_each"))
        pairs: list[tuple[Value, Value]]
        if isinstance(collection, (Unknown, Ref)):
            reason = as_unknown(collection).reason
            session.reporter.emit(
                "warning", f"dynamic {label!r} for_each is unknown ({reason}); assuming one block", where, "tf-dynamic"
            )
            unknown = as_unknown(collection)
            pairs = [(unknown, unknown)]
        elif isinstance(collection, dict):
            pairs = [(k, collection[k]) for k in sorted(collection)]
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        elif collection is None:
            pairs = []
        else:
            session.reporter.emit("error", f"dynamic {label!r} for_each must be a collection", where, "tf-dynamic")
            return
        for key, value in pairs:
            inner = dict(symbols)
            inner[iterator] = {"key": key, "value": value}
            index_key = f"{path}[{len(out)}]"
            self.attr_lines[index_key] = content.line
            out.append(self._body(content, inner, index_key))

    def _body(self, block: Block, symbols: dict[str, Value], path: str) -> dict[str, Value]:
        result: dict[str, Value] = {}
        for name, attr in block.attrs.items():
            self.attr_lines[f"{path}.{name}"] = attr.line
            result[name] = self.group.module.eval_src(attr, symbols, f"{self.instance.address}.{path}.{name}")
        names: list[str] = []
        for sub in block.blocks:
            key = sub.labels[0] if sub.type == "dynamic" and sub.labels else sub.type
            if key not in names and key not in result:
                names.append(key)
        for name in names:
            out: list[Value] = []
            self._blocks(block, name, symbols, f"{path}.{name}", out)
            result[name] = out
        return result

    def all_attrs(self) -> dict[str, Value]:
        return {name: materialize(self.configured(name)) for name in self.keys}

    def materialize(self) -> Value:
        out: dict[str, Value] = dict(self.all_attrs())
        if self.group.mode == "managed":
            for ident in ("id", "arn"):
                out.setdefault(ident, Ref(self.instance.address, ident))
        return out


class ModuleCall:
    """One ``module`` block in a module instance."""

    def __init__(self, parent: ModuleInstance, block: Block) -> None:
        self.parent = parent
        self.block = block
        self.name = block.labels[0]
        self.base = f"{parent.prefix()}module.{self.name}"
        self._children: list[ModuleInstance] | None = None
        self._instances: list[Instance] = []
        self._kind = "single"

    def children(self) -> list[ModuleInstance]:
        if self._children is None:
            session = self.parent.session
            where = session.location(self.block.file, self.block.line)

            def compute() -> Value:
                instances, self._kind = expand(self.parent, self.block, self.base, self.base)
                return instances

            instances = self.parent.guarded(("expand", self.base), f"{self.base} count/for_each", where, compute)
            if not isinstance(instances, list):
                instances = []
            self._instances = instances
            config, module_dir, unavailable, key = self._resolve()
            self._children = [self._child(inst, config, module_dir, unavailable, key) for inst in instances]
        return self._children

    def _resolve(self) -> tuple[ModuleConfig | None, Path | None, str, str]:
        session = self.parent.session
        tree = session.tree
        where = session.location(self.block.file, self.block.line, self.block.end_line, key="source")
        key = f"{self.parent.manifest_key}.{self.name}" if self.parent.manifest_key else self.name
        source_attr = self.block.attr("source")
        source: Value = None
        if source_attr is not None:
            source = materialize(self.parent.eval_src(source_attr, _NO_SYMBOLS, "source"))
        if not isinstance(source, str):
            session.reporter.emit("error", f"module {self.name!r} has no literal source", where, "tf-module-source")
            return None, None, "module source unknown", key
        caller_dir = self.parent.module_dir or session.root_dir
        if is_local_source(source):
            target = resolve_local(caller_dir, source)
            real = target.resolve()
            if not tree.contains(real):
                session.reporter.emit(
                    "warning",
                    f"module {self.name!r} source {source!r} is outside the scanned tree; not read",
                    where,
                    "tf-module-outside",
                )
                return None, None, "module source outside the scanned tree", key
            if not real.is_dir():
                session.reporter.emit(
                    "error", f"module {self.name!r} source {source!r} not found", where, "tf-module-missing"
                )
                return None, None, "module source missing", key
        else:
            found = session.manifest.dirs.get(key)
            if found is None:  # no modules.json entry: try terraform init's conventional layout
                found = session.root_dir / ".terraform" / "modules" / key
            if not found.is_dir():
                session.reporter.emit(
                    "warning",
                    f"module {self.name!r} source {source!r}: module source not available offline",
                    where,
                    "tf-module-offline",
                )
                return None, None, "module source not available offline", key
            real = found.resolve()
            if not tree.contains(real):
                session.reporter.emit(
                    "warning", f"module {self.name!r} directory is outside the scanned tree", where, "tf-module-outside"
                )
                return None, None, "module source outside the scanned tree", key
        config = session.load_config(real)
        if config is None:
            return None, None, "module could not be loaded", key
        return config, real, "", key

    def _child(
        self, inst: Instance, config: ModuleConfig | None, module_dir: Path | None, unavailable: str, key: str
    ) -> ModuleInstance:
        inputs: dict[str, Callable[[], Value]] = {}
        for name, attr in self.block.attrs.items():
            if name in MODULE_META_ATTRS:
                continue
            inputs[name] = self._thunk(attr, inst.symbols, f"{inst.address}.{name}")
        return ModuleInstance(
            self.parent.session,
            inst.address,
            config,
            inputs,
            unavailable=unavailable,
            manifest_key=key,
            module_dir=module_dir,
        )

    def _thunk(self, attr: Attr, symbols: dict[str, Value], label: str) -> Callable[[], Value]:
        return lambda: self.parent.eval_src(attr, symbols, label)

    def value(self) -> Value:
        children = self.children()
        objects = [ModuleObject(c) for c in children]
        if self._kind == "single":
            return objects[0] if objects else Unknown(f"{self.base} (not expanded)")
        if self._kind == "count":
            return objects
        if self._kind == "for_each_unknown":
            return Unknown(f"{self.base} (for_each unknown)")
        return {str(i.index): obj for i, obj in zip(self._instances, objects, strict=True)}


class ModuleObject(Lazy):
    def __init__(self, instance: ModuleInstance) -> None:
        self.instance = instance

    def describe(self) -> str:
        return self.instance.path

    def get_attr(self, name: str) -> Value:
        return self.instance.output(name)

    def materialize(self) -> Value:
        if self.instance.config is None:
            return Unknown(f"{self.instance.path} ({self.instance.unavailable})")
        return self.instance.outputs()
