"""``negotiation dashboard``: serve the Solara dashboard (a separate process).

The batch layer starts the UI as a process, so no import arrow points from the domain
or the batch layer up to the UI.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def solara_command(host: str, port: int, app: str = "dashboards.app") -> list[str]:
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


def _cmd_dashboard(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        from experiments.cli import UsageError

        raise UsageError(f"--port must be between 0 and 65535, got {args.port}")
    print(f"Serving the dashboard on http://{args.host}:{args.port} (Ctrl-C to stop)", flush=True)
    command = solara_command(args.host, args.port)
    # Nothing leaves the machine: no usage telemetry.
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    os.execve(command[0], command, env)
    return 0  # not reached


def register(sub: Any) -> None:
    parser = sub.add_parser("dashboard", help="serve the dashboard (http://127.0.0.1:8765)")
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help="interface to bind (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 8765)")
    parser.set_defaults(func=_cmd_dashboard)
