"""Browser-test harness: the dashboard served as a user starts it, and Debian's chromium
driven by Playwright (nothing downloads a browser).

Every page records console errors, page errors, failed requests and any request that
leaves the machine, so tests can assert the page is clean and offline.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    started_in: float


def _negotiation_command() -> list[str]:
    exe = Path(sys.executable).with_name("negotiation")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "experiments.cli"]


@pytest.fixture(scope="session")
def dashboard_server() -> Iterator[Server]:
    """``negotiation dashboard`` on a free loopback port, as a user starts it."""
    port = _free_port()
    start = time.perf_counter()
    process = subprocess.Popen(
        [*_negotiation_command(), "dashboard", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"the dashboard exited early:\n{output}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the dashboard did not answer within 90 s")
            time.sleep(0.3)
        yield Server(url, process, time.perf_counter() - start)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run 'make browser' (Debian's chromium)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@dataclass
class PageLog:
    """What a page reported while a test used it."""

    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.console_errors, self.console_errors
        assert not self.failed_requests, self.failed_requests
        assert not self.external_requests, self.external_requests


@pytest.fixture
def open_page(browser, dashboard_server):  # type: ignore[no-untyped-def]
    """Open the dashboard in a fresh browser context; returns (page, log)."""
    contexts = []

    def open_() -> tuple[object, PageLog]:
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        contexts.append(context)
        page = context.new_page()
        log = PageLog()
        page.on(
            "console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: log.console_errors.append(str(e)))
        page.on("requestfailed", lambda r: log.failed_requests.append(f"{r.url} {r.failure}"))
        page.on(
            "response",
            lambda r: (
                log.failed_requests.append(f"{r.status} {r.url}") if r.status >= 400 else None
            ),
        )

        def check_host(request) -> None:  # type: ignore[no-untyped-def]
            host = urlparse(request.url).hostname or ""
            if (
                request.url.startswith(("http://", "https://", "ws://", "wss://"))
                and host not in LOCAL_HOSTS
            ):
                log.external_requests.append(request.url)

        page.on("request", check_host)
        page.goto(dashboard_server.url)
        page.get_by_role("button", name="Step").wait_for(timeout=90_000)
        page.get_by_text(re.compile(r"^(Round \d+ of|Before round 1)")).first.wait_for(
            timeout=90_000
        )
        return page, log

    yield open_
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
