#!/usr/bin/env python3
"""Benchmark iacscan against Checkov on one generated estate, in one run.

    python3 benchmarks/run.py [--envs 4] [--services 25] [--checkov PATH] [--out DIR]

1. generates an estate with ../shared/bench/gen_estate.py (ground truth included);
2. scores iacscan's internet-exposure findings with ../shared/bench/score_estate.py
   (recall and precision must both be 1.000);
3. times, on the same terraform/ folder: iacscan cold (empty cache), iacscan warm
   (cache filled by the cold run), and Checkov (`checkov -d DIR --framework terraform
   --quiet -o json`, installed in its own venv because its hcl2 fork shadows python-hcl2:
   `python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov`);
4. prints the ratios. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "bench"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, proc.returncode


def best_of(n: int, cmd: list[str], env: dict[str, str], before: object = None) -> float:
    times = []
    for _ in range(n):
        if callable(before):
            before()
        t, _rc = timed(cmd, env)
        times.append(t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--envs", type=int, default=4)
    ap.add_argument("--services", type=int, default=25)
    ap.add_argument("--checkov", default=os.environ.get("CHECKOV", "/tmp/checkov-venv/bin/checkov"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if not SHARED.is_dir():
        print(f"needs {SHARED} (gen_estate.py, score_estate.py)")
        return 2
    work = args.out or Path(tempfile.mkdtemp(prefix="iacscan-bench-"))
    estate = work / "estate"
    shutil.rmtree(estate, ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            str(SHARED / "gen_estate.py"),
            str(estate),
            "--envs",
            str(args.envs),
            "--services",
            str(args.services),
        ],
        check=True,
    )
    cache = work / "cache"
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    iacscan = [sys.executable, "-m", "iacscan"]
    score = subprocess.run(
        [sys.executable, str(SHARED / "score_estate.py"), str(estate), "--cmd", " ".join(iacscan)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print(score.stdout.strip())
    tf = str(estate / "terraform")
    scan = [*iacscan, "scan", tf, "--format", "json", "--output", os.devnull]

    def clear() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    cold = best_of(args.repeat, scan, env, clear)
    timed(scan, env)  # fill the cache
    warm = best_of(args.repeat, scan, env)
    print(f"iacscan cold  {cold:7.3f} s")
    print(f"iacscan warm  {warm:7.3f} s  ({warm / cold:.0%} of cold)")
    if Path(args.checkov).exists():
        ck_cmd = [args.checkov, "-d", tf, "--framework", "terraform", "--quiet", "-o", "json"]
        ck = best_of(1, ck_cmd, dict(os.environ))
        print(f"checkov       {ck:7.3f} s")
        print(f"ratio: iacscan cold is {ck / cold:.1f}x faster than Checkov; warm {ck / warm:.1f}x")
    else:
        print(f"checkov not found at {args.checkov}: install it in its own venv (see the docstring)")
    return 0 if score.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
