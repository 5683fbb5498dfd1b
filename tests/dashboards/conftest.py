"""Browser-test harness: Solara pages served by a real server process, driven in Debian's
chromium through Playwright (nothing downloads a browser), with everything the page did
recorded so a test can assert it stayed clean and offline.

Fixtures (see each docstring):
- ``solara_server(app, *, timeout=90.0) -> SolaraServer`` (session): serve any Solara app
  (a file such as ``pages/hello.py``, or a module such as ``dashboards.app``) on
  127.0.0.1 and a free port; one server per app, shared by the session.
- ``dashboard_server -> SolaraServer`` (session): the dashboard as a user starts it
  (``negotiation dashboard --port N``).
- ``browser -> playwright Browser`` (session): ``/usr/bin/chromium``, headless.
- ``new_page(url, *, wait_for_text=None) -> (Page, PageLog)`` (per test): a page in a fresh
  browser context, recording console errors, page errors, failed requests and requests
  for other hosts (which are also aborted before they leave the machine); a failing test
  leaves a screenshot of each of its pages.
- ``open_page() -> (Page, PageLog)`` (per test): the dashboard's live page, ready to Step.

``screenshot(page, name)`` saves ``artifacts/screenshots/<name>.png``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest

from experiments import dashboard_cli
from experiments.dashboard_cli import SERVER_SETTINGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

REPO = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).resolve().parent / "pages"
ARTIFACTS = REPO / "artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Any http(s) URL whose host is not the loopback: matched inside Playwright's driver.
EXTERNAL_URL = re.compile(r"^https?://(?!(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?/)")
CDN_PATH = "/_solara/cdn/"
# For every server the tests start, so that it never reaches outside the machine:
# - Solara posts usage telemetry to an outside host unless told not to;
# - an asset missing from the offline install would be fetched from the CDN (and cached in
#   the venv) on a machine that is online, hiding the gap: the CDN is a closed loopback
#   port instead, so a missing asset fails the test on every machine;
# - anything else the server fetches over http(s) (``solara run`` asks PyPI for a newer
#   version unless ``--no-check-version``) goes to a proxy that is that same closed port.
_CLOSED = "http://127.0.0.1:9"
_PROXIES = {"http_proxy": _CLOSED, "https_proxy": _CLOSED, "no_proxy": "127.0.0.1,localhost,::1"}
SERVER_ENV: Mapping[str, str] = {
    **SERVER_SETTINGS,
    "SOLARA_ASSETS_CDN": _CLOSED + "/",
    **_PROXIES,
    **{name.upper(): value for name, value in _PROXIES.items()},  # lowercase wins if both
}
START_TIMEOUT = 90.0
STOP_TIMEOUT = 10.0
_PR_SET_PDEATHSIG = 1


# --------------------------------------------------------------------------- servers


@dataclass
class SolaraServer:
    """A Solara server process serving one app on the loopback interface."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    started_in: float

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's output (stdout and stderr), for error messages."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def solara_command(app: str | Path, port: int) -> list[str]:
    """``solara run`` for ``app`` on 127.0.0.1, exactly as ``negotiation dashboard`` runs it."""
    return dashboard_cli.solara_command("127.0.0.1", port, str(app))


def _own_session_dying_with_parent() -> None:
    """In the child before exec: lead a new process group (so teardown can signal the whole
    group) and get SIGTERM if pytest dies without tearing down (Linux), so no server is
    orphaned."""
    os.setsid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def start_server(
    command: list[str], url: str, log_path: Path, timeout: float = START_TIMEOUT
) -> SolaraServer:
    """Start ``command`` and wait until ``url`` answers 200; raise with the server's output
    if it exits or does not answer within ``timeout`` seconds."""
    env = {**os.environ, **SERVER_ENV}
    start = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_own_session_dying_with_parent,
        )
    server = SolaraServer(url, process, log_path, 0.0)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{' '.join(command)} exited with {process.returncode}:\n{server.log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{' '.join(command)} did not answer on {url} within {timeout:.0f} s:\n"
                    f"{server.log_tail()}"
                )
            time.sleep(0.25)
    except BaseException:
        stop_server(server)
        raise
    server.started_in = time.perf_counter() - start
    return server


