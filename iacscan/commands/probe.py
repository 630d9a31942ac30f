"""``iacscan probe``: try TCP (and optionally UDP) connections to the targets named, nothing else."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from iacscan.commands.common import write_output

SCHEMA = "iacscan/probe/v1"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("probe", help="confirm findings by connecting to the named targets from this host")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--findings", type=Path, metavar="FINDINGS.json", help="`scan --format json` output")
    src.add_argument("--target", action="append", metavar="HOST:PORT", help="target (repeatable; udp/HOST:PORT)")
    p.add_argument("--map", action="append", default=[], metavar="TARGET=HOST", help="address of a finding target")
    p.add_argument("--udp", action="store_true", help="also probe the UDP ports of findings")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds per connection (default 1)")
    p.add_argument("--concurrency", type=int, default=16, help="parallel probes (default 16, max 256)")
    p.add_argument("--rate", type=float, default=50.0, help="probes started per second (default 50)")
    p.add_argument("--max-ports", type=int, default=256, help="ports probed per finding (default 256)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--output", "-o", type=Path, help="write the report here (default stdout)")
    p.set_defaults(func=run)


def _result_json(r: Any) -> dict[str, Any]:
    return {
        "host": r.target.host,
        "port": r.target.port,
        "protocol": r.target.protocol,
        "state": r.state,
        "detail": r.detail,
    }


def run(args: argparse.Namespace) -> int:
    from iacscan.live.probe import PROBED_RULES, ProbeError, Target, finding_targets, parse_target, probe, verdict

    mapping: dict[str, str] = {}
    for m in args.map:
        k, sep, v = str(m).rpartition("=")
        if not sep or not k or not v:
            sys.stderr.write(f"iacscan: error: --map wants TARGET=HOST, got {m!r}\n")
            return 2
        mapping[k] = v
    findings: list[dict[str, Any]] = []
    plan: list[tuple[dict[str, Any], list[Target], str]] = []
    targets: list[Target] = []
    try:
        if args.findings:
            doc = json.loads(args.findings.read_text(encoding="utf-8"))
            findings = [f for f in doc.get("findings", []) if isinstance(f, dict)]
            for f in findings:
                if f.get("rule") not in PROBED_RULES:
                    continue
                ts, note = finding_targets(f, mapping, args.udp, max(1, args.max_ports))
                plan.append((f, ts, note))
                targets.extend(ts)
        else:
            targets = [parse_target(t) for t in args.target]
        results = probe(targets, args.timeout, args.concurrency, args.rate)
    except (OSError, ValueError, ProbeError) as exc:
        sys.stderr.write(f"iacscan: error: {exc}\n")
        return 2
    by_target = {r.target: r for r in results}
    for f, ts, note in plan:
        if not ts:
            f["probe"] = {"status": "skipped", "detail": note}
            continue
        status, detail = verdict([by_target[t] for t in ts])
        if note:
            detail += f" ({note})"
        f["confirmation"] = {"status": status, "live_id": ts[0].host, "detail": detail}
    if args.format == "json":
        out = {
            "schema": SCHEMA,
            "results": [_result_json(r) for r in results],
            "findings": [f for f, _, _ in plan],
        }
        text = json.dumps(out, indent=1) + "\n"
    else:
        lines = [f"{r.target}  {r.state}  {r.detail}" for r in results]
        for f, _, _ in plan:
            c = f.get("confirmation") or f.get("probe") or {}
            lines.append(f"{f.get('rule')} {f.get('target')}: {c.get('status')} — {c.get('detail')}")
        text = "\n".join(lines) + "\n"
    write_output(text, args.output)
    return 0
