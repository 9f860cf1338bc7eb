"""The third-party corpus (benchmark/corpus), the fast part CI runs.

Static checks over the whole table (licences, authors, frameworks, kinds, demo.yaml and
defects.yaml of every app). Then, against the npm registry (a test FAILS, never skips, when
it cannot be reached): two small apps are fetched into `<repo>/.cache-test/corpus` and
their tarballs' integrity checked; one app's demo and probes are replayed by selector at
the recorder's pace in real Chromium (every action performed, no script error); each of
its planted defects' find text occurs once and its first visible-text difference from the
unmodified app is at its declared step (never, for visual-only ones). All apps:
`python -m iwr.benchmark.corpus check`.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from iwr.benchmark.corpus import CorpusError, CorpusUnavailable, PackageRef, corpus_app, corpus_apps, fetch_app, integrity_of
from iwr.benchmark.corpus.catalog import CORPUS_DIR
from iwr.benchmark.corpus.fetch import package_tarball, rewrite_external
from iwr.benchmark.demo import DemoSpec
from iwr.benchmark.validity import load_defects

REPO = Path(__file__).resolve().parent.parent
TEST_CACHE = REPO / ".cache-test"
FETCHED = ["jquery-modal-examples", "jquery-steps-wizard"]  # small packages with short demos
REPLAYED = ["jquery-steps-wizard"]  # the CI budget allows one replay; `python -m iwr.benchmark.corpus check` does all
PERMISSIVE = {"MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "ISC", "0BSD"}
KINDS = {"grid_game", "keyboard", "form", "hash_routed", "modal"}

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module", autouse=True)
def test_cache() -> Iterator[None]:
    """Fetch into the repository's test cache (ignored by git), as the bundled tests record."""
    old = os.environ.get("IWR_CACHE_DIR")
    os.environ["IWR_CACHE_DIR"] = str(TEST_CACHE)
    yield
    if old is None:
        os.environ.pop("IWR_CACHE_DIR", None)
    else:
        os.environ["IWR_CACHE_DIR"] = old


def fetched(app_id: str) -> Path:
    """The app's site, or a test failure that says the registry could not be reached."""
    try:
        return fetch_app(app_id)
    except CorpusUnavailable as e:
        pytest.fail(f"the corpus needs the npm registry, which could not be reached: {e}")