def stop_server(server: SolaraServer) -> None:
    """SIGTERM the server's process group, SIGKILL it if it lingers; leave no process."""
    pgid = server.process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=STOP_TIMEOUT)
    # Whatever is left in the group: the leader if it hung, or any child it made.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    server.process.wait()


@pytest.fixture(scope="session")
def compiled_kernels() -> None:
    """The model's kernels in numba's cache before any server starts: on a cold cache
    (a fresh clone, or after an edit of a kernel) the server and each of its workers
    would otherwise compile them at once, and pages would wait a minute or more."""
    from negotiation.compilation import compile_kernels

    compile_kernels()


@pytest.fixture(scope="session")
def solara_server(
    tmp_path_factory: pytest.TempPathFactory, compiled_kernels: None
) -> Iterator[Callable[..., SolaraServer]]:
    """Factory ``serve(app, *, timeout=90.0) -> SolaraServer``: serve a Solara app file or
    module on 127.0.0.1 and a free port. Each app is started once per test session and
    stopped (with its process group) at the end."""
    servers: dict[str, SolaraServer] = {}
    logs = tmp_path_factory.mktemp("solara-logs")

    def serve(app: str | Path, *, timeout: float = START_TIMEOUT) -> SolaraServer:
        key = str(app)
        if key not in servers:
            port = free_port()
            name = re.sub(r"[^\w.-]+", "_", Path(key).stem or key)
            servers[key] = start_server(
                solara_command(app, port),
                f"http://127.0.0.1:{port}/",
                logs / f"{name}-{port}.log",
                timeout,
            )
        return servers[key]

    try:
        yield serve
    finally:
        for server in servers.values():
            stop_server(server)


def _negotiation_command() -> list[str]:
    exe = Path(sys.executable).with_name("negotiation")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "experiments.cli"]


