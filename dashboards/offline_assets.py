"""Install the front-end assets Solara would fetch from a CDN, so the dashboard works offline.

Run as ``python -m dashboards.offline_assets`` (``make assets`` does, once per venv).

Why: Solara 1.64.1 serves ``/_solara/cdn/<spec>/<file>`` from
``<sys.prefix>/share/solara/cdn/<spec>/<file>`` (``solara.server.settings.assets.
proxy_cache_dir``) and only when a file is missing there fetches it from the CDN
(``https://cdn.jsdelivr.net/npm/``) and caches it. With no internet a missing file fails
and the page stays blank. The ``solara-assets`` wheel on PyPI stops at 1.58.2, so the
packages come from the npm registry instead: ``npm pack SPEC`` and unpack the tarball
with its top folder stripped (``tar --strip-components=1``) into a folder named exactly
as Solara requests it (``vega@5``, not ``vega@5.33.1``).

A request for a bare spec (``/_solara/cdn/vega@5``) is served from ``<spec>/__main.js``,
so that file gets the package's browser bundle, the file a CDN would serve for it.

Idempotent: a spec whose folder holds the marker file is skipped, so a second run costs a
few ``stat`` calls. A spec is unpacked next to its final folder and renamed into place
only when complete, so an interrupted run leaves nothing half-installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# Requested by Solara 1.64.1 (ipyvuetify 1.x / Vue 2 front end) on the pages this project
# serves: the app shell, require.js, icons, grid layout, Altair charts (vega*), Markdown
# with mermaid diagrams and KaTeX maths.
SPECS: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
    "mermaid@10.8.0",
    "katex@0.16.9",
)

# Requested only by Solara components this project does not use (FigureEcharts, SqlCode,
# MarkdownEditor); installed with ``--extras``.
EXTRA_SPECS: tuple[str, ...] = (
    "echarts@5.4.0",
    "codemirror@5.65.3",
    "@widgetti/solara-milkdown@6.3.0",
)

MARKER = ".installed"
_MAIN_FIELDS = ("jsdelivr", "unpkg", "browser", "main")


class AssetError(RuntimeError):
    """The assets could not be installed (npm missing, a package not found, ...)."""


def cdn_folder(prefix: str | Path = sys.prefix) -> Path:
    """The folder Solara's server reads CDN assets from before going online."""
    return Path(prefix) / "share" / "solara" / "cdn"


def missing(specs: Sequence[str] = SPECS, prefix: str | Path = sys.prefix) -> list[str]:
    """The specs not yet installed under ``prefix`` (in the order given)."""
    root = cdn_folder(prefix)
    return [spec for spec in specs if not (root / spec / MARKER).is_file()]


def install(specs: Sequence[str] = SPECS, prefix: str | Path = sys.prefix) -> list[str]:
    """Install every spec not yet present under ``prefix``; return those installed now.

    All missing packages are fetched with one ``npm pack`` call (one npm start-up, not
    one per spec). Raises ``AssetError`` with a message meant for a person.
    """
    todo = missing(specs, prefix)
    if not todo:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            "npm is not on PATH; it is needed once to fetch the dashboard's front-end "
            f"assets ({', '.join(todo)}) from the npm registry. Install Node.js and npm "
            "(Debian: apt-get install -y npm), then run 'make assets'."
        )
    root = cdn_folder(prefix)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pack-", dir=root) as tmp:
        tarballs = _pack(npm, todo, Path(tmp))
        for spec, (tarball, version) in zip(todo, tarballs, strict=True):
            _unpack(tarball, root / spec, f"{spec} -> {version}\n")
    return todo


def _pack(npm: str, specs: Sequence[str], dest: Path) -> list[tuple[Path, str]]:
    """Download the tarballs of ``specs`` into ``dest``; return (tarball, version) pairs."""
    result = subprocess.run(
        [npm, "pack", *specs, "--json", "--pack-destination", str(dest)],
        cwd=dest,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssetError(
            f"'npm pack {' '.join(specs)}' failed (exit {result.returncode}):\n"
            f"{result.stderr.strip()[-2000:]}"
        )
    try:
        entries = json.loads(result.stdout)
        packed = [(dest / entry["filename"], str(entry["version"])) for entry in entries]
    except (ValueError, KeyError, TypeError) as exc:
        raise AssetError(f"'npm pack --json' printed something unexpected: {exc}") from exc
    if len(packed) != len(specs) or not all(path.is_file() for path, _ in packed):
        raise AssetError(f"'npm pack' did not produce one tarball per spec: {packed}")
    return packed


def _unpack(tarball: Path, target: Path, marker_text: str) -> None:
    """Unpack ``tarball`` into ``target`` without its top folder, then add the marker."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with tarfile.open(tarball) as archive:
            archive.extractall(staging, filter=_strip_top_folder)
        _add_main_bundle(staging)
        (staging / MARKER).write_text(marker_text, encoding="utf-8")
        if target.exists():  # a partial install, or files Solara cached while online
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _strip_top_folder(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """``tar --strip-components=1`` with tarfile's safe ``data`` filter (no escapes)."""
    _, _, rest = member.name.lstrip("/").partition("/")
    if not rest:
        return None
    linkname = member.linkname
    if member.islnk():  # a hard link names its target from the archive's root
        linkname = linkname.lstrip("/").partition("/")[2]
    return tarfile.data_filter(member.replace(name=rest, linkname=linkname, deep=False), dest)


def _add_main_bundle(folder: Path) -> None:
    """Copy the bundle a CDN serves for a bare spec to ``__main.js`` (Solara's name)."""
    manifest_path = folder / "package.json"
    if not manifest_path.is_file():
        return
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for field in _MAIN_FIELDS:
        entry = manifest.get(field)
        if isinstance(entry, str) and (folder / entry).is_file():
            shutil.copyfile(folder / entry, folder / "__main.js")
            return


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: install (or ``--check``) the assets; exit 0 when all are present."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboards.offline_assets",
        description="Install the front-end assets Solara fetches from a CDN, for offline use.",
    )
    parser.add_argument(
        "--prefix",
        default=sys.prefix,
        help="environment to install into (default: this Python's sys.prefix)",
    )
    parser.add_argument(
        "--extras",
        action="store_true",
        help=f"also install assets of components this project does not use: {EXTRA_SPECS}",
    )
    parser.add_argument(
        "--check", action="store_true", help="install nothing; exit 1 if any asset is missing"
    )
    args = parser.parse_args(argv)
    specs = SPECS + EXTRA_SPECS if args.extras else SPECS
    where = cdn_folder(args.prefix)
    if args.check:
        absent = missing(specs, args.prefix)
        if absent:
            print(f"offline assets: missing in {where}: {', '.join(absent)}", file=sys.stderr)
            return 1
        return 0
    start = time.perf_counter()
    try:
        installed = install(specs, args.prefix)
    except AssetError as exc:
        print(f"offline assets: error: {exc}", file=sys.stderr)
        return 1
    took = time.perf_counter() - start
    if installed:
        print(f"offline assets: installed {', '.join(installed)} into {where} in {took:.1f} s")
    elif os.environ.get("VERBOSE"):
        print(f"offline assets: all {len(specs)} present in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
