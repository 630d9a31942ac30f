"""Terraform built-in functions, evaluated in Python on known values.

Each function is registered with a *strictness*: ``DEEP`` functions return Unknown when any
argument contains an Unknown/Ref anywhere (string and set functions); ``SHALLOW`` functions
only need their top-level arguments known (collection functions keep unknown items).
``try``/``can`` are handled by the evaluator (they need lazy arguments).  ``file`` and
``templatefile`` never read anything: they are always Unknown.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from .values import (
    EvalError,
    Ref,
    Unknown,
    Value,
    first_unknown,
    format_number,
    normalize_number,
    to_bool,
    to_number,
    to_string,
    type_name,
)

DEEP = "deep"
SHALLOW = "shallow"
LENIENT = "lenient"  # the function handles Unknown arguments itself


@dataclass(frozen=True)
class Function:
    impl: Callable[..., Value]
    strictness: str


FUNCTIONS: dict[str, Function] = {}
UNKNOWN_RESULT = {
    "file",
    "filebase64",
    "fileexists",
    "fileset",
    "templatefile",
    "filemd5",
    "filesha1",
    "filesha256",
    "filebase64sha256",
    "timestamp",
    "uuid",
    "bcrypt",
    "plantimestamp",
    "abspath",
    "pathexpand",
}


def _fn(name: str, strictness: str = DEEP) -> Callable[[Callable[..., Value]], Callable[..., Value]]:
    def register(impl: Callable[..., Value]) -> Callable[..., Value]:
        FUNCTIONS[name] = Function(impl, strictness)
        return impl

    return register


def call_function(name: str, args: list[Value]) -> Value:
    """Call a function; raises KeyError when unsupported and EvalError on bad arguments."""
    if name in UNKNOWN_RESULT:
        return Unknown(f"{name}() (not evaluated statically)")
    fn = FUNCTIONS[name]
    if fn.strictness == DEEP:
        for arg in args:
            unknown = first_unknown(arg)
            if unknown is not None:
                return unknown
    elif fn.strictness == SHALLOW:
        for arg in args:
            if isinstance(arg, Unknown):
                return arg
            if isinstance(arg, Ref):
                return arg.as_unknown()
    return fn.impl(*args)


# -- helpers ------------------------------------------------------------------------------
def _str(value: Value) -> str:
    result = to_string(value)
    if isinstance(result, Unknown):
        raise EvalError("unknown value")  # pragma: no cover - filtered by DEEP
    return result


def _num(value: Value) -> int | float:
    result = to_number(value)
    if isinstance(result, Unknown):
        raise EvalError("unknown value")  # pragma: no cover
    return result


def _int(value: Value) -> int:
    number = _num(value)
    if isinstance(number, float):
        if not number.is_integer():
            raise EvalError(f"{number} is not a whole number")
        return int(number)
    return number


def _list(value: Value, fname: str) -> list[Value]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        raise EvalError(f"{fname}: expected a list, got an object")
    raise EvalError(f"{fname}: expected a list, got {type_name(value)}")


def _map(value: Value, fname: str) -> dict[str, Value]:
    if isinstance(value, dict):
        return value
    raise EvalError(f"{fname}: expected a map or object, got {type_name(value)}")


def _set(items: list[Value]) -> list[Value]:
    out: list[Value] = []
    seen: set[str] = set()
    for item in items:
        key = json.dumps(item, sort_keys=True, default=repr)
        if key not in seen:
            seen.add(key)
            out.append(item)
    if out and all(isinstance(i, str) for i in out):
        return sorted(out)
    if out and all(isinstance(i, (int, float)) and not isinstance(i, bool) for i in out):
        return sorted(out)
    return out


# -- collections --------------------------------------------------------------------------
@_fn("length", SHALLOW)
def _length(value: Value) -> int:
    if isinstance(value, (list, dict, str)):
        return len(value)
    raise EvalError(f"length: invalid argument of type {type_name(value)}")


@_fn("concat", SHALLOW)
def _concat(*lists: Value) -> list[Value]:
    out: list[Value] = []
    for item in lists:
        out.extend(_list(item, "concat"))
    return out


@_fn("merge", SHALLOW)
def _merge(*maps: Value) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for item in maps:
        if item is None:
            continue
        out.update(_map(item, "merge"))
    return out


@_fn("flatten", SHALLOW)
def _flatten(value: Value) -> Value:
    out: list[Value] = []

    def walk(items: list[Value]) -> Unknown | None:
        for item in items:
            if isinstance(item, list):
                found = walk(item)
                if found is not None:
                    return found
            elif isinstance(item, Unknown):
                return item  # an unknown item could be a list: the shape is unknown
            else:
                out.append(item)
        return None

    found = walk(_list(value, "flatten"))
    return found if found is not None else out


@_fn("toset")
def _toset(value: Value) -> list[Value]:
    return _set(_list(value, "toset"))


@_fn("tolist", SHALLOW)
def _tolist(value: Value) -> list[Value]:
    return list(_list(value, "tolist"))


@_fn("tomap", SHALLOW)
def _tomap(value: Value) -> dict[str, Value]:
    return dict(_map(value, "tomap"))


@_fn("element", SHALLOW)
def _element(items: Value, index: Value) -> Value:
    seq = _list(items, "element")
    if not seq:
        raise EvalError("element: cannot use element() with an empty list")
    return seq[_int(index) % len(seq)]


@_fn("lookup", SHALLOW)
def _lookup(mapping: Value, key: Value, *default: Value) -> Value:
    found = _map(mapping, "lookup")
    name = _str(key)
    if name in found:
        return found[name]
    if default:
        return default[0]
    raise EvalError(f"lookup: key {name!r} not found")


@_fn("keys", SHALLOW)
def _keys(mapping: Value) -> list[Value]:
    return sorted(_map(mapping, "keys"))


@_fn("values", SHALLOW)
def _values(mapping: Value) -> list[Value]:
    found = _map(mapping, "values")
    return [found[k] for k in sorted(found)]


@_fn("zipmap", SHALLOW)
def _zipmap(keys: Value, values: Value) -> dict[str, Value]:
    key_list, value_list = _list(keys, "zipmap"), _list(values, "zipmap")
    if len(key_list) != len(value_list):
        raise EvalError("zipmap: lists of different lengths")
    if any(isinstance(k, (Unknown, Ref)) for k in key_list):
        raise EvalError("zipmap: unknown key")
    return {_str(k): v for k, v in zip(key_list, value_list, strict=True)}


@_fn("coalescelist", SHALLOW)
def _coalescelist(*lists: Value) -> Value:
    for item in lists:
        if _list(item, "coalescelist"):
            return item
    raise EvalError("coalescelist: no non-empty list")


@_fn("coalesce", LENIENT)
def _coalesce(*values: Value) -> Value:
    for item in values:
        if isinstance(item, Ref):
            return item.as_unknown()
        if isinstance(item, Unknown):
            return item
        if item is not None and item != "":
            return item
    raise EvalError("coalesce: no non-null, non-empty argument")


@_fn("compact", SHALLOW)
def _compact(items: Value) -> Value:
    seq = _list(items, "compact")
    for item in seq:
        if isinstance(item, (Unknown, Ref)):
            return first_unknown(item)
    return [i for i in seq if i is not None and i != ""]


@_fn("distinct")
def _distinct(items: Value) -> list[Value]:
    out: list[Value] = []
    for item in _list(items, "distinct"):
        if item not in out:
            out.append(item)
    return out


@_fn("contains")
def _contains(items: Value, value: Value) -> bool:
    return value in _list(items, "contains")


@_fn("index")
def _index(items: Value, value: Value) -> int:
    seq = _list(items, "index")
    if value not in seq:
        raise EvalError("index: item not found")
    return seq.index(value)


@_fn("one", SHALLOW)
def _one(items: Value) -> Value:
    seq = _list(items, "one")
    if len(seq) > 1:
        raise EvalError("one: list has more than one element")
    return seq[0] if seq else None


@_fn("range")
def _range(*args: Value) -> list[Value]:
    nums = [_num(a) for a in args]
    start: int | float
    stop: int | float
    step: int | float
    if len(nums) == 1:
        start, stop, step = 0, nums[0], 1 if nums[0] >= 0 else -1
    elif len(nums) == 2:
        start, stop, step = nums[0], nums[1], 1 if nums[1] >= nums[0] else -1
    elif len(nums) == 3:
        start, stop, step = nums
    else:
        raise EvalError("range: expects 1 to 3 arguments")
    if step == 0:
        raise EvalError("range: step must not be zero")
    out: list[Value] = []
    cur = start
    while (cur < stop if step > 0 else cur > stop) and len(out) < 1024:
        out.append(normalize_number(cur))
        cur += step
    return out


@_fn("slice", SHALLOW)
def _slice(items: Value, start: Value, end: Value) -> list[Value]:
    seq = _list(items, "slice")
    lo, hi = _int(start), _int(end)
    if lo < 0 or hi > len(seq) or lo > hi:
        raise EvalError("slice: index out of range")
    return seq[lo:hi]


@_fn("sort")
def _sort(items: Value) -> list[Value]:
    return sorted(_str(i) for i in _list(items, "sort"))


@_fn("reverse", SHALLOW)
def _reverse(items: Value) -> list[Value]:
    return list(reversed(_list(items, "reverse")))


@_fn("setunion")
def _setunion(*sets: Value) -> list[Value]:
    out: list[Value] = []
    for item in sets:
        out.extend(_list(item, "setunion"))
    return _set(out)


@_fn("setintersection")
def _setintersection(first: Value, *rest: Value) -> list[Value]:
    out = _set(_list(first, "setintersection"))
    for item in rest:
        other = _list(item, "setintersection")
        out = [i for i in out if i in other]
    return out


@_fn("setsubtract")
def _setsubtract(first: Value, second: Value) -> list[Value]:
    other = _list(second, "setsubtract")
    return [i for i in _set(_list(first, "setsubtract")) if i not in other]


@_fn("transpose")
def _transpose(mapping: Value) -> dict[str, Value]:
    out: dict[str, list[Value]] = {}
    for key, items in _map(mapping, "transpose").items():
        for item in _list(items, "transpose"):
            out.setdefault(_str(item), []).append(key)
    return {k: sorted(v) for k, v in out.items()}


# -- conversions ----------------------------------------------------------------------------
@_fn("tostring")
def _tostring(value: Value) -> Value:
    return None if value is None else _str(value)


@_fn("tonumber")
def _tonumber(value: Value) -> Value:
    return None if value is None else _num(value)


@_fn("tobool")
def _tobool(value: Value) -> Value:
    if value is None:
        return None
    result = to_bool(value)
    return result


@_fn("jsonencode")
def _jsonencode(value: Value) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


@_fn("jsondecode")
def _jsondecode(value: Value) -> Value:
    try:
        return json.loads(_str(value))
    except ValueError as exc:
        raise EvalError(f"jsondecode: {exc}") from None


# -- strings --------------------------------------------------------------------------------
@_fn("format")
def _format(fmt: Value, *args: Value) -> str:
    return _do_format(_str(fmt), list(args))


def _do_format(fmt: str, args: list[Value]) -> str:
    out: list[str] = []
    i = 0
    argi = 0
    spec_re = re.compile(r"%([-+ 0#]*)(\d+)?(?:\.(\d+))?([vsdfqtbxXoeEgG%])")
    while i < len(fmt):
        if fmt[i] != "%":
            out.append(fmt[i])
            i += 1
            continue
        m = spec_re.match(fmt, i)
        if not m:
            raise EvalError(f"format: bad verb at {fmt[i:]!r}")
        flags, width, prec, verb = m.groups()
        i = m.end()
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            raise EvalError("format: not enough arguments")
        arg = args[argi]
        argi += 1
        pyspec = f"%{flags}{width or ''}{'.' + prec if prec else ''}"
        if verb in "sv":
            text = _str(arg) if not isinstance(arg, (list, dict)) else json.dumps(arg)
            out.append((pyspec + "s") % text)
        elif verb == "q":
            out.append(json.dumps(_str(arg)))
        elif verb == "t":
            out.append("true" if to_bool(arg) else "false")
        elif verb in "dbxXo":
            number = _int(arg)
            out.append(format(number, "b") if verb == "b" else (pyspec + verb) % number)
        else:
            out.append((pyspec + verb) % _num(arg))
    return "".join(out)


@_fn("formatlist")
def _formatlist(fmt: Value, *args: Value) -> list[Value]:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise EvalError("formatlist: list arguments of different lengths")
    count = lengths.pop() if lengths else 1
    return [_do_format(_str(fmt), [a[n] if isinstance(a, list) else a for a in args]) for n in range(count)]


@_fn("join")
def _join(sep: Value, *lists: Value) -> str:
    items: list[str] = []
    for seq in lists:
        items.extend(_str(i) for i in _list(seq, "join") if i is not None)
    return _str(sep).join(items)


@_fn("split")
def _split(sep: Value, text: Value) -> list[Value]:
    return list(_str(text).split(_str(sep))) if _str(sep) else list(_str(text))


@_fn("lower")
def _lower(text: Value) -> str:
    return _str(text).lower()


@_fn("upper")
def _upper(text: Value) -> str:
    return _str(text).upper()


@_fn("title")
def _title(text: Value) -> str:
    return _str(text).title()


@_fn("trimspace")
def _trimspace(text: Value) -> str:
    return _str(text).strip()


@_fn("trim")
def _trim(text: Value, chars: Value) -> str:
    return _str(text).strip(_str(chars))


@_fn("trimprefix")
def _trimprefix(text: Value, prefix: Value) -> str:
    return _str(text).removeprefix(_str(prefix))


@_fn("trimsuffix")
def _trimsuffix(text: Value, suffix: Value) -> str:
    return _str(text).removesuffix(_str(suffix))


@_fn("startswith")
def _startswith(text: Value, prefix: Value) -> bool:
    return _str(text).startswith(_str(prefix))


@_fn("endswith")
def _endswith(text: Value, suffix: Value) -> bool:
    return _str(text).endswith(_str(suffix))


@_fn("strcontains")
def _strcontains(text: Value, sub: Value) -> bool:
    return _str(sub) in _str(text)


@_fn("substr")
def _substr(text: Value, offset: Value, length: Value) -> str:
    s, off, n = _str(text), _int(offset), _int(length)
    if off < 0:
        off = max(len(s) + off, 0)
    return s[off:] if n < 0 else s[off : off + n]


@_fn("replace")
def _replace(text: Value, search: Value, repl: Value) -> str:
    s, pattern, r = _str(text), _str(search), _str(repl)
    if len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/"):
        try:
            return re.sub(pattern[1:-1], re.sub(r"\$(\d+)", r"\\\1", r), s)
        except re.error as exc:
            raise EvalError(f"replace: bad regex: {exc}") from None
    return s.replace(pattern, r)


@_fn("regex")
def _regex(pattern: Value, text: Value) -> Value:
    try:
        m = re.search(_str(pattern), _str(text))
    except re.error as exc:
        raise EvalError(f"regex: {exc}") from None
    if not m:
        raise EvalError("regex: no match")
    if m.groupdict():
        return dict(m.groupdict())
    return list(m.groups()) if m.groups() else m.group(0)


@_fn("chomp")
def _chomp(text: Value) -> str:
    return _str(text).rstrip("\r\n")


# -- numbers ----------------------------------------------------------------------------------
@_fn("min")
def _min(*nums: Value) -> Value:
    if not nums:
        raise EvalError("min: no arguments")
    return min(_num(n) for n in nums)


@_fn("max")
def _max(*nums: Value) -> Value:
    if not nums:
        raise EvalError("max: no arguments")
    return max(_num(n) for n in nums)


@_fn("abs")
def _abs(num: Value) -> Value:
    return abs(_num(num))


@_fn("ceil")
def _ceil(num: Value) -> Value:
    return math.ceil(_num(num))


@_fn("floor")
def _floor(num: Value) -> Value:
    return math.floor(_num(num))


@_fn("pow")
def _pow(base: Value, exp: Value) -> Value:
    return normalize_number(float(_num(base)) ** _num(exp))


@_fn("signum")
def _signum(num: Value) -> Value:
    n = _num(num)
    return (n > 0) - (n < 0)


@_fn("parseint")
def _parseint(text: Value, base: Value) -> Value:
    try:
        return int(_str(text), _int(base))
    except ValueError:
        raise EvalError("parseint: invalid number") from None


# -- networking -------------------------------------------------------------------------------
def _network(prefix: Value) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(_str(prefix), strict=False)
    except ValueError as exc:
        raise EvalError(f"invalid CIDR {prefix!r}: {exc}") from None


@_fn("cidrsubnet")
def _cidrsubnet(prefix: Value, newbits: Value, netnum: Value) -> str:
    net = _network(prefix)
    bits, num = _int(newbits), _int(netnum)
    new_len = net.prefixlen + bits
    if bits < 0 or new_len > net.max_prefixlen:
        raise EvalError(f"cidrsubnet: {bits} new bits do not fit in {net}")
    if num < 0 or num >= 2**bits:
        raise EvalError(f"cidrsubnet: network number {num} does not fit in {bits} bits")
    base = int(net.network_address) + (num << (net.max_prefixlen - new_len))
    return str(ipaddress.ip_network((base, new_len)))


@_fn("cidrsubnets")
def _cidrsubnets(prefix: Value, *newbits: Value) -> list[Value]:
    net = _network(prefix)
    out: list[Value] = []
    cursor = int(net.network_address)
    end = int(net.broadcast_address)
    for item in newbits:
        new_len = net.prefixlen + _int(item)
        if new_len > net.max_prefixlen:
            raise EvalError("cidrsubnets: not enough address space")
        size = 1 << (net.max_prefixlen - new_len)
        cursor = (cursor + size - 1) // size * size
        if cursor + size - 1 > end:
            raise EvalError("cidrsubnets: not enough address space")
        out.append(str(ipaddress.ip_network((cursor, new_len))))
        cursor += size
    return out


@_fn("cidrhost")
def _cidrhost(prefix: Value, hostnum: Value) -> str:
    net = _network(prefix)
    num = _int(hostnum)
    if num < 0:
        num += net.num_addresses
    if not 0 <= num < net.num_addresses:
        raise EvalError(f"cidrhost: host number {num} out of range for {net}")
    return str(net.network_address + num)


@_fn("cidrnetmask")
def _cidrnetmask(prefix: Value) -> str:
    net = _network(prefix)
    if net.version != 4:
        raise EvalError("cidrnetmask: only IPv4 prefixes have a netmask")
    return str(net.netmask)


@_fn("base64encode")
def _base64encode(text: Value) -> str:
    import base64

    return base64.b64encode(_str(text).encode()).decode()


@_fn("base64decode")
def _base64decode(text: Value) -> str:
    import base64
    import binascii

    try:
        return base64.b64decode(_str(text)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise EvalError(f"base64decode: {exc}") from None


def number_text(value: int | float) -> str:
    return format_number(value)
