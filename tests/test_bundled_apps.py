"""Every bundled app (`bundled_apps()`): its demo.yaml, its files and its planted defects.

Checks: each demo.yaml loads (`benchmark/demo.py`) and follows the bundled conventions; the
pages load nothing from outside, run no clock or random code and rebuild their assets; in
real headless Chromium, driven by the recorder's own code (`validity.probe_app`), every demo
and probe action finds one visible target on top at its centre and has an effect, with no
script error and no missing file; each planted defect's `find` occurs once, and the
defect changes the page's text first at `breaks_at_step` (a visual-only one never, while
the initial screenshot does change).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
import yaml

from iwr.benchmark.bundled import BundledApp, bundled_apps
from iwr.benchmark.demo import DemoAction, DemoSpec, load_demo
from iwr.benchmark.validity import DomTrace, PlantedDefect, first_difference, first_pixel_difference, load_defects, probe_app
from iwr.benchmark.validity.variants import defect_copy
from iwr.tools.browser import launch_browser

APPS = bundled_apps()
APP_IDS = [a.name for a in APPS]
DEMO_KEYS = {"id", "title", "resolution", "entry", "classification", "actions", "probes"}
ACTION_KEYS = {"type", "target", "text", "key", "direction", "description", "logical_assertion", "visual_evaluation_flag"}
DEFECT_KEYS = {"name", "kind", "file", "find", "replace", "breaks_at_step"}
DEFECT_KINDS = {"missing_handler", "wrong_computation", "visual_only"}
SELECTOR_LIKE = re.compile(r"[#\[]|\.[a-z-]+\b\s*[{>]")
ASSET_BUDGET = 300 * 1024
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
BROWSERS = 2  # each has its own compositor: two share a loaded machine's cores better than one
PAGES_AT_ONCE = 4
NO_CHANGE_CLAIMS = ("Nothing changes", "No ")  # assertions that something does not happen

pytestmark = pytest.mark.timeout(600)


def raw_demo(app: BundledApp) -> dict[str, Any]:
    return yaml.safe_load(app.demo_path.read_text(encoding="utf-8"))


def raw_defects(app: BundledApp) -> list[dict[str, Any]]:
    return yaml.safe_load((app.dir / "defects.yaml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the demo's conventions


def action_problems(action: dict[str, Any], where: str) -> list[str]:
    """How one raw demo action breaks the bundled conventions (empty when it follows them)."""
    problems = [f"{where}: unknown keys {sorted(set(action) - ACTION_KEYS)}"] if set(action) - ACTION_KEYS else []
    desc, kind = action.get("description"), action.get("type")
    if not isinstance(desc, str) or len(desc) < 15:
        return [*problems, f"{where}: description missing or too short"]
    if SELECTOR_LIKE.search(desc) or (action.get("target") and action["target"] in desc):
        problems.append(f"{where}: description mentions a selector")
    if kind == "Type" and f"'{action.get('text')}'" not in desc and f'"{action.get("text")}"' not in desc:
        problems.append(f"{where}: typed text not quoted in the description")
    if kind == "Scroll" and action.get("direction") not in {"up", "down"}:
        problems.append(f"{where}: Scroll needs direction up or down")
    claim = action.get("logical_assertion")
    if claim is not None and (not isinstance(claim, str) or len(claim) < 10):
        problems.append(f"{where}: logical_assertion must be a sentence")
    return problems


def demo_problems(demo: dict[str, Any], spec: DemoSpec) -> list[str]:
    """How a demo (raw yaml and its loaded spec) breaks the bundled conventions."""
    problems = [f"unknown keys {sorted(set(demo) - DEMO_KEYS)}"] if set(demo) - DEMO_KEYS else []
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", spec.id):
        problems.append("id must be kebab-case")
    if str(spec.resolution) != "1280x720" or not isinstance(demo.get("title"), str):
        problems.append("resolution must be 1280x720 and the title given")
    cls = spec.classification
    if not re.fullmatch(r"L[1-4]", cls.interaction_complexity or "") or not re.fullmatch(r"V[1-4]", cls.visual_complexity or ""):
        problems.append("classification levels invalid")
    if not cls.domain or not cls.sub_domain:
        problems.append("classification needs domain and sub_domain")
    actions = demo.get("actions") or []
    if not 6 <= len(actions) <= 16:
        problems.append(f"demo has {len(actions)} actions, want 6..16")
    for i, action in enumerate(actions, start=1):
        problems += action_problems(action, f"demo step {i}")
    if actions and not 0.3 <= sum(bool(a.get("visual_evaluation_flag")) for a in actions) / len(actions) <= 0.75:
        problems.append("about half the demo steps should be flagged for visual evaluation")
    if sum("logical_assertion" in a for a in actions) < len(actions) // 2:
        problems.append("at least half the demo steps need a logical_assertion")
    probes = demo.get("probes") or []
    if len(probes) < 2:
        problems.append("want at least 2 probes")
    for probe in probes:
        steps = probe.get("actions") or []
        if set(probe) != {"name", "actions"} or not 3 <= len(steps) <= 8:
            problems.append(f"probe {probe.get('name')}: want name and 3..8 actions")
        if not any("logical_assertion" in a for a in steps):
            problems.append(f"probe {probe.get('name')}: no logical_assertion")
        for i, action in enumerate(steps, start=1):
            problems += action_problems(action, f"probe {probe.get('name')} step {i}")
    return problems


@pytest.mark.parametrize("app", APPS, ids=APP_IDS)
def test_demo_follows_the_schema_and_conventions(app: BundledApp) -> None:
    spec = load_demo(app.demo_path)  # the recorder's schema: fields, entry file, unique probe names
    assert spec.entry_path.is_file() and spec.id == app.task_id
    assert demo_problems(raw_demo(app), spec) == []
    for action in [*spec.actions, *(a for p in spec.probes for a in p.actions)]:
        record = action.to_action()
        assert record.type == action.type and record.parameters.description == action.description


def test_convention_checker_rejects_bad_demos() -> None:
    app = APPS[0]
    good, spec = raw_demo(app), load_demo(APPS[0].demo_path)
    assert any("want 6..16" in p for p in demo_problems(dict(good, actions=good["actions"][:2]), spec))
    typed = {"type": "Type", "target": "#name", "text": "Ada", "description": "Type the name into the field"}
    assert any("not quoted" in p for p in demo_problems(dict(good, actions=[typed, *good["actions"][1:]]), spec))
    named = {"type": "Click", "target": "#go", "description": "Click the #go button in the header"}
    assert any("selector" in p for p in action_problems(named, "x"))


def test_the_set_covers_every_action_type_and_both_scroll_kinds() -> None:
    actions: list[DemoAction] = [a for app in APPS for a in load_demo(app.demo_path).actions]
    assert {a.type.value for a in actions} == {"Click", "Type", "Press", "Scroll"}
    scrolls = [a for a in actions if a.type.value == "Scroll"]
    assert any(a.target for a in scrolls) and any(not a.target for a in scrolls)


# ---------------------------------------------------------------- the app's files


@pytest.mark.parametrize("app", APPS, ids=APP_IDS)
def test_app_is_self_contained_and_deterministic(app: BundledApp, tmp_path: Path) -> None:
    html = (app.dir / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<link rel="icon" href="assets/[\w.-]+\.png"', html)
    sources = [p for p in app.dir.iterdir() if p.suffix in {".html", ".js", ".css"}]
    for path in sources:
        text = path.read_text(encoding="utf-8").replace(SVG_NAMESPACE, "")
        assert not re.search(r"https?://|//cdn|@import|@font-face", text), f"{path.name} refers outside"
        if path.suffix == ".js":
            assert not re.search(r"Date\.now|new Date|Math\.random|setInterval|setTimeout|fetch\(|XMLHttpRequest",
                                 text), path.name
    assets = {p.name: p for p in (app.dir / "assets").iterdir()}
    used = set(re.findall(r"assets/([\w.-]+\.(?:png|jpg|jpeg|gif|webp))", "\n".join(p.read_text() for p in sources)))
    assert used and used <= set(assets)
    assert sum(p.stat().st_size for p in assets.values()) <= ASSET_BUDGET
    import_module(f"iwr.benchmark.apps.{app.name}.make_assets").make(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == set(assets)


@pytest.mark.parametrize("app", APPS, ids=APP_IDS)
def test_defects_are_well_formed(app: BundledApp) -> None:
    raw, defects = raw_defects(app), load_defects(app.dir / "defects.yaml")
    steps = load_demo(app.demo_path).actions
    assert {d.kind for d in defects} == DEFECT_KINDS and len({d.name for d in defects}) == len(defects)
    for entry, d in zip(raw, defects, strict=True):
        assert set(entry) == DEFECT_KEYS, d.name
        assert (app.dir / d.file).read_text(encoding="utf-8").count(d.find) == 1, f"{d.name}: find must occur once"
        assert d.find != d.replace
        if d.kind == "visual_only":
            assert d.breaks_at_step is None
        else:
            assert d.breaks_at_step is not None and 1 < d.breaks_at_step <= len(steps), d.name
            assert steps[d.breaks_at_step - 1].logical_assertion, f"{d.name}: its step has no assertion"


# ---------------------------------------------------------------- replays in Chromium


@dataclass
class AppReplays:
    """The replays of one app: its demo and probes by name ("demo", "probe:<name>"), its defects."""

    spec: DemoSpec
    trajectories: dict[str, DomTrace] = field(default_factory=dict)
    defects: list[tuple[PlantedDefect, DomTrace]] = field(default_factory=list)


def _defect_actions(spec: DemoSpec, defect: PlantedDefect) -> list[DemoAction]:
    """A functional defect's demo up to its declared step (a later difference would be wrong anyway)."""
    return list(spec.actions if defect.breaks_at_step is None else spec.actions[: defect.breaks_at_step])


