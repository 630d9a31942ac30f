"""Read-only Kubernetes collection with the official client → a manifest ``List``.

Lists namespaces, pods, workload controllers, services, ingresses, network
policies and nodes (name, labels, addresses), paginated with ``limit``/``continue``.
Raw JSON is kept (``_preload_content=False``: no client-side model validation), so
the output reads like any manifest.  A forbidden or unserved resource becomes a
diagnostic; the rest is still collected.

Nothing secret is written: Secrets are never listed; ``env`` values, managed
fields and ``last-applied-configuration`` annotations are dropped.  Pods and
ReplicaSets/Jobs that a controller owns are left out (their controller carries
the same spec), so findings name the controller as the manifests do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGE = 500

# (API class, list-all method, list-namespaced method, apiVersion, kind)
RESOURCES: tuple[tuple[str, str, str, str, str], ...] = (
    ("CoreV1Api", "list_namespace", "", "v1", "Namespace"),
    ("CoreV1Api", "list_node", "", "v1", "Node"),
    ("CoreV1Api", "list_pod_for_all_namespaces", "list_namespaced_pod", "v1", "Pod"),
    ("CoreV1Api", "list_service_for_all_namespaces", "list_namespaced_service", "v1", "Service"),
    ("AppsV1Api", "list_deployment_for_all_namespaces", "list_namespaced_deployment", "apps/v1", "Deployment"),
    ("AppsV1Api", "list_stateful_set_for_all_namespaces", "list_namespaced_stateful_set", "apps/v1", "StatefulSet"),
    ("AppsV1Api", "list_daemon_set_for_all_namespaces", "list_namespaced_daemon_set", "apps/v1", "DaemonSet"),
    ("AppsV1Api", "list_replica_set_for_all_namespaces", "list_namespaced_replica_set", "apps/v1", "ReplicaSet"),
    ("BatchV1Api", "list_job_for_all_namespaces", "list_namespaced_job", "batch/v1", "Job"),
    ("BatchV1Api", "list_cron_job_for_all_namespaces", "list_namespaced_cron_job", "batch/v1", "CronJob"),
    (
        "NetworkingV1Api",
        "list_ingress_for_all_namespaces",
        "list_namespaced_ingress",
        "networking.k8s.io/v1",
        "Ingress",
    ),
    (
        "NetworkingV1Api",
        "list_network_policy_for_all_namespaces",
        "list_namespaced_network_policy",
        "networking.k8s.io/v1",
        "NetworkPolicy",
    ),
)
ADMIN_GROUP, ADMIN_VERSION = "policy.networking.k8s.io", "v1alpha1"
ADMIN_POLICIES = (
    ("adminnetworkpolicies", "AdminNetworkPolicy"),
    ("baselineadminnetworkpolicies", "BaselineAdminNetworkPolicy"),
)
_DROP_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


@dataclass
class K8sOptions:
    kubeconfig: Path | None = None
    context: str | None = None
    namespaces: tuple[str, ...] = ()


def scrub(obj: Any) -> Any:
    """Drop env values, managed fields and last-applied annotations, recursively."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            if k == "managedFields":
                continue
            if k == "env" and isinstance(v, list):
                out[k] = [
                    {kk: vv for kk, vv in e.items() if kk in ("name", "valueFrom")} for e in v if isinstance(e, dict)
                ]
                continue
            if k == "annotations" and isinstance(v, dict):
                out[k] = {a: b for a, b in v.items() if a not in _DROP_ANNOTATIONS}
                continue
            out[k] = scrub(v)
        return out
    if isinstance(obj, list):
        return [scrub(v) for v in obj]
    return obj


def _owned(item: dict[str, Any], kinds: tuple[str, ...]) -> bool:
    refs = (item.get("metadata") or {}).get("ownerReferences") or []
    return any(isinstance(r, dict) and r.get("controller") and r.get("kind") in kinds for r in refs)


def _node(item: dict[str, Any]) -> dict[str, Any]:
    meta = item.get("metadata") or {}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": meta.get("name", ""), "labels": meta.get("labels") or {}},
        "status": {"addresses": (item.get("status") or {}).get("addresses") or []},
    }


