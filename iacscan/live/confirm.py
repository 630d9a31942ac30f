"""Confirmation: compare static findings with the same analysis run on a live snapshot.

Each static finding of the confirmed layer gets a :class:`Confirmation`:

* ``confirmed`` — the live analysis shows the same exposure (rule, source, target, ports);
* ``differs`` — the resource exists live but the exposure does not, or differs (says how);
* ``not-deployed`` — no live counterpart;

and every live finding no static finding accounts for is added with ``live-only`` (drift).

Static addresses are matched to live ids through the Terraform state when given
(resource address → ``id``, or ``arn`` for resources whose live id is an ARN), else
through identity attributes (:attr:`~iacscan.model.core.Endpoint.identity`): Name tag
(instances, VPCs, subnets), load balancer name, DB identifier, EKS cluster name; an auto
scaling group or EKS node group matches every live instance tagged with its name
(``aws:autoscaling:groupName`` / ``eks:nodegroup-name``) and is confirmed when any of them
shows the exposure; an instance without a Name tag matches the live instances carrying the
same security groups (group name + VPC Name tag or CIDR).  Kubernetes addresses
(``namespace/name[Kind]``) are the same on both sides.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from iacscan.engine.finding import Confirmation, Finding
from iacscan.model.core import Model

LAYER_OF = {"aws": "aws", "k8s": "k8s"}
# Terraform types whose live id is the ARN (load balancers, target groups, RDS, EKS).
ARN_TYPES = {
    "aws_lb",
    "aws_alb",
    "aws_elb",
    "aws_lb_target_group",
    "aws_alb_target_group",
    "aws_db_instance",
    "aws_eks_cluster",
}
_INDEX = re.compile(r"\[[^\]]*\]$")
# Identity keys naming a group of live instances (one static endpoint -> many live ones).
GROUP_KEYS = ("asg", "eks")


class ConfirmError(Exception):
    pass


def read_tfstate(path: Path) -> dict[str, str]:
    """Terraform state (format 4) → {resource address: live id}."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfirmError(f"cannot read Terraform state {path}: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        raise ConfirmError(f"{path} is not a Terraform state file (no resources)")
    out: dict[str, str] = {}
    for r in doc["resources"]:
        if not isinstance(r, dict) or r.get("mode") != "managed":
            continue
        base = f"{r.get('type')}.{r.get('name')}"
        if r.get("module"):
            base = f"{r['module']}.{base}"
        for inst in r.get("instances") or []:
            if not isinstance(inst, dict):
                continue
            attrs = inst.get("attributes") if isinstance(inst.get("attributes"), dict) else {}
            assert isinstance(attrs, dict)
            key = inst.get("index_key")
            addr = base
            if isinstance(key, int):
                addr = f"{base}[{key}]"
            elif isinstance(key, str):
                addr = f'{base}["{key}"]'
            live = attrs.get("arn") if r.get("type") in ARN_TYPES and attrs.get("arn") else attrs.get("id")
            if isinstance(live, str) and live:
                out[addr] = live
    return out


def _family(kind: str) -> str:
    k = kind.split("/", 1)[0]
    return {"aws_alb": "aws_lb", "aws_elb": "aws_lb"}.get(k, k)


