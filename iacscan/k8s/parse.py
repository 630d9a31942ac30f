"""Manifest objects (``YMap`` trees) → the typed :class:`~iacscan.k8s.model.Cluster`.

Wrongly typed fields become diagnostics with the field's line; the object (or
just the field, when that is safe) is skipped and loading goes on.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from iacscan.k8s.manifests import YList, YMap, line_of
from iacscan.k8s.model import (
    NS_NAME_LABEL,
    Cluster,
    ContainerPort,
    HostFlag,
    Ingress,
    IngressBackend,
    Labels,
    Namespace,
    NetworkPolicy,
    Peer,
    PodTemplate,
    PolicyPort,
    PolicyRule,
    Requirement,
    Selector,
    Service,
    ServicePort,
    Workload,
)
from iacscan.model.addr import CidrSet
from iacscan.model.ports import PortSet
from iacscan.source import Location

WORKLOAD_KINDS = (
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
)
PROTOCOLS = ("TCP", "UDP", "SCTP")
_IANA = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")
_SOCKETS = {
    "/var/run/docker.sock": "docker-socket",
    "/run/docker.sock": "docker-socket",
    "/var/run/containerd/containerd.sock": "containerd-socket",
    "/run/containerd/containerd.sock": "containerd-socket",
    "/var/run/crio/crio.sock": "crio-socket",
    "/var/run": "runtime-socket-dir",
    "/run": "runtime-socket-dir",
    "/run/containerd": "containerd-socket",
    "/var/run/containerd": "containerd-socket",
    "/var/run/docker": "docker-socket",
}
INTERNAL_LB = (
    ("service.beta.kubernetes.io/aws-load-balancer-internal", None),
    ("service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"),
    ("networking.gke.io/load-balancer-type", "internal"),
    ("cloud.google.com/load-balancer-type", "internal"),
    ("service.beta.kubernetes.io/azure-load-balancer-internal", "true"),
    ("service.beta.kubernetes.io/oci-load-balancer-internal", "true"),
)

Diag = Callable[[str, str, int, str], None]  # (level, message, line, code)


class Invalid(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class RawWorkload:
    namespace: str
    name: str
    kind: str
    owner: tuple[str, str] | None  # (kind, name) of the controlling owner
    template: PodTemplate
    location: Location


def _map(v: Any, where: str, line: int) -> YMap:
    if v is None:
        return YMap(line)
    if not isinstance(v, dict):
        raise Invalid(f"{where} must be a mapping, not {type(v).__name__}", line)
    return v if isinstance(v, YMap) else YMap(line)


def _list(v: Any, where: str, line: int) -> YList:
    if v is None:
        return YList(line)
    if not isinstance(v, list):
        raise Invalid(f"{where} must be a list, not {type(v).__name__}", line)
    if isinstance(v, YList):
        return v
    out = YList(line)
    out.extend(v)
    out.item_lines.extend([line] * len(v))
    return out


def _labels(v: Any, where: str, line: int) -> Labels:
    m = _map(v, where, line)
    out = []
    for k, x in m.items():
        if isinstance(x, dict | list):
            raise Invalid(f"{where}.{k} must be a string", m.line_of(k))
        out.append((str(k), "" if x is None else _str(x)))
    return tuple(sorted(out))


def _str(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    return str(x)


def selector(v: Any, where: str, line: int) -> Selector:
    m = _map(v, where, line)
    labels = _labels(m.get("matchLabels"), f"{where}.matchLabels", m.line_of("matchLabels"))
    reqs = []
    exprs = _list(m.get("matchExpressions"), f"{where}.matchExpressions", m.line_of("matchExpressions"))
    for i, e in enumerate(exprs):
        el = exprs.line_of(i)
        em = _map(e, f"{where}.matchExpressions[{i}]", el)
        key, op = em.get("key"), em.get("operator")
        if not isinstance(key, str) or op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise Invalid(f"{where}.matchExpressions[{i}]: needs a key and operator In/NotIn/Exists/DoesNotExist", el)
        vals = _list(em.get("values"), f"{where}.matchExpressions[{i}].values", em.line_of("values"))
        if op in ("In", "NotIn") and not vals:
            raise Invalid(f"{where}.matchExpressions[{i}]: operator {op} needs values", el)
        if op in ("Exists", "DoesNotExist") and vals:
            raise Invalid(f"{where}.matchExpressions[{i}]: operator {op} takes no values", el)
        reqs.append(Requirement(key, op, tuple(_str(x) for x in vals)))
    return Selector(labels, tuple(reqs))


def _protocol(v: Any, where: str, line: int) -> str:
    if v is None:
        return "TCP"
    p = str(v).upper()
    if p not in PROTOCOLS:
        raise Invalid(f"{where}: protocol {v!r} is not TCP, UDP or SCTP", line)
    return p


def _port_number(v: Any, where: str, line: int, allow_zero: bool = False) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not ((0 if allow_zero else 1) <= v <= 65535):
        raise Invalid(f"{where}: {v!r} is not a port number (1-65535)", line)
    return v


def _int_or_name(v: Any, where: str, line: int) -> int | str:
    if isinstance(v, int) and not isinstance(v, bool):
        return _port_number(v, where, line)
    if isinstance(v, str):
        if v.isdigit():
            return _port_number(int(v), where, line)
        if not _IANA.match(v):
            raise Invalid(f"{where}: {v!r} is neither a port number nor a valid port name", line)
        return v
    raise Invalid(f"{where}: {v!r} is neither a port number nor a port name", line)


def _cidr(v: Any, where: str, line: int) -> CidrSet:
    if not isinstance(v, str):
        raise Invalid(f"{where}: {v!r} is not a CIDR", line)
    try:
        return CidrSet.of(ipaddress.ip_network(v.strip(), strict=False))
    except ValueError:
        raise Invalid(f"{where}: {v!r} is not a valid CIDR", line) from None


# -- pods ---------------------------------------------------------------------------------------


def pod_template(
    spec_v: Any, labels: Labels, loc: Location, where: str, line: int, problems: list[Invalid] | None = None
) -> PodTemplate:
    spec = _map(spec_v, where, line)
    ports: list[ContainerPort] = []
    images: list[str] = []
    host: list[HostFlag] = []
    for field in ("initContainers", "containers", "ephemeralContainers"):
        cs = _list(spec.get(field), f"{where}.{field}", spec.line_of(field))
        for i, c_v in enumerate(cs):
            c = _map(c_v, f"{where}.{field}[{i}]", cs.line_of(i))
            img = c.get("image")
            if isinstance(img, str) and img:
                images.append(img)
            cps = _list(c.get("ports"), f"{where}.{field}[{i}].ports", c.line_of("ports"))
            for j, p_v in enumerate(cps):
                pw = f"{where}.{field}[{i}].ports[{j}]"
                try:
                    p = _map(p_v, pw, cps.line_of(j))
                    num = _port_number(p.get("containerPort"), f"{pw}.containerPort", p.line_of("containerPort"))
                    proto = _protocol(p.get("protocol"), f"{pw}.protocol", p.line_of("protocol"))
                    hp = p.get("hostPort")
                    hostp = _port_number(hp, f"{pw}.hostPort", p.line_of("hostPort"), True) if hp is not None else 0
                except Invalid as exc:
                    if problems is None:
                        raise
                    problems.append(exc)  # one bad port entry does not hide the workload
                    continue
                name = p.get("name")
                ports.append(
                    ContainerPort(num, proto, str(name) if isinstance(name, str) else "", hostp, cps.line_of(j))
                )
                if hostp:
                    host.append(
                        HostFlag(
                            "host-port",
                            f"hostPort {hostp}/{proto} exposes container port {num} on the node",
                            p.line_of("hostPort"),
                            PortSet.proto(proto, hostp),
                            PortSet.proto(proto, num),
                        )
                    )
            sc = c.get("securityContext")
            if isinstance(sc, dict) and sc.get("privileged") is True:
                host.append(HostFlag("privileged", "privileged container", line_of(sc, "privileged")))
    if spec.get("hostNetwork") is True:
        host.append(
            HostFlag(
                "host-network",
                "hostNetwork: true — the pod uses the node's network namespace",
                spec.line_of("hostNetwork"),
            )
        )
    if spec.get("hostPID") is True:
        host.append(
            HostFlag(
                "host-pid",
                "hostPID: true — the pod sees and can signal every process of the node",
                spec.line_of("hostPID"),
            )
        )
    vols = _list(spec.get("volumes"), f"{where}.volumes", spec.line_of("volumes"))
    for i, v_v in enumerate(vols):
        v = _map(v_v, f"{where}.volumes[{i}]", vols.line_of(i))
        hp = v.get("hostPath")
        if isinstance(hp, dict):
            path = str(hp.get("path", "")).rstrip("/") or "/"
            kind = "host-root-mount" if path == "/" else _SOCKETS.get(path)
            if kind:
                host.append(HostFlag(kind, f"hostPath volume mounts {path} from the node", line_of(hp, "path")))
    return PodTemplate(labels, tuple(ports), tuple(images), tuple(host), loc)


def raw_workload(
    obj: YMap, kind: str, ns: str, name: str, loc: Location, problems: list[Invalid] | None = None
) -> RawWorkload:
    meta = _map(obj.get("metadata"), "metadata", obj.line_of("metadata"))
    owner = None
    refs = _list(meta.get("ownerReferences"), "metadata.ownerReferences", meta.line_of("ownerReferences"))
    chosen = None
    for i, r in enumerate(refs):
        rm = _map(r, f"metadata.ownerReferences[{i}]", refs.line_of(i))
        if chosen is None or rm.get("controller") is True:
            chosen = rm
            if rm.get("controller") is True:
                break
    ok = chosen.get("kind") if chosen is not None else None
    # static (mirror) pods are "owned" by their Node: they stay their own workload
    if chosen is not None and isinstance(chosen.get("name"), str) and ok != "Node":
        owner = (ok if isinstance(ok, str) and ok else "Pod", chosen["name"])
    spec = _map(obj.get("spec"), "spec", obj.line_of("spec"))
    if kind == "Pod":
        labels = _labels(meta.get("labels"), "metadata.labels", meta.line_of("labels"))
        tmpl = pod_template(spec, labels, loc, "spec", obj.line_of("spec"), problems)
    else:
        where = "spec.template"
        if kind == "CronJob":
            jt = _map(spec.get("jobTemplate"), "spec.jobTemplate", spec.line_of("jobTemplate"))
            spec = _map(jt.get("spec"), "spec.jobTemplate.spec", jt.line_of("spec"))
            where = "spec.jobTemplate.spec.template"
        t = _map(spec.get("template"), where, spec.line_of("template"))
        tmeta = _map(t.get("metadata"), f"{where}.metadata", t.line_of("metadata"))
        labels = _labels(tmeta.get("labels"), f"{where}.metadata.labels", tmeta.line_of("labels"))
        tmpl = pod_template(t.get("spec"), labels, loc, f"{where}.spec", t.line_of("spec"), problems)
    return RawWorkload(ns, name, kind, owner, tmpl, loc)


# -- services, ingresses -----------------------------------------------------------------------


def service(obj: YMap, ns: str, name: str, loc: Location) -> Service:
    meta = _map(obj.get("metadata"), "metadata", obj.line_of("metadata"))
    ann = _labels(meta.get("annotations"), "metadata.annotations", meta.line_of("annotations"))
    spec = _map(obj.get("spec"), "spec", obj.line_of("spec"))
    stype = spec.get("type") or "ClusterIP"
    if stype not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        raise Invalid(f"spec.type {stype!r} is not a Service type", spec.line_of("type"))
    sel_v = spec.get("selector")
    sel = _labels(sel_v, "spec.selector", spec.line_of("selector")) if sel_v is not None else None
    ports = []
    plist = _list(spec.get("ports"), "spec.ports", spec.line_of("ports"))
    for i, p_v in enumerate(plist):
        pw = f"spec.ports[{i}]"
        p = _map(p_v, pw, plist.line_of(i))
        num = _port_number(p.get("port"), f"{pw}.port", p.line_of("port"))
        tp = p.get("targetPort")
        target = _int_or_name(tp, f"{pw}.targetPort", p.line_of("targetPort")) if tp is not None else num
        proto = _protocol(p.get("protocol"), f"{pw}.protocol", p.line_of("protocol"))
        np_v = p.get("nodePort")
        node_port = _port_number(np_v, f"{pw}.nodePort", p.line_of("nodePort")) if np_v is not None else 0
        pname = p.get("name")
        ports.append(
            ServicePort(num, target, proto, pname if isinstance(pname, str) else "", node_port, plist.line_of(i))
        )
    ext = _list(spec.get("externalIPs"), "spec.externalIPs", spec.line_of("externalIPs"))
    ext_ips = []
    for i, ip in enumerate(ext):
        _cidr(ip, f"spec.externalIPs[{i}]", ext.line_of(i))
        ext_ips.append(str(ip).strip())
    ranges: CidrSet | None = None
    lsr = _list(
        spec.get("loadBalancerSourceRanges"), "spec.loadBalancerSourceRanges", spec.line_of("loadBalancerSourceRanges")
    )
    if lsr:
        ranges = CidrSet()
        for i, c in enumerate(lsr):
            ranges = ranges | _cidr(c, f"spec.loadBalancerSourceRanges[{i}]", lsr.line_of(i))
    internal = ""
    annd = dict(ann)
    for key, want in INTERNAL_LB:
        if key in annd and ((want is None and annd[key].lower() not in ("false", "")) or annd[key].lower() == want):
            internal = f"{key}: {annd[key]}"
    return Service(
        ns,
        name,
        str(stype),
        sel,
        tuple(ports),
        tuple(ext_ips),
        ranges,
        internal,
        str(spec.get("externalTrafficPolicy") or "Cluster"),
        spec.get("allocateLoadBalancerNodePorts") is not False,
        loc,
        spec.line_of("type"),
    )


def _backend(b_v: Any, where: str, line: int) -> IngressBackend | None:
    b = _map(b_v, where, line)
    svc = b.get("service")
    if isinstance(svc, dict):  # networking.k8s.io/v1
        name = svc.get("name")
        port = _map(svc.get("port"), f"{where}.service.port", line_of(svc, "port"))
        pv: int | str | None = None
        if port.get("number") is not None:
            pv = _port_number(port.get("number"), f"{where}.service.port.number", port.line_of("number"))
        elif port.get("name") is not None:
            pv = str(port.get("name"))
        return IngressBackend(str(name), pv, line) if isinstance(name, str) else None
    name = b.get("serviceName")
    if isinstance(name, str):  # v1beta1
        sp = b.get("servicePort")
        return IngressBackend(
            name, _int_or_name(sp, f"{where}.servicePort", b.line_of("servicePort")) if sp is not None else None, line
        )
    return None


def ingress(obj: YMap, ns: str, name: str, loc: Location) -> Ingress:
    spec = _map(obj.get("spec"), "spec", obj.line_of("spec"))
    out: list[IngressBackend] = []
    for key in ("defaultBackend", "backend"):
        if spec.get(key) is not None:
            b = _backend(spec.get(key), f"spec.{key}", spec.line_of(key))
            if b:
                out.append(b)
    rules = _list(spec.get("rules"), "spec.rules", spec.line_of("rules"))
    for i, r_v in enumerate(rules):
        r = _map(r_v, f"spec.rules[{i}]", rules.line_of(i))
        http = _map(r.get("http"), f"spec.rules[{i}].http", r.line_of("http"))
        paths = _list(http.get("paths"), f"spec.rules[{i}].http.paths", http.line_of("paths"))
        for j, p_v in enumerate(paths):
            p = _map(p_v, f"spec.rules[{i}].http.paths[{j}]", paths.line_of(j))
            b = _backend(p.get("backend"), f"spec.rules[{i}].http.paths[{j}].backend", p.line_of("backend"))
            if b:
                out.append(b)
    return Ingress(ns, name, tuple(out), "Ingress", loc)


def route(obj: YMap, ns: str, name: str, loc: Location) -> Ingress:
    """OpenShift Route: ``spec.to`` (+ ``alternateBackends``) with ``spec.port.targetPort``."""
    spec = _map(obj.get("spec"), "spec", obj.line_of("spec"))
    port = _map(spec.get("port"), "spec.port", spec.line_of("port"))
    tp = port.get("targetPort")
    pv = _int_or_name(tp, "spec.port.targetPort", port.line_of("targetPort")) if tp is not None else None
    out = []
    to = _map(spec.get("to"), "spec.to", spec.line_of("to"))
    if isinstance(to.get("name"), str):
        out.append(IngressBackend(to["name"], pv, spec.line_of("to")))
    alts = _list(spec.get("alternateBackends"), "spec.alternateBackends", spec.line_of("alternateBackends"))
    for i, a in enumerate(alts):
        if isinstance(a, dict) and isinstance(a.get("name"), str):
            out.append(IngressBackend(a["name"], pv, alts.line_of(i)))
    return Ingress(ns, name, tuple(out), "Route", loc)


# -- network policies --------------------------------------------------------------------------


def _rules(v: Any, where: str, line: int, peer_key: str) -> tuple[PolicyRule, ...]:
    rules = _list(v, where, line)
    out = []
    for i, r_v in enumerate(rules):
        rw = f"{where}[{i}]"
        r = _map(r_v, rw, rules.line_of(i))
        peers_v = r.get(peer_key)
        peers: tuple[Peer, ...] | None = None
        if peers_v is not None:
            pl = _list(peers_v, f"{rw}.{peer_key}", r.line_of(peer_key))
            plist = []
            for j, p_v in enumerate(pl):
                pw = f"{rw}.{peer_key}[{j}]"
                pl_line = pl.line_of(j)
                p = _map(p_v, pw, pl_line)
                pod = (
                    selector(p.get("podSelector"), f"{pw}.podSelector", p.line_of("podSelector"))
                    if "podSelector" in p
                    else None
                )
                nss = (
                    selector(p.get("namespaceSelector"), f"{pw}.namespaceSelector", p.line_of("namespaceSelector"))
                    if "namespaceSelector" in p
                    else None
                )
                block = None
                text = ""
                if "ipBlock" in p:
                    if pod is not None or nss is not None:
                        raise Invalid(f"{pw}: ipBlock cannot be combined with selectors", pl_line)
                    ib = _map(p.get("ipBlock"), f"{pw}.ipBlock", p.line_of("ipBlock"))
                    block = _cidr(ib.get("cidr"), f"{pw}.ipBlock.cidr", ib.line_of("cidr"))
                    text = str(ib.get("cidr"))
                    exc = _list(ib.get("except"), f"{pw}.ipBlock.except", ib.line_of("except"))
                    for k, e in enumerate(exc):
                        block = block - _cidr(e, f"{pw}.ipBlock.except[{k}]", exc.line_of(k))
                        text += f" except {e}"
                if pod is None and nss is None and block is None:
                    raise Invalid(f"{pw}: a peer needs podSelector, namespaceSelector or ipBlock", pl_line)
                plist.append(Peer(pod, nss, block, text, pl_line))
            peers = tuple(plist) if plist else None
        ports: tuple[PolicyPort, ...] | None = None
        if r.get("ports") is not None:
            pts = _list(r.get("ports"), f"{rw}.ports", r.line_of("ports"))
            plist2 = []
            for j, p_v in enumerate(pts):
                pw = f"{rw}.ports[{j}]"
                p = _map(p_v, pw, pts.line_of(j))
                proto = _protocol(p.get("protocol"), f"{pw}.protocol", p.line_of("protocol"))
                port = (
                    _int_or_name(p.get("port"), f"{pw}.port", p.line_of("port")) if p.get("port") is not None else None
                )
                end = p.get("endPort")
                end_i = None
                if end is not None:
                    end_i = _port_number(end, f"{pw}.endPort", p.line_of("endPort"))
                    if not isinstance(port, int) or end_i < port:
                        raise Invalid(f"{pw}.endPort needs a numeric port not above it", p.line_of("endPort"))
                plist2.append(PolicyPort(proto, port, end_i))
            ports = tuple(plist2) if plist2 else None
        out.append(PolicyRule(peers, ports, rules.line_of(i)))
    return tuple(out)


def network_policy(obj: YMap, ns: str, name: str, loc: Location) -> NetworkPolicy:
    spec = _map(obj.get("spec"), "spec", obj.line_of("spec"))
    if "podSelector" not in spec:
        raise Invalid("spec.podSelector is required (use {} for every pod)", spec.line)
    sel = selector(spec.get("podSelector"), "spec.podSelector", spec.line_of("podSelector"))
    ing = _rules(spec.get("ingress"), "spec.ingress", spec.line_of("ingress"), "from")
    eg = _rules(spec.get("egress"), "spec.egress", spec.line_of("egress"), "to")
    types_v = spec.get("policyTypes")
    if types_v is None:
        affects_in, affects_out = True, bool(eg)
    else:
        types = _list(types_v, "spec.policyTypes", spec.line_of("policyTypes"))
        for i, t in enumerate(types):
            if t not in ("Ingress", "Egress"):
                raise Invalid(f"spec.policyTypes[{i}]: {t!r} is not Ingress or Egress", types.line_of(i))
        affects_in, affects_out = "Ingress" in types, "Egress" in types
    return NetworkPolicy(ns, name, sel, ing, eg, affects_in, affects_out, loc)


def namespace(obj: YMap, name: str, loc: Location) -> Namespace:
    meta = _map(obj.get("metadata"), "metadata", obj.line_of("metadata"))
    labels = dict(_labels(meta.get("labels"), "metadata.labels", meta.line_of("labels")))
    labels.setdefault(NS_NAME_LABEL, name)
    return Namespace(name, tuple(sorted(labels.items())), loc)


# -- assembling ---------------------------------------------------------------------------------


@dataclass
class Builder:
    """Collects objects of every file, then resolves owners into workloads."""

    cluster: Cluster
    raw: list[RawWorkload]

    def __init__(self) -> None:
        self.cluster = Cluster()
        self.raw = []

    def add(self, obj: YMap, kind: str, loc: Location, diag: Diag) -> None:
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            diag("warning", f"{kind} without metadata skipped", loc.line, "k8s-invalid")
            return
        name = meta.get("name")
        if not isinstance(name, str) or not name:
            gen = meta.get("generateName")
            if isinstance(gen, str) and gen:
                name = gen
            else:
                diag("warning", f"{kind} without metadata.name skipped", loc.line, "k8s-invalid")
                return
        ns_v = meta.get("namespace")
        ns = ns_v if isinstance(ns_v, str) and ns_v else "default"
        try:
            if kind in WORKLOAD_KINDS:
                problems: list[Invalid] = []
                self.raw.append(raw_workload(obj, kind, ns, name, loc, problems))
                for pr in problems:
                    diag("warning", f"{kind} {ns}/{name}: {pr} — entry ignored", pr.line or loc.line, "k8s-invalid")
            elif kind == "Namespace":
                self.cluster.namespaces[name] = namespace(obj, name, loc)
            elif kind == "Service":
                self.cluster.services.append(service(obj, ns, name, loc))
            elif kind == "Ingress":
                self.cluster.ingresses.append(ingress(obj, ns, name, loc))
            elif kind == "Route":
                self.cluster.ingresses.append(route(obj, ns, name, loc))
            elif kind == "NetworkPolicy":
                self.cluster.policies.append(network_policy(obj, ns, name, loc))
            elif kind in ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy"):
                from iacscan.k8s.anp import admin_policy  # anp builds on this module's helpers

                self.cluster.admin_policies.append(admin_policy(obj, kind, name, loc))
        except Invalid as exc:
            diag("error", f"{kind} {ns}/{name}: {exc} — object skipped", exc.line or loc.line, "k8s-invalid")

    def finish(self) -> Cluster:
        index = {(r.namespace, r.kind, r.name): r for r in self.raw}
        groups: dict[tuple[str, str, str], list[RawWorkload]] = {}
        for r in self.raw:
            top = (r.namespace, r.kind, r.name)
            cur = r
            seen = {top}
            while cur.owner is not None:
                key = (cur.namespace, cur.owner[0], cur.owner[1])
                if key in seen:
                    break
                seen.add(key)
                top = key
                nxt = index.get(key)
                if nxt is None:
                    break
                cur = nxt
            groups.setdefault(top, []).append(r)
        for (ns, kind, name), members in sorted(groups.items()):
            head = index.get((ns, kind, name)) or members[0]
            pods: list[PodTemplate] = []
            for m in [head, *members]:
                if m.template not in pods:
                    pods.append(m.template)
            w = Workload(ns, name, kind, tuple(pods), head.location)
            self.cluster.workloads[w.address] = w
            self.cluster.namespace(ns)
        for p in self.cluster.policies:
            self.cluster.namespace(p.namespace)
        for s in self.cluster.services:
            self.cluster.namespace(s.namespace)
        return self.cluster


def relocate(t: PodTemplate, loc: Location) -> PodTemplate:
    return replace(t, location=loc)