@pytest.fixture(scope="session")
def dashboard_server(
    tmp_path_factory: pytest.TempPathFactory, compiled_kernels: None
) -> Iterator[SolaraServer]:
    """``negotiation dashboard`` on a free loopback port, as a user starts it."""
    port = free_port()
    server = start_server(
        [*_negotiation_command(), "dashboard", "--port", str(port)],
        f"http://127.0.0.1:{port}/",
        tmp_path_factory.mktemp("dashboard-logs") / "dashboard.log",
    )
    try:
        yield server
    finally:
        stop_server(server)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium (``/usr/bin/chromium``, from ``make browser``), headless, driven by
    Playwright's sync API. Each ``launch`` gets a fresh temporary user-data-dir (Playwright
    makes one and deletes it on close); each test page gets its own context."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make browser' (Debian's chromium package)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_FLAGS)
        )
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class PageLog:
    """What the pages of one browser context reported while a test used them."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def cdn_misses(self) -> list[str]:
        """Failed requests for Solara's CDN assets: a spec the offline install lacks."""
        return [entry for entry in self.failed_requests if CDN_PATH in entry]

    def assert_offline(self) -> None:
        """Nothing was requested from a host other than this machine (such requests are
        blocked, but their attempt still means the page would need the internet)."""
        assert not self.external_requests, f"requests for other hosts: {self.external_requests}"

    def assert_clean(self) -> None:
        """No console error, no uncaught page error, no failed request, nothing external."""
        assert not self.cdn_misses, f"CDN assets missing offline: {self.cdn_misses}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.page_errors, f"page errors: {self.page_errors}"
        assert not self.failed_requests, f"failed requests: {self.failed_requests}"
        self.assert_offline()

    def watch(self, context: BrowserContext) -> None:
        """Record the events of every page of ``context`` (now and later)."""

        def on_request(request: Any) -> None:
            self.requests.append(request.url)
            self._check_host(request.url)

        def on_response(response: Any) -> None:
            if response.status >= 400:
                self.failed_requests.append(f"HTTP {response.status} {response.url}")

        def on_console(message: Any) -> None:
            if message.type == "error":
                where = message.location.get("url", "")
                self.console_errors.append(f"{message.text} ({where})" if where else message.text)

        def on_page(page: Page) -> None:
            page.on("pageerror", lambda error: self.page_errors.append(str(error)))
            page.on("websocket", lambda socket: self._check_host(socket.url))

        context.on("request", on_request)
        context.on("requestfailed", lambda r: self.failed_requests.append(f"{r.failure} {r.url}"))
        context.on("response", on_response)
        context.on("console", on_console)
        context.on("page", on_page)

    def _check_host(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname not in LOCAL_HOSTS:
            self.external_requests.append(url)


def block_external(context: BrowserContext) -> None:
    """Abort every http(s) request to a host other than the loopback before it is sent, so
    a test behaves as offline on any machine and sends nothing out. ``PageLog`` still
    records such a request (and its failure)."""
    context.route(EXTERNAL_URL, lambda route: route.abort("blockedbyclient"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures know if the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(
    browser: Browser, request: pytest.FixtureRequest
) -> Iterator[Callable[..., tuple[Page, PageLog]]]:
    """Factory ``open(url, *, wait_for_text=None, timeout_ms=90_000, viewport=(1500, 1100))
    -> (page, log)``: a page in a fresh browser context (own cookies, so its own Solara
    session) of ``viewport`` (width, height) pixels, recording into ``log``. With
    ``wait_for_text`` it waits until that text is visible. At teardown a failed test gets
    a screenshot of each page (``FAILED-<test>-<n>.png``)."""
    contexts: list[BrowserContext] = []

    def open_(
        url: str,
        *,
        wait_for_text: str | re.Pattern[str] | None = None,
        timeout_ms: int = 90_000,
        viewport: tuple[int, int] = (1500, 1100),
    ) -> tuple[Page, PageLog]:
        width, height = viewport
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(30_000)
        contexts.append(context)
        log = PageLog()
        log.watch(context)
        block_external(context)
        page = context.new_page()
        page.goto(url)
        if wait_for_text is not None:
            page.get_by_text(wait_for_text).first.wait_for(timeout=timeout_ms)
        return page, log

    yield open_
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    for number, context in enumerate(contexts):
        if failed:
            for page in context.pages:
                # A crashed page must not hide the test's own failure.
                with contextlib.suppress(Exception):
                    screenshot(page, f"FAILED-{request.node.name}-{number}")
        context.close()


@pytest.fixture
def open_page(
    new_page: Callable[..., tuple[Page, PageLog]], dashboard_server: SolaraServer
) -> Callable[[], tuple[Page, PageLog]]:
    """Factory ``open() -> (page, log)``: the dashboard's live page, ready to Step."""

    def open_() -> tuple[Page, PageLog]:
        page, log = new_page(dashboard_server.url)
        page.get_by_role("button", name="Step").wait_for(timeout=90_000)
        page.get_by_text(re.compile(r"^(Round \d+ of|Before round 1)")).first.wait_for(
            timeout=90_000
        )
        return page, log

    return open_


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot of ``page`` as ``artifacts/screenshots/<name>.png``; return it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    page.screenshot(path=str(path), full_page=full_page)
    return path


DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def docs_screenshot(page: Page, name: str, docs_name: str) -> Path:
    """:func:`screenshot`, and with ``UPDATE_DOCS_SCREENSHOT=1`` in the environment also
    the README's picture ``docs/images/<docs_name>.png`` (refreshed only when asked, so a
    test run leaves the tree clean)."""
    path = screenshot(page, name)
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMAGES / f"{docs_name}.png")
    return path