@dataclass
class Matcher:
    static: Model
    live: Model
    layer: str
    tfstate: dict[str, str] = field(default_factory=dict)
    by_identity: dict[tuple[str, str], str] = field(default_factory=dict)
    by_group: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # ("asg", name) -> live ids
    by_groups: dict[tuple[str, frozenset[str]], list[str]] = field(default_factory=dict)  # (family, SGs)

    def __post_init__(self) -> None:
        for addr, ep in self.live.endpoints.items():
            if ep.layer == self.layer and ep.name:
                self.by_identity.setdefault((_family(ep.kind), ep.name), addr)
            if ep.layer != self.layer:
                continue
            for k, v in ep.identity:
                if k in GROUP_KEYS:
                    self.by_group.setdefault((k, v), []).append(addr)
            sgs = _sgs(ep.identity)
            if sgs:
                self.by_groups.setdefault((_family(ep.kind), sgs), []).append(addr)
        for zid, z in self.live.zones.items():
            if z.name and z.name != zid:
                self.by_identity.setdefault((z.kind, z.name), zid)

    def live_ids(self, static_addr: str) -> list[str]:
        """Every live counterpart of a static address: several for an auto scaling group or EKS
        node group (its instances) and for an unnamed instance (the instances with its groups)."""
        one = self.live_id(static_addr)
        if one is not None or self.layer == "k8s" or self.tfstate_has(static_addr):
            return [one] if one is not None else []
        ep = self.static.endpoints.get(static_addr)
        if ep is None:
            return []
        for k, v in ep.identity:
            if k in GROUP_KEYS and (k, v) in self.by_group:
                return list(self.by_group[(k, v)])
        sgs = _sgs(ep.identity)
        if sgs and not ep.name and not any(k in GROUP_KEYS for k, _ in ep.identity):
            return list(self.by_groups.get((_family(ep.kind), sgs), []))
        return []

    def tfstate_has(self, static_addr: str) -> bool:
        return any(c in self.tfstate for c in (static_addr, static_addr.split(":", 1)[-1]))

    def is_group(self, static_addr: str) -> bool:
        ep = self.static.endpoints.get(static_addr)
        return ep is not None and any(k in GROUP_KEYS for k, _ in ep.identity)

    def live_id(self, static_addr: str) -> str | None:
        """The live id of a static address, or None when it has no live counterpart."""
        if self.layer == "k8s":
            return static_addr if self._k8s_live(static_addr) else None
        if self.tfstate:
            for cand in (static_addr, static_addr.split(":", 1)[-1]):
                if cand in self.tfstate:
                    return self.tfstate[cand]
        ep = self.static.endpoints.get(static_addr)
        if ep is not None and ep.name:
            return self.by_identity.get((_family(ep.kind), ep.name))
        z = self.static.zones.get(static_addr)
        if z is not None and z.name and z.name != static_addr:
            return self.by_identity.get((z.kind, z.name))
        return None

    def _k8s_live(self, addr: str) -> bool:
        """Kubernetes addresses are the same on both sides: does the cluster have this one?"""
        if addr in self.live.endpoints or addr in self.live.zones:
            return True
        if addr.startswith("namespace:"):
            return f"k8s:ns:{addr.split(':', 1)[1]}" in self.live.zones
        return addr.startswith(("cluster:", "k8s:")) and bool(self.live.endpoints)

    def identity(self, static_addr: str) -> str:
        ep = self.static.endpoints.get(static_addr)
        if ep is not None:
            group = next(((k, v) for k, v in ep.identity if k in GROUP_KEYS), None)
            if group is not None:
                tag = "aws:autoscaling:groupName" if group[0] == "asg" else "eks:nodegroup-name"
                return f"instance tagged {tag}={group[1]!r}"
            if ep.name:
                return f"{_family(ep.kind)} named {ep.name!r}"
            sgs = sorted(_sgs(ep.identity))
            if sgs:
                return f"{_family(ep.kind)} with security groups {', '.join(sgs)}"
        return static_addr

    def map_peer(self, addr: str) -> str:
        """A source/target that is an address of the static model, mapped to live; others unchanged."""
        if addr in self.static.endpoints or addr in self.static.zones:
            return self.live_id(addr) or addr
        return addr


def _sgs(identity: tuple[tuple[str, str], ...]) -> frozenset[str]:
    return frozenset(v for k, v in identity if k == "sg")


def subject(f: Finding, model: Model) -> tuple[str, str, bool]:
    """(the endpoint a finding is about, the other end, whether the subject is the target)."""
    if f.target in model.endpoints:
        return f.target, f.source, True
    return f.source, f.target, False


K8S_PREFIXES = ("namespace:", "cluster:", "k8s:")


def in_layer(f: Finding, model: Model, layer: str) -> bool:
    subj, _, _ = subject(f, model)
    ep = model.endpoints.get(subj)
    if ep is not None:
        return ep.layer == layer
    return layer == "k8s" and (f.source.startswith(K8S_PREFIXES) or f.target.startswith(K8S_PREFIXES))


def _ports(f: Finding) -> str:
    return ",".join(f.port_strings)


