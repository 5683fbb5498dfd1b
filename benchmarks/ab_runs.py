"""Flagship runs of two commits, side by side: the before/after ratio of a change.

    python -m benchmarks.ab_runs BASELINE [--batches 5] [--runs 200] [--scenario NAME]

Checks out ``BASELINE`` (any git revision) into a temporary worktree and times batches
of seeded ``run_once`` calls of the working tree and of the baseline, alternating, each
batch in a fresh process with that tree first on ``sys.path`` (one warm-up run first, so
imports and compiled kernels are not counted). Alternating keeps a shared machine's
drift out of the ratio. It also checks that both trees give the same outcome records,
hashing their JSON. Prints medians (ms per run), the ratio and the hashes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BATCH = """
import hashlib, json, sys, time
from negotiation import load_scenario, run_once
scenario = load_scenario(sys.argv[1])
runs = int(sys.argv[2])
run_once(scenario, seed=0)
start = time.perf_counter()
rows = [run_once(scenario, seed=seed).to_row() for seed in range(runs)]
elapsed = time.perf_counter() - start
digest = hashlib.sha256(json.dumps(rows, sort_keys=True, default=repr).encode()).hexdigest()
print(elapsed / runs * 1e3, digest)
"""


def batch(tree: Path, scenario: str, runs: int) -> tuple[float, str]:
    """One batch in a fresh process on ``tree``: ms per run and the records' hash."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", BATCH, scenario, str(runs)],
        cwd=tempfile.gettempdir(),  # so that the working directory is not on the path
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), out[1]


@contextlib.contextmanager
def checked_out(revision: str) -> Iterator[Path]:
    """``revision`` checked out into a temporary worktree, removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(tree), revision], cwd=ROOT, check=True
        )
        try:
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", help="the git revision to compare against")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--runs", type=int, default=200, help="runs per batch")
    parser.add_argument("--scenario", default="kuala-lumpur-2025")
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {"baseline": [], "working tree": []}
    hashes: dict[str, set[str]] = {"baseline": set(), "working tree": set()}
    with checked_out(args.baseline) as old:
        for _ in range(args.batches):
            for name, tree in (("baseline", old), ("working tree", ROOT)):
                ms, digest = batch(tree, args.scenario, args.runs)
                times[name].append(ms)
                hashes[name].add(digest)
    before, after = (statistics.median(times[k]) for k in ("baseline", "working tree"))
    print(f"{args.baseline}: {before:.3f} ms per run (median of {args.batches} batches)")
    print(f"working tree: {after:.3f} ms per run; ratio {after / before:.3f}")
    same = hashes["baseline"] == hashes["working tree"]
    print(f"outcome records {'identical' if same else 'DIFFER'}: {sorted(hashes['working tree'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