def _api_client(opts: K8sOptions) -> Any:
    from kubernetes import client, config

    path = str(opts.kubeconfig) if opts.kubeconfig else os.environ.get("KUBECONFIG", "")
    if not path and not (Path.home() / ".kube" / "config").exists() and os.environ.get("KUBERNETES_SERVICE_HOST"):
        getattr(config, "load_incluster_config")()  # noqa: B009 - untyped in the client
        return client.ApiClient()
    new_client = getattr(config, "new_client_from_config")  # noqa: B009
    return new_client(config_file=path or None, context=opts.context)


def collect(opts: K8sOptions, api_client: Any = None) -> dict[str, Any]:
    """Every supported object as a manifest ``List``; ``diagnostics`` lists what could not be read."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    api = api_client or _api_client(opts)
    items: list[dict[str, Any]] = []
    diagnostics: list[str] = []

    def pages(fn: Callable[..., Any], *args: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"limit": PAGE, "_preload_content": False}
            if token:
                kwargs["_continue"] = token
            resp = fn(*args, **kwargs)
            doc = json.loads(resp.data)
            out.extend(i for i in doc.get("items") or [] if isinstance(i, dict))
            token = (doc.get("metadata") or {}).get("continue") or None
            if not token:
                return out

    for cls, all_ns, per_ns, api_version, kind in RESOURCES:
        inst = getattr(client, cls)(api)
        calls: list[tuple[Callable[..., Any], tuple[str, ...]]] = []
        if opts.namespaces and per_ns:
            calls = [(getattr(inst, per_ns), (ns,)) for ns in opts.namespaces]
        else:
            calls = [(getattr(inst, all_ns), ())]
        for fn, args in calls:
            try:
                got = pages(fn, *args)
            except ApiException as exc:
                where = f" in namespace {args[0]}" if args else ""
                what = "forbidden" if exc.status == 403 else f"HTTP {exc.status}"
                diagnostics.append(f"{kind}{where}: {what}")
                continue
            for item in got:
                if (
                    kind == "Namespace"
                    and opts.namespaces
                    and item.get("metadata", {}).get("name") not in opts.namespaces
                ):
                    continue
                if kind == "Pod" and _owned(item, ("ReplicaSet", "StatefulSet", "DaemonSet", "Job")):
                    continue
                if kind == "ReplicaSet" and _owned(item, ("Deployment",)):
                    continue
                if kind == "Job" and _owned(item, ("CronJob",)):
                    continue
                if kind == "Node":
                    items.append(_node(item))
                    continue
                obj = scrub(item)
                obj["apiVersion"] = api_version
                obj["kind"] = kind
                if kind not in ("Service", "Ingress"):
                    obj.pop("status", None)
                items.append(obj)
    # Cluster-scoped admin policies (policy.networking.k8s.io CRDs); absent CRDs (404) are normal.
    custom = client.CustomObjectsApi(api)
    for plural, kind in ADMIN_POLICIES:
        try:
            got = pages(custom.list_cluster_custom_object, ADMIN_GROUP, ADMIN_VERSION, plural)
        except ApiException as exc:
            if exc.status != 404:
                diagnostics.append(f"{kind}: {'forbidden' if exc.status == 403 else f'HTTP {exc.status}'}")
            continue
        for item in got:
            obj = scrub(item)
            obj["apiVersion"] = f"{ADMIN_GROUP}/{ADMIN_VERSION}"
            obj["kind"] = kind
            obj.pop("status", None)
            items.append(obj)
    return {"apiVersion": "v1", "kind": "List", "items": items, "diagnostics": diagnostics}


def dump(doc: dict[str, Any]) -> str:
    """YAML text: diagnostics as leading comments, then the ``List``."""
    import yaml

    head = "".join(f"# iacscan collect k8s: {d}\n" for d in doc.get("diagnostics") or [])
    body = {k: v for k, v in doc.items() if k != "diagnostics"}
    return head + yaml.safe_dump(body, sort_keys=False)