def confirm(
    static_findings: list[Finding],
    static: Model,
    live_findings: list[Finding],
    live: Model,
    kind: str,
    tfstate: dict[str, str] | None = None,
) -> list[Finding]:
    layer = LAYER_OF[kind]
    m = Matcher(static, live, layer, tfstate or {})
    live_in_layer = [lf for lf in live_findings if in_layer(lf, live, layer) and lf.suppression is None]
    by_key: dict[tuple[str, str], list[Finding]] = {}
    for lf in live_in_layer:
        subj, _, _ = subject(lf, live)
        by_key.setdefault((lf.rule, subj), []).append(lf)
    used: set[str] = set()
    out: list[Finding] = []
    for f in static_findings:
        if not in_layer(f, static, layer):
            out.append(f)
            continue
        subj, other, _ = subject(f, static)
        lids = m.live_ids(subj)
        present = [x for x in lids if x in live.endpoints or (layer == "k8s" and m._k8s_live(x))]
        if not present:
            lid = lids[0] if lids else None
            why = (
                f"Terraform state names {lid}, which is not in the live estate"
                if lid
                else f"no live {m.identity(subj)}"
            )
            out.append(replace(f, confirmation=Confirmation("not-deployed", "", why)))
            continue
        peer = m.map_peer(other)
        # several live counterparts (instances of a group, or unnamed look-alikes): the first one
        # showing the same exposure, preferring the same ports and live findings not yet matched
        found = [(x, lf) for x in present for lf in by_key.get((f.rule, x), []) if subject(lf, live)[1] == peer]
        found.sort(key=lambda t: (t[1].ports != f.ports, t[1].fingerprint in used))
        lid = found[0][0] if found else next((x for x in present if by_key.get((f.rule, x))), present[0])
        cands = by_key.get((f.rule, lid), [])
        same_src = [lf for _, lf in found]
        if same_src:
            lf = same_src[0]
            used.add(lf.fingerprint)
            if m.is_group(subj):  # every instance of the group showing it is this same exposure
                used.update(x.fingerprint for x in same_src)
            if lf.ports == f.ports:
                c = Confirmation("confirmed", lid, "the live analysis shows the same exposure")
            else:
                extra = (lf.ports - f.ports).to_strings()
                missing = (f.ports - lf.ports).to_strings()
                parts = [f"live ports {_ports(lf)}"]
                if extra:
                    parts.append(f"also open live: {', '.join(extra)}")
                if missing:
                    parts.append(f"not open live: {', '.join(missing)}")
                c = Confirmation("differs", lid, "; ".join(parts))
        elif cands:
            for lf in cands:
                used.add(lf.fingerprint)
            srcs = sorted({subject(lf, live)[1] for lf in cands})
            c = Confirmation("differs", lid, f"live sources differ: {', '.join(srcs)} (static: {other})")
        else:
            others = sorted({lf.rule for (rule, s), lfs in by_key.items() if s == lid for lf in lfs})
            detail = "the resource exists live but this exposure does not"
            if others:
                detail += f" (live findings on it: {', '.join(others)})"
            c = Confirmation("differs", lid, detail)
        out.append(replace(f, confirmation=c))
    for lf in live_in_layer:
        if lf.fingerprint in used:
            continue
        subj, _, _ = subject(lf, live)
        out.append(replace(lf, confirmation=Confirmation("live-only", subj, "found live, not in the scanned code")))
    return out


def live_scan(kind: str, snapshot: Path, no_cache: bool = True) -> Any:
    """Run the ordinary pipeline on a live snapshot (AWS JSON or the k8s manifest List)."""
    from iacscan.ingest import ScanOptions
    from iacscan.pipeline import scan

    layers = ("aws-snapshot",) if kind == "aws" else ("kubernetes",)
    return scan([snapshot], ScanOptions(), layers=layers)


def add_confirm_options(p: Any) -> None:
    """``scan --confirm aws|k8s [--live-snapshot FILE | collector options] [--tfstate FILE]``."""
    from iacscan.commands.collect import add_aws_options, add_k8s_options

    g = p.add_argument_group("live confirmation")
    g.add_argument("--confirm", choices=["aws", "k8s"], help="confirm each finding against the live estate")
    g.add_argument(
        "--live-snapshot", type=Path, metavar="FILE", help="a `collect` snapshot to confirm against (else collect now)"
    )
    g.add_argument("--tfstate", type=Path, metavar="FILE", help="terraform.tfstate: match by resource id")
    add_aws_options(g)
    add_k8s_options(g)


def apply(result: Any, args: Any) -> None:
    """Confirm ``result.findings`` in place; a failure is an error diagnostic, never a traceback."""
    import tempfile

    from iacscan.source import Location

    kind = str(args.confirm)
    try:
        state = read_tfstate(args.tfstate) if getattr(args, "tfstate", None) else None
        with tempfile.TemporaryDirectory(prefix="iacscan-live-") as tmp:
            snap = args.live_snapshot or _collect_now(kind, args, Path(tmp))
            live = live_scan(kind, snap)
        for d in live.diagnostics.items:
            result.diagnostics.add(d.level, f"live: {d.message}", d.location, d.code)
        result.findings = confirm(result.findings, result.model, live.findings, live.model, kind, state)
    except ConfirmError as exc:
        result.diagnostics.error(str(exc), Location(""), "confirm")
    except Exception as exc:  # collector failures (credentials, network): a diagnostic, no secrets
        result.diagnostics.error(f"live confirmation failed: {type(exc).__name__}", Location(""), "confirm")


def _collect_now(kind: str, args: Any, tmp: Path) -> Path:
    if kind == "aws":
        from iacscan.commands.collect import aws_options
        from iacscan.live.aws_collect import CollectOptions, collect

        opts = aws_options(args)
        assert isinstance(opts, CollectOptions)
        path = tmp / "aws-snapshot.json"
        path.write_text(json.dumps(collect(opts)), encoding="utf-8")
        return path
    from iacscan.live.k8s_collect import K8sOptions, dump
    from iacscan.live.k8s_collect import collect as k8s_collect

    k = K8sOptions(kubeconfig=args.kubeconfig, context=args.context, namespaces=tuple(args.namespace or ()))
    path = tmp / "cluster.yaml"
    path.write_text(dump(k8s_collect(k)), encoding="utf-8")
    return path