def demo_data(app_id: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((CORPUS_DIR / app_id / "demo.yaml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the table and the files


def test_table_pins_exact_versions_by_permissive_licences() -> None:
    apps = corpus_apps()
    assert len({a.id for a in apps}) == len(apps)
    for app in apps:
        assert app.licence in PERMISSIVE, f"{app.id}: licence {app.licence}"
        refs = [app.package] + [c.package for c in app.cdn]
        for ref in refs:
            # exact (a prerelease tag such as 0.0.2-alpha is one exact version), never a range
            assert re.fullmatch(r"\d+\.\d+\.\d+(-[\w.]+)?", ref.version), f"{app.id}: {ref.spec} is not an exact version"
    assert len({a.author for a in apps}) >= 5, "at least five different authors"
    assert len({a.framework.split(" (")[0] for a in apps}) >= 4, "vanilla JS and at least three frameworks"
    assert {k for a in apps for k in a.kinds} >= KINDS
    assert len(apps) >= 8


@pytest.mark.parametrize("app_id", [a.id for a in corpus_apps()])
def test_demo_and_defects_files_follow_the_formats(app_id: str) -> None:
    data = demo_data(app_id)
    spec = DemoSpec.model_validate(data)
    assert spec.corpus == app_id and spec.entry == "index.html"
    assert 8 <= len(spec.actions) <= 14
    assert len(spec.probes) >= 2
    for name, actions in [("demo", spec.actions)] + [(p.name, p.actions) for p in spec.probes]:
        for k, act in enumerate(actions, start=1):
            where = f"{app_id} {name} step {k}"
            assert len(act.description) >= 15, where
            assert not re.search(r"[#\[]|\.modal|::|:has|:text", act.description), f"{where}: description names a selector"
            if act.text:
                assert f"'{act.text}'" in act.description, f"{where}: typed text not quoted in the description"
        assert any(a.logical_assertion for a in actions), f"{app_id} {name}: no assertion"
    defects = load_defects(CORPUS_DIR / app_id / "defects.yaml")
    assert {d.kind for d in defects} == {"missing_handler", "wrong_computation", "visual_only"}
    for d in defects:
        assert (d.breaks_at_step is None) == (d.kind == "visual_only"), d.name
        if d.breaks_at_step is not None:
            assert spec.actions[d.breaks_at_step - 1].logical_assertion, f"{d.name}: its step has no assertion"


def test_external_resources_are_rewritten_links_are_not() -> None:
    html = ('<script src="https://cdn.example/lib@1/x.js"></script><link rel="stylesheet" href="//fonts.example/css">'
            '<img data-src="https://img.example/a.png"><a href="https://example.org/docs">docs</a>')
    out, done = rewrite_external(html, {"https://cdn.example/lib@1/x.js": "/_npm/lib@1.0.0/x.js"})
    assert '<script src="/_npm/lib@1.0.0/x.js">' in out
    assert 'href="data:,"' in out and 'data-src="data:,"' in out
    assert '<a href="https://example.org/docs">' in out
    assert len(done) == 3


def test_layout_puts_the_entry_at_the_root_with_its_relative_links_working(tmp_path: Path) -> None:
    from iwr.benchmark.corpus import CorpusApp
    from iwr.benchmark.corpus.fetch import _lay_out

    pkg = tmp_path / "pkg"
    (pkg / "demo" / "css").mkdir(parents=True)
    (pkg / "build").mkdir()
    (pkg / "index.html").write_text("<p>package readme page</p>")
    (pkg / "build" / "app.js").write_text("window.app = 1;")
    (pkg / "demo" / "css" / "main.css").write_text("body{}")
    (pkg / "demo" / "index.html").write_text(
        '<link rel="stylesheet" href="css/main.css"><link href="https://fonts.example/css" rel="stylesheet">'
        '<script src="../build/app.js"></script>')
    app = CorpusApp(id="fake", package=PackageRef(name="fake", version="1.0.0", integrity="sha512-" + "A" * 86 + "=="),
                    licence="MIT", author="Someone", framework="vanilla JS", entry="demo/index.html")
    site = tmp_path / "site"
    site.mkdir()
    _lay_out(app, pkg, site)
    html = (site / "index.html").read_text()
    assert "css/main.css" in html and (site / "css" / "main.css").is_file()  # the entry's own folder at the root
    assert "../build/app.js" in html and (site / "build" / "app.js").is_file()  # '..' above the root stays at the root
    assert 'href="data:,"' in html and "fonts.example" not in html
    assert yaml.safe_load((site / "rewrites.json").read_text())["rewritten"] == [{"url": "https://fonts.example/css",
                                                                                  "now": "data:,"}]


# ---------------------------------------------------------------- the registry


@pytest.mark.parametrize("app_id", FETCHED)
def test_fetch_checks_integrity_and_lays_out_the_entry(app_id: str) -> None:
    app = corpus_app(app_id)
    site = fetched(app_id)
    assert fetch_app(app_id) == site  # idempotent
    assert integrity_of(package_tarball(app.package).read_bytes()) == app.package.integrity
    assert (site / "index.html").is_file() and (site / Path(app.entry).name).is_file()
    html = (site / "index.html").read_text(encoding="utf-8")
    for cdn in app.cdn:
        assert f'"{cdn.url}"' not in html and f'"{cdn.local_url}"' in html
        assert (site / cdn.local_url.lstrip("/")).is_file()


def test_a_tarball_with_other_bytes_is_refused() -> None:
    real = corpus_app("jquery-modal-examples").package
    forged = PackageRef(name=real.name, version=real.version, integrity="sha512-" + "A" * 86 + "==")
    (TEST_CACHE / "corpus" / "tarballs").mkdir(parents=True, exist_ok=True)
    try:
        with pytest.raises(CorpusError, match="integrity"):
            package_tarball(forged)
    except CorpusUnavailable as e:
        pytest.fail(f"the corpus needs the npm registry, which could not be reached: {e}")


def test_an_unreachable_registry_is_reported_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IWR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")  # nothing listens there
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm"))
    with pytest.raises(CorpusUnavailable, match="npm registry"):
        fetch_app("jquery-modal-examples")


# ---------------------------------------------------------------- replays in Chromium


@pytest.mark.parametrize("app_id", REPLAYED)
def test_demo_probes_and_defects_replay_as_declared(app_id: str) -> None:
    from iwr.benchmark.corpus.check import check_app
    from iwr.tools.browser import launch_browser

    fetched(app_id)

    async def run():  # type: ignore[no-untyped-def]
        async with launch_browser() as browser:
            return await check_app(browser, app_id)

    check = asyncio.run(run())
    assert not check.unperformed(), check.unperformed()
    for name, trace in check.traces.items():
        assert not trace.load_errors and not trace.errors, f"{app_id} {name}: script errors {trace.load_errors + trace.errors}"
    demo = check.traces["demo"]
    assert len(set(demo.texts)) > len(check.spec.actions) // 2, "most demo steps change what is shown"
    for d in check.defects:
        assert d.find_count == 1, f"{d.defect.name}: its find text occurs {d.find_count} times"
        assert d.first_difference == d.defect.breaks_at_step, (
            f"{d.defect.name}: first visible difference at {d.first_difference}, declared {d.defect.breaks_at_step}")
