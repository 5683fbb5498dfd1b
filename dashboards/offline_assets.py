"""Install the front-end assets Solara would fetch from a CDN, so the dashboard works
offline: ``python -m dashboards.offline_assets``.

Solara serves ``/_solara/cdn/<spec>/<file>`` from ``<sys.prefix>/share/solara/cdn/`` and
only goes to the CDN for what is missing there; without internet a missing asset leaves
the page blank. The ``solara-assets`` package on PyPI stops at 1.58, so the packages are
taken from the npm registry (``npm pack SPEC``) and unpacked into the folder named
exactly as Solara requests it. A request for a bare spec (``vega@5``) is served from
``<spec>/__main.js``: the package's browser bundle (its ``jsdelivr``/``unpkg`` entry),
as a CDN would. Idempotent: installed specs are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# Requested by Solara 1.64.1 and the components this dashboard uses.
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
MARKER = ".installed"


def cdn_folder(prefix: str | Path = sys.prefix) -> Path:
    """Where Solara looks for CDN assets before going online."""
    return Path(prefix) / "share" / "solara" / "cdn"


def install(specs: tuple[str, ...] = SPECS, prefix: str | Path = sys.prefix) -> list[str]:
    """Install every missing spec; return those installed now."""
    npm = shutil.which("npm")
    done: list[str] = []
    for spec in specs:
        target = cdn_folder(prefix) / spec
        if (target / MARKER).exists():
            continue
        if npm is None:
            raise RuntimeError(
                "npm is needed to install the dashboard's offline assets "
                f"(missing: {spec}); install Node.js and npm, then run "
                "'python -m dashboards.offline_assets'"
            )
        _install_one(npm, spec, target)
        done.append(spec)
    return done


def _install_one(npm: str, spec: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [npm, "pack", spec, "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"npm pack {spec} failed: {result.stderr.strip()}")
        tarball = next(Path(tmp).glob("*.tgz"))
        staging = Path(tmp) / "package"
        with tarfile.open(tarball) as archive:
            archive.extractall(tmp, filter="data")
        _add_main_bundle(staging)
        (staging / MARKER).write_text(spec + "\n")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        # Move into place only when complete, so an interrupted install is redone.
        shutil.move(str(staging), str(target))


def _add_main_bundle(folder: Path) -> None:
    """Copy the browser bundle a CDN serves for a bare spec to ``__main.js``."""
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    for field in ("jsdelivr", "unpkg", "browser", "main"):
        entry = manifest.get(field)
        if isinstance(entry, str) and (folder / entry).is_file():
            shutil.copyfile(folder / entry, folder / "__main.js")
            return


def main() -> int:
    try:
        installed = install()
    except RuntimeError as exc:
        print(f"offline assets: error: {exc}", file=sys.stderr)
        return 1
    where = cdn_folder()
    if installed:
        print(f"offline assets: installed {', '.join(installed)} into {where}")
    elif os.environ.get("VERBOSE"):
        print(f"offline assets: all present in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
