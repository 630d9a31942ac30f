"""Kubernetes collection: the official client against a small threaded API server started here."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from iacscan.cli import main

TOKEN = "sekret-bearer-token-never-in-output"
ENV_SECRET = "hunter2-never-in-output"


def _meta(name: str, ns: str | None = None, **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name, "uid": f"uid-{name}", "resourceVersion": "1", **extra}
    if ns:
        m["namespace"] = ns
    m["managedFields"] = [{"manager": "kubectl"}]
    return m


POD_SPEC = {
    "containers": [
        {
            "name": "web",
            "image": "nginx:1.25",
            "ports": [{"containerPort": 80}],
            "env": [{"name": "DB_PASSWORD", "value": ENV_SECRET}],
        }
    ]
}
LABELS = {"app": "web"}
DEPLOYMENT = {
    "metadata": _meta(
        "web",
        "shop",
        labels=LABELS,
        annotations={"kubectl.kubernetes.io/last-applied-configuration": ENV_SECRET},
    ),
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": LABELS},
        "template": {"metadata": {"labels": LABELS}, "spec": POD_SPEC},
    },
    "status": {"replicas": 1},
}
OWNED_POD = {
    "metadata": _meta(
        "web-abc-1",
        "shop",
        labels=LABELS,
        ownerReferences=[
            {"kind": "ReplicaSet", "name": "web-abc", "controller": True, "apiVersion": "apps/v1", "uid": "x"}
        ],
    ),
    "spec": POD_SPEC,
}
BARE_POD = {"metadata": _meta("debug", "shop", labels={"app": "debug"}), "spec": POD_SPEC}
SERVICE = {
    "metadata": _meta("web", "shop"),
    "spec": {"type": "LoadBalancer", "selector": LABELS, "ports": [{"port": 80, "targetPort": 80, "nodePort": 30080}]},
    "status": {"loadBalancer": {}},
}
NODE = {
    "metadata": _meta("node-1", labels={"kubernetes.io/hostname": "node-1"}),
    "spec": {"podCIDR": "10.244.0.0/24"},
    "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.10"}], "images": [{"names": ["x"]}]},
}
ANP = {
    "metadata": _meta("deny-kube-system"),
    "spec": {
        "priority": 10,
        "subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}},
        "ingress": [
            {
                "action": "Deny",
                "from": [{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
            }
        ],
    },
}
ROUTES: dict[str, list[dict[str, Any]] | int] = {
    "/api/v1/namespaces": [{"metadata": _meta("shop", labels={"kubernetes.io/metadata.name": "shop"})}],
    "/api/v1/nodes": [NODE],
    "/api/v1/pods": [OWNED_POD, BARE_POD],
    "/api/v1/services": [SERVICE],
    "/apis/apps/v1/deployments": [DEPLOYMENT],
    "/apis/apps/v1/statefulsets": [],
    "/apis/apps/v1/daemonsets": [],
    "/apis/apps/v1/replicasets": [],
    "/apis/batch/v1/jobs": [],
    "/apis/batch/v1/cronjobs": 403,
    "/apis/networking.k8s.io/v1/ingresses": [],
    "/apis/networking.k8s.io/v1/networkpolicies": [],
    "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies": [ANP],
    # baselineadminnetworkpolicies: not served (CRD absent) -> 404, silently skipped
}
SECOND_NS = {"metadata": _meta("kube-system", labels={"kubernetes.io/metadata.name": "kube-system"})}


class _Api(BaseHTTPRequestHandler):
    seen: list[str] = []  # noqa: RUF012

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        q = parse_qs(url.query)
        self.seen.append(self.path)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"kind": "Status", "code": 401})
        route = ROUTES.get(url.path)
        if route is None:
            return self._send(404, {"kind": "Status", "code": 404})
        if isinstance(route, int):
            return self._send(route, {"kind": "Status", "apiVersion": "v1", "code": route, "reason": "Forbidden"})
        assert q.get("limit") == ["500"], self.path
        items, meta = list(route), {"resourceVersion": "1"}
        if url.path == "/api/v1/namespaces":  # two pages
            if q.get("continue") == ["page2"]:
                items = [SECOND_NS]
            else:
                meta["continue"] = "page2"
        return self._send(200, {"kind": "List", "apiVersion": "v1", "metadata": meta, "items": items})

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Iterator[Path]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    host, port = server.server_address[:2]
    cfg = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": {"server": f"http://{host!s}:{port}"}}],
        "users": [{"name": "test", "user": {"token": TOKEN}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
        "current-context": "test",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    _Api.seen = []
    try:
        yield path
    finally:
        server.shutdown()
        t.join(timeout=5)


def _collect(kubeconfig: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str, str]:
    assert main(["collect", "k8s", "--kubeconfig", str(kubeconfig), "--context", "test", "-o", str(out)]) == 0
    text = out.read_text()
    err = capsys.readouterr().err
    return yaml.safe_load(text), text, err


def test_collect_manifest_list(kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc, text, err = _collect(kubeconfig, tmp_path / "cluster.yaml", capsys)
    assert doc["kind"] == "List" and doc["apiVersion"] == "v1"
    got = sorted((i["kind"], i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in doc["items"])
    assert got == [
        ("AdminNetworkPolicy", "", "deny-kube-system"),
        ("Deployment", "shop", "web"),
        ("Namespace", "", "kube-system"),
        ("Namespace", "", "shop"),
        ("Node", "", "node-1"),
        ("Pod", "shop", "debug"),
        ("Service", "shop", "web"),
    ]
    node = next(i for i in doc["items"] if i["kind"] == "Node")
    assert node == {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-1", "labels": {"kubernetes.io/hostname": "node-1"}},
        "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.10"}]},
    }
    # forbidden resource -> diagnostic, the rest still collected
    assert "BaselineAdminNetworkPolicy" not in err  # an absent CRD is not a problem
    assert "CronJob: forbidden" in err and text.startswith("# iacscan collect k8s: CronJob: forbidden\n")
    # pagination followed, secrets dropped
    assert any("continue=page2" in p for p in _Api.seen)
    for secret in (TOKEN, ENV_SECRET):
        assert secret not in text and secret not in err
    assert "managedFields" not in text
    dep = next(i for i in doc["items"] if i["kind"] == "Deployment")
    assert dep["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "DB_PASSWORD"}]


def test_collect_namespaced(kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ns.yaml"
    code = main(["collect", "k8s", "--kubeconfig", str(kubeconfig), "--namespace", "shop", "-o", str(out)])
    assert code == 0
    # namespaced list endpoints are not served by the fake API: each becomes a diagnostic, no crash
    err = capsys.readouterr().err
    assert "Deployment in namespace shop: HTTP 404" in err
    doc = yaml.safe_load(out.read_text())
    assert [i["metadata"]["name"] for i in doc["items"] if i["kind"] == "Namespace"] == ["shop"]


def test_scan_and_confirm_collected_cluster(
    kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("iacscan.ingest.kubernetes")
    live = tmp_path / "live" / "cluster.yaml"
    _collect(kubeconfig, live, capsys)
    assert main(["scan", str(live), "--no-cache", "--format", "json", "--fail-on", "none"]) == 0
    live_doc = json.loads(capsys.readouterr().out)
    live_targets = {f["target"] for f in live_doc["findings"]}
    if not live_targets:
        pytest.skip("the kubernetes layer reports nothing for this cluster yet")
    static = tmp_path / "static"
    static.mkdir()
    manifests = [
        {"apiVersion": "apps/v1", "kind": "Deployment", **{k: DEPLOYMENT[k] for k in ("metadata", "spec")}},
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": SERVICE["spec"],
        },
    ]
    (static / "app.yaml").write_text(yaml.safe_dump_all(manifests))
    argv = ["scan", str(static), "--no-cache", "--format", "json", "--fail-on", "none"]
    assert main([*argv, "--confirm", "k8s", "--live-snapshot", str(live)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert all("confirmation" in f for f in doc["findings"]), doc["findings"]
    statuses = {(f["rule"], f["target"]): f["confirmation"]["status"] for f in doc["findings"]}
    assert statuses[("internet-exposed", "shop/web[Deployment]")] == "confirmed"
    # the bare "debug" pod exists only live
    assert {s for (_, t), s in statuses.items() if t == "shop/debug[Pod]"} == {"live-only"}
    assert "not-deployed" not in statuses.values()


def test_confirm_collects_cluster_when_no_snapshot(
    kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("iacscan.ingest.kubernetes")
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.yaml").write_text(
        yaml.safe_dump(
            {"apiVersion": "apps/v1", "kind": "Deployment", **{k: DEPLOYMENT[k] for k in ("metadata", "spec")}}
        )
    )
    argv = ["scan", str(static), "--no-cache", "--format", "json", "--fail-on", "none"]
    assert main([*argv, "--confirm", "k8s", "--kubeconfig", str(kubeconfig)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert any(p.startswith("/apis/apps/v1/deployments") for p in _Api.seen)
    assert doc["findings"] and all("confirmation" in f for f in doc["findings"])
    assert TOKEN not in json.dumps(doc)