async def _replay_all(apps: list[BundledApp], tmp: Path) -> dict[str, AppReplays]:
    """Every app's demo, probes and defect copies, a few pages at a time over a few browsers."""
    gate = asyncio.Semaphore(PAGES_AT_ONCE)
    async with AsyncExitStack() as stack:
        browsers = [await stack.enter_async_context(launch_browser()) for _ in range(BROWSERS)]
        count = itertools.count()

        async def probe(spec: DemoSpec, actions: list[DemoAction], label: str, app_dir: Path | None = None) -> DomTrace:
            async with gate:
                browser = browsers[next(count) % len(browsers)]
                return await probe_app(browser, spec, app_dir=app_dir, actions=actions, label=label)

        async def one(app: BundledApp) -> AppReplays:
            spec = load_demo(app.demo_path)
            runs = {"demo": list(spec.actions), **{f"probe:{p.name}": list(p.actions) for p in spec.probes}}
            defects = load_defects(app.dir / "defects.yaml")
            jobs = [probe(spec, acts, f"{app.name} {name}") for name, acts in runs.items()]
            jobs += [probe(spec, _defect_actions(spec, d), f"{app.name} defect {d.name}",
                           defect_copy(app.dir, d, tmp / app.name / d.name)) for d in defects]
            traces = await asyncio.gather(*jobs)
            return AppReplays(spec, dict(zip(runs, traces, strict=False)),  # the defects' traces follow
                              list(zip(defects, traces[len(runs):], strict=True)))

        done = await asyncio.gather(*(one(app) for app in apps))
    return {app.name: r for app, r in zip(apps, done, strict=True)}


