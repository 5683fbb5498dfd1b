"""The offline front end: the CDN assets Solara needs are installed in the venv, a Solara
page served from them works in a real browser with nothing fetched from outside, and the
browser harness notices what it must (console errors, page errors, outside requests).

The page (``pages/hello.py``) loads every asset this project's pages use except the grid
layout (the dashboard tests cover that): app shell, icons, require.js, mermaid, KaTeX and
the vega trio behind Altair charts.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from dashboards import offline_assets

from .conftest import CDN_PATH, PAGES, PageLog, SolaraServer, screenshot

HELLO = PAGES / "hello.py"
# The specs the hello page must have fetched from the local CDN folder.
HELLO_SPECS = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
    "mermaid@10.8.0",
    "katex@0.16.9",
)

OpenPage = Callable[..., tuple[Page, PageLog]]


# --------------------------------------------------------------------------- the installer


def test_every_asset_spec_is_installed_in_this_venv() -> None:
    assert offline_assets.missing() == [], "run 'make assets' (python -m dashboards.offline_assets)"


def test_the_installed_folder_is_the_one_solara_serves() -> None:
    from solara.server import settings

    assert settings.assets.proxy_cache_dir.resolve() == offline_assets.cdn_folder().resolve()


def test_present_specs_are_skipped_without_needing_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for spec in offline_assets.SPECS:
        folder = offline_assets.cdn_folder(tmp_path) / spec
        folder.mkdir(parents=True)
        (folder / offline_assets.MARKER).write_text(spec)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert offline_assets.install(prefix=tmp_path) == []
    assert offline_assets.main(["--prefix", str(tmp_path), "--check"]) == 0


def test_a_missing_npm_gives_an_error_that_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(offline_assets.AssetError, match=r"npm is not on PATH.*make assets"):
        offline_assets.install(["requirejs@2.3.6"], prefix=tmp_path)
    assert offline_assets.main(["--prefix", str(tmp_path)]) == 1
    assert "npm is not on PATH" in capsys.readouterr().err
    assert offline_assets.main(["--prefix", str(tmp_path), "--check"]) == 1
    assert not (offline_assets.cdn_folder(tmp_path) / "requirejs@2.3.6").exists()


def _tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_unpacking_strips_the_top_folder_and_adds_the_main_bundle(tmp_path: Path) -> None:
    manifest = json.dumps({"name": "demo", "main": "index.js", "jsdelivr": "dist/demo.min.js"})
    tarball = _tarball(
        tmp_path / "demo.tgz",
        {
            "package/package.json": manifest.encode(),
            "package/index.js": b"// node entry",
            "package/dist/demo.min.js": b"// browser bundle",
        },
    )
    target = tmp_path / "cdn" / "demo@1"
    (target / "stale").mkdir(parents=True)  # e.g. a file Solara cached while online
    offline_assets._unpack(tarball, target, "demo@1 -> 1.0.0\n")
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        ".installed",
        "__main.js",
        "dist",
        "dist/demo.min.js",
        "index.js",
        "package.json",
    ]
    assert (target / "__main.js").read_bytes() == b"// browser bundle"
    assert [p.name for p in target.parent.iterdir()] == ["demo@1"]  # no staging left


def test_unpacking_keeps_hard_links_inside_the_package(tmp_path: Path) -> None:
    tarball = tmp_path / "links.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        info = tarfile.TarInfo("package/a.js")
        info.size = 3
        archive.addfile(info, io.BytesIO(b"abc"))
        link = tarfile.TarInfo("package/b.js")
        link.type = tarfile.LNKTYPE
        link.linkname = "package/a.js"
        archive.addfile(link)
    target = tmp_path / "cdn" / "links@1"
    offline_assets._unpack(tarball, target, "links@1\n")
    assert (target / "b.js").read_bytes() == b"abc"


def test_unpacking_refuses_a_path_that_escapes(tmp_path: Path) -> None:
    tarball = _tarball(tmp_path / "evil.tgz", {"package/../../../escaped.txt": b"x"})
    with pytest.raises(tarfile.FilterError):
        offline_assets._unpack(tarball, tmp_path / "cdn" / "evil@1", "evil\n")
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not (tmp_path / "cdn" / "evil@1").exists()


# --------------------------------------------------------------------------- in a browser


def test_a_solara_page_works_offline_in_a_real_browser(
    solara_server: Callable[..., SolaraServer], new_page: OpenPage
) -> None:
    server = solara_server(HELLO)
    page, log = new_page(server.url, wait_for_text="Offline smoke page")
    page.get_by_text("Clicked 0 times").wait_for()
    page.get_by_role("button", name="Click me (0)").click()
    page.get_by_text("Clicked 1 times").wait_for()
    page.get_by_role("button", name="Click me (1)").wait_for()
    page.locator(".katex").first.wait_for()  # the formula was typeset: KaTeX loaded
    page.locator(".vega-embed canvas.marks, .vega-embed svg.marks").first.wait_for()  # drew
    screenshot(page, "offline-smoke-page")

    assert not log.cdn_misses
    log.assert_clean()
    served = {url.split(CDN_PATH, 1)[1] for url in log.requests if CDN_PATH in url}
    for spec in HELLO_SPECS:
        assert any(path.startswith(spec + "/") for path in served), f"{spec} was not loaded"


def test_the_harness_records_errors_and_blocks_outside_requests(
    solara_server: Callable[..., SolaraServer], new_page: OpenPage
) -> None:
    page, log = new_page(solara_server(HELLO).url, wait_for_text="Offline smoke page")
    outside = "http://offline-check.invalid/probe.js"
    page.evaluate("console.error('harness check')")
    page.evaluate("setTimeout(() => { throw new Error('harness boom'); }, 0)")
    status = page.evaluate(f"fetch('{outside}').then(() => 'sent', () => 'blocked')")
    page.wait_for_timeout(200)

    assert status == "blocked"
    assert log.external_requests == [outside]
    assert any(outside in entry for entry in log.failed_requests)
    assert any("harness check" in message for message in log.console_errors)
    assert any("harness boom" in message for message in log.page_errors)
    with pytest.raises(AssertionError):
        log.assert_offline()
