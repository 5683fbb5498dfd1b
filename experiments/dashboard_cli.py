"""``negotiation dashboard``: serve the Solara dashboard (a separate process).

The batch layer starts the UI as a process, so no import arrow points from the domain
or the batch layer up to the UI.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from typing import Any

from experiments.extras import check

# Solara's settings for the dashboard's server: nothing leaves the machine (no usage
# telemetry); the tab is named before the page has loaded; no "This website runs on
# Solara" banner, which lay over the page's content at the bottom right.
PAGE_TITLE = "US–China trade talks"  # the browser tab's name, while loading and after
SERVER_SETTINGS = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_THEME_TITLE": PAGE_TITLE,
    "SOLARA_THEME_SHOW_BANNER": "False",
}
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_APP = "dashboards.app"
# Mesa's standard SolaraViz page with the live charts as its components.
MESA_APP = "dashboards.mesa_app"


def solara_command(host: str, port: int, app: str = DEFAULT_APP) -> list[str]:
    """The command line that serves a Solara app (the dashboard by default), headless:
    no browser opened, no version check against PyPI."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        app,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]


def check_can_serve(host: str, port: int) -> None:
    """Refuse, with one clear line, a host that does not resolve or an address that cannot
    be bound (port in use, not this machine's address, privileged port), before Solara
    starts and would fail with a traceback of its own. Port 0 (any free port) is kept."""
    from experiments.cli import UsageError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(
            f"--host {host!r} cannot be resolved ({reason}): give an address of this "
            "machine such as 127.0.0.1"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            probe.bind(address)
        except OSError as exc:
            raise UsageError(
                f"cannot serve on {host}:{port}: {exc.strerror or exc}; choose another "
                "--port, or a --host of this machine"
            ) from None


def _cmd_dashboard(args: argparse.Namespace) -> int:
    # Only looked up: the server process imports Solara itself (half a second here).
    check("solara", "dashboard", "the dashboard")
    check_can_serve(args.host, args.port)
    page = "Mesa's SolaraViz page" if args.mesa else "the dashboard"
    print(f"Serving {page} on http://{args.host}:{args.port} (Ctrl-C to stop)", flush=True)
    command = solara_command(args.host, args.port, MESA_APP if args.mesa else DEFAULT_APP)
    env = {**os.environ, **SERVER_SETTINGS}
    os.execve(command[0], command, env)
    return 0  # not reached


def register(sub: Any) -> None:
    """Add ``negotiation dashboard`` to the command line's sub-commands."""
    from experiments.cli import host_argument, port_argument

    parser = sub.add_parser("dashboard", help="serve the dashboard (http://127.0.0.1:8765)")
    parser.add_argument(
        "--host",
        type=host_argument,
        default=DEFAULT_HOST,
        help="interface to bind: an IP address or host name (default 127.0.0.1)",
    )
    parser.add_argument(
        "--port", type=port_argument, default=DEFAULT_PORT, help="port, 0 to 65535 (default 8765)"
    )
    parser.add_argument(
        "--mesa",
        action="store_true",
        help="serve Mesa's standard SolaraViz page (the live charts as its components) "
        "instead of the analyst's dashboard",
    )
    parser.set_defaults(func=_cmd_dashboard)