@pytest.fixture(scope="module")
def replays(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AppReplays]:
    return asyncio.run(_replay_all(APPS, tmp_path_factory.mktemp("defects")))


@pytest.mark.parametrize("app", APPS, ids=APP_IDS)
def test_demo_and_probes_replay_by_selector(app: BundledApp, replays: dict[str, AppReplays]) -> None:
    run = replays[app.name]
    sequences = {"demo": run.spec.actions, **{f"probe:{p.name}": p.actions for p in run.spec.probes}}
    for name, trace in run.trajectories.items():
        where, actions = f"{app.name} {name}", sequences[name]
        assert not trace.load_errors and not trace.errors, f"{where}: script errors {trace.load_errors + trace.errors}"
        assert not trace.missing, f"{where}: missing files {trace.missing}"
        assert [p for p in trace.target_problems if p] == [], where  # one element, in view, on top
        assert [f for f in trace.failures if f] == [], where  # found, clicked, typed; each Scroll scrolled
        assert len(trace.page_texts) == len(trace.shots) == len(actions) + 1
        moved = [trace.page_texts[i - 1] != trace.page_texts[i] or trace.shots[i - 1] != trace.shots[i]
                 for i in range(1, len(actions) + 1)]
        for i, action in enumerate(actions, start=1):
            claim = action.logical_assertion or ""
            if claim and action.type.value != "Scroll" and not claim.startswith(NO_CHANGE_CLAIMS):
                assert moved[i - 1], f"{where} step {i}: an asserted step changed nothing"
        changed = sum(moved)
        assert changed >= len(actions) // 2, f"{where}: most steps should change the page"
        if name == "demo":  # typing shows in the text of no field, but most demo steps still change the text
            texts = sum(a != b for a, b in itertools.pairwise(trace.page_texts))
            assert texts >= len(actions) // 2, f"{where}: most demo steps should change the page's text"


def _text_trace(trace: DomTrace, states: int) -> DomTrace:
    """The first `states` states of a replay, compared by the whole page's text."""
    return DomTrace(texts=trace.page_texts[:states], performed=trace.performed[: states - 1])


@pytest.mark.parametrize("app", APPS, ids=APP_IDS)
def test_planted_defects_break_where_declared(app: BundledApp, replays: dict[str, AppReplays]) -> None:
    run = replays[app.name]
    reference = run.trajectories["demo"]
    assert len(run.defects) >= len(DEFECT_KINDS)
    for defect, trace in run.defects:
        assert not trace.load_errors and not trace.errors, f"{defect.name}: script errors"
        states = len(trace.page_texts)
        found = first_difference(_text_trace(reference, states), _text_trace(trace, states))
        assert found == defect.breaks_at_step, f"{defect.name}: the text first differs at {found}"
        if defect.breaks_at_step is None:
            assert states == len(reference.page_texts), f"{defect.name}: a visual-only defect must replay fully"
            assert first_pixel_difference(reference, trace) == 0, f"{defect.name}: the first state looks the same"
