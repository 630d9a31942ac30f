"""``iacscan collect aws|k8s``: read-only snapshots of a live estate for ``scan`` and ``--confirm``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_aws_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    regions = p.add_mutually_exclusive_group()
    regions.add_argument("--region", action="append", default=[], metavar="R", help="region to collect (repeatable)")
    regions.add_argument("--all-regions", action="store_true", help="every region enabled for the account")
    p.add_argument("--endpoint-url", metavar="URL", help="alternative API endpoint (testing, e.g. moto)")


def add_k8s_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--kubeconfig", type=Path, metavar="FILE", help="kubeconfig (default: $KUBECONFIG or ~/.kube/config)"
    )
    p.add_argument("--context", metavar="C", help="kubeconfig context")
    p.add_argument("--namespace", action="append", default=[], metavar="N", help="namespace (repeatable; default all)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("collect", help="snapshot a live AWS account or Kubernetes cluster (read-only)")
    kinds = p.add_subparsers(dest="collect_kind", metavar="KIND", parser_class=type(p))
    aws = kinds.add_parser("aws", help="AWS network estate via boto3 (Describe/List/Get calls only)")
    add_aws_options(aws)
    aws.add_argument("-o", "--output", type=Path, required=True, metavar="SNAPSHOT.json")
    aws.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    aws.set_defaults(func=run_aws)
    k8s = kinds.add_parser("k8s", help="Kubernetes objects via the official client, as a manifest List")
    add_k8s_options(k8s)
    k8s.add_argument("-o", "--output", type=Path, required=True, metavar="CLUSTER.yaml")
    k8s.set_defaults(func=run_k8s)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return 2


def aws_options(args: argparse.Namespace) -> object:
    from iacscan.live.aws_collect import CollectOptions

    return CollectOptions(
        profile=getattr(args, "profile", None),
        regions=tuple(getattr(args, "region", None) or ()),
        all_regions=bool(getattr(args, "all_regions", False)),
        endpoint_url=getattr(args, "endpoint_url", None),
    )


def _write(path: Path, text: str) -> None:
    if str(path) == "-":
        sys.stdout.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def run_aws(args: argparse.Namespace) -> int:
    from iacscan.live.aws_collect import CollectOptions, collect

    opts = aws_options(args)
    assert isinstance(opts, CollectOptions)
    try:
        doc = collect(opts, progress=not args.no_progress)
    except Exception as exc:  # no credentials, bad profile...: a message, never a traceback or a secret
        sys.stderr.write(f"iacscan: collect aws failed: {type(exc).__name__}\n")
        return 2
    _write(args.output, json.dumps(doc, indent=1) + "\n")  # keys unsorted: "schema" first, scan sniffs it
    for d in doc["diagnostics"]:
        sys.stderr.write(f"iacscan: {d['region']} {d['service']}:{d['operation']}: {d['code']}\n")
    return 0


def run_k8s(args: argparse.Namespace) -> int:
    from iacscan.live.k8s_collect import K8sOptions, collect, dump

    opts = K8sOptions(kubeconfig=args.kubeconfig, context=args.context, namespaces=tuple(args.namespace or ()))
    try:
        doc = collect(opts)
    except Exception as exc:
        sys.stderr.write(f"iacscan: collect k8s failed: {type(exc).__name__}: {str(exc)[:200]}\n")
        return 2
    _write(args.output, dump(doc))
    for d in doc.get("diagnostics", []):
        sys.stderr.write(f"iacscan: {d}\n")
    return 0
