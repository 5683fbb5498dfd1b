"""Dashboard benchmarks in a real browser (Debian's chromium via Playwright).

    python benchmarks/bench_dashboard.py [--json PATH] [--repeats N]

Measures: time from starting ``negotiation dashboard`` to the live page being ready
(Step button and countdown shown); time from a Step click to the updated countdown and
offers chart (median of ``--repeats`` clicks); Play through a whole flagship run at the
page's default interval (median of 3); a warm reload to ready (median of 5); wall time of
a 200-run ensemble started from the Ensemble page.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

READY = re.compile(r"^(Round \d+ of|Before round 1)")
END = re.compile(r"Truce on \d{4}-\d\d-\d\d|No truce before the summit")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(repeats: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    exe = Path(sys.executable).with_name("negotiation")
    port = _port()
    start = time.perf_counter()
    server = subprocess.Popen(
        [str(exe), "dashboard", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
                    break
                except Exception:  # the server is still starting
                    time.sleep(0.2)
            page.get_by_text(READY).first.wait_for(timeout=120_000)
            page.get_by_role("button", name="Step").wait_for(timeout=120_000)
            ready = time.perf_counter() - start
            steps = _steps(page, repeats)
            plays = [_play(page) for _ in range(3)]
            loads = []
            for _ in range(5):
                t = time.perf_counter()
                page.reload()
                page.get_by_text(READY).first.wait_for(timeout=60_000)
                page.get_by_role("button", name="Step").wait_for(timeout=60_000)
                loads.append(time.perf_counter() - t)
            page.get_by_role("tab", name="Ensemble").click()
            t = time.perf_counter()
            page.get_by_role("button", name="Run ensemble").click()
            page.get_by_text(re.compile(r"200 runs of")).first.wait_for(timeout=120_000)
            ensemble = time.perf_counter() - t
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    return {
        "server_start_to_page_ready_s": ready,
        "step_click_to_update_s_median": statistics.median(steps),
        "step_samples": len(steps),
        "play_whole_run_s_median": statistics.median(plays),
        "warm_reload_to_ready_s_median": statistics.median(loads),
        "ensemble_200_runs_s": ensemble,
    }


# The offers chart's drawing: it changes when the chart is drawn again for a new round.
OFFERS_SVG = "document.querySelector('figure svg.marks')?.innerHTML ?? ''"


def _steps(page: Any, samples: int) -> list[float]:
    """Step click to the page updated: the countdown at the next round and the offers
    chart drawn again; ``samples`` clicks over as many runs as that takes (Reset
    between), so each sample is a step of a running run."""
    times: list[float] = []
    while len(times) < samples:
        page.get_by_role("button", name="Reset").click()
        page.get_by_text(re.compile(r"^Before round 1")).first.wait_for(timeout=30_000)
        for n in range(1, 13):
            if len(times) >= samples:
                break
            before = page.evaluate(OFFERS_SVG)
            t = time.perf_counter()
            page.get_by_role("button", name="Step").click()
            page.get_by_text(re.compile(rf"^Round {n} of")).first.wait_for(timeout=30_000)
            page.wait_for_function(f"{OFFERS_SVG} !== {json.dumps(before)}", timeout=30_000)
            times.append(time.perf_counter() - t)
    return times


def _play(page: Any) -> float:
    """Play from a fresh run to its end, at the page's default interval."""
    page.get_by_role("button", name="Reset").click()
    page.get_by_text(re.compile(r"^Before round 1")).first.wait_for(timeout=30_000)
    t = time.perf_counter()
    page.get_by_role("button", name="Play").click()
    page.get_by_text(END).first.wait_for(timeout=120_000)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=24, help="Step clicks to time")
    args = parser.parse_args(argv)
    results = measure(args.repeats)
    text = json.dumps(results, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
