"""Bundled reference apps, set A: shop_cart, flight_booking, game_2048, news_portal, signup_form.

Checks, with real headless Chromium on a local server: each demo.yaml follows the recorder's
schema; every demo and probe action resolves to a visible element, in order, and has an
effect a replay can see (Scroll really scrolls); the pages load nothing missing and raise no
script errors; each planted defect's `find` string occurs once, and applying it changes the
page's visible text first at `breaks_at_step` (or, for a visual-only defect, never, while the
initial screenshot does change).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from iwr.benchmark.task import Action, ActionParameters, Classification, Resolution
from iwr.tools.browser import launch_browser
from iwr.tools.local_server import serve_directory

APPS_DIR = Path(__file__).resolve().parents[1] / "benchmark" / "apps"
APPS = ["shop_cart", "flight_booking", "game_2048", "news_portal", "signup_form"]
DEMO_KEYS = {"id", "title", "resolution", "entry", "classification", "actions", "probes"}
ACTION_KEYS = {"type", "target", "text", "key", "direction", "description", "logical_assertion", "visual_evaluation_flag"}
DEFECT_KINDS = {"missing_handler", "wrong_computation", "visual_only"}
SCROLL_PX = 360  # half the 720 px viewport, as the recorder and the official judge scroll
ASSET_BUDGET = 300 * 1024

pytestmark = pytest.mark.timeout(180)


def load_demo(app: str) -> dict[str, Any]:
    return yaml.safe_load((APPS_DIR / app / "demo.yaml").read_text())


def load_defects(app: str) -> list[dict[str, Any]]:
    return yaml.safe_load((APPS_DIR / app / "defects.yaml").read_text())


def sequences(demo: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The demo trajectory and every probe, by name."""
    seqs = {"demo": demo["actions"]}
    for probe in demo.get("probes", []):
        seqs[f"probe:{probe['name']}"] = probe["actions"]
    return seqs


# ---------------------------------------------------------------- replay in Chromium


@dataclass
class Trace:
    """What a replay saw: visible text before any action (index 0) and after each action."""

    texts: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)  # text plus classes, values, checked flags
    first_screenshot: bytes = b""
    errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


async def _settle(page: Any) -> None:
    await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r())))")


async def _scroll_position(page: Any, target: str | None) -> float:
    if target:
        return await page.locator(target).evaluate("el => el.scrollTop")
    return await page.evaluate("() => window.scrollY")


STATE_JS = """() => document.body.innerText + "\\n" + [...document.querySelectorAll("body *")].map(
  e => `${e.tagName}.${e.className}${e.hidden ? ":hidden" : ""}${e.checked ? ":checked" : ""}${"value" in e ? "=" + e.value : ""}`
).join("|")"""

HIT_TEST = """el => {
  const r = el.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false;
  const hit = document.elementFromPoint(x, y);
  return hit !== null && (hit === el || el.contains(hit));
}"""


async def _visible(page: Any, selector: str, where: str) -> Any:
    """The single element the selector names, visible and on top at its centre in the viewport."""
    loc = page.locator(selector)
    count = await loc.count()
    assert count == 1, f"{where}: selector {selector!r} matches {count} elements"
    assert await loc.is_visible(), f"{where}: {selector!r} is not visible"
    assert await loc.evaluate(HIT_TEST), f"{where}: {selector!r} is outside the viewport or covered"
    return loc


async def perform(page: Any, action: dict[str, Any], where: str) -> None:
    """Do one action by selector, the way the recorder does; assert a Scroll really scrolled."""
    kind, target = action["type"], action.get("target")
    if kind == "Click":
        await (await _visible(page, target, where)).click(timeout=3000)
    elif kind == "Type":
        await (await _visible(page, target, where)).click(timeout=3000)
        await page.keyboard.type(action["text"])
    elif kind == "Press":
        if target:
            await (await _visible(page, target, where)).focus()
        await page.keyboard.press(action["key"])
    elif kind == "Scroll":
        before = await _scroll_position(page, target)
        if target:
            box = await (await _visible(page, target, where)).bounding_box()
            await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        dy = SCROLL_PX if action["direction"] == "down" else -SCROLL_PX
        await page.mouse.wheel(0, dy)
        for _ in range(20):
            await _settle(page)
            if await _scroll_position(page, target) != before:
                break
        after = await _scroll_position(page, target)
        assert (after - before) * dy > 0, f"{where}: Scroll {action['direction']} did not scroll ({before} -> {after})"
    await _settle(page)


async def replay(context: Any, root: Path, entry: str, actions: list[dict[str, Any]], label: str) -> Trace:
    """Open root/entry in a fresh page of the (1280x720) context and perform the actions in order."""
    trace = Trace()
    with serve_directory(root) as site:
        page = await context.new_page()
        try:
            page.on("pageerror", lambda exc: trace.errors.append(str(exc)))
            await page.goto(site.url(entry), wait_until="load")
            await _settle(page)
            trace.first_screenshot = await page.screenshot()
            for i, action in enumerate([None, *actions]):
                if action is not None:
                    await perform(page, action, f"{label} step {i} ({action['type']})")
                trace.texts.append(await page.evaluate("() => document.body.innerText"))
                trace.states.append(await page.evaluate(STATE_JS))
        finally:
            await page.close()
        trace.missing = [p for p in site.not_found if not p.endswith("favicon.ico")]
    return trace


class Runner:
    """One browser and event loop shared by the module's tests, with a cache of reference traces."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._cm = launch_browser()
        self.browser = self.loop.run_until_complete(self._cm.__aenter__())
        # One context for all replays (the apps keep no storage); each replay opens a new page.
        self.context = self.loop.run_until_complete(self.browser.new_context(viewport={"width": 1280, "height": 720}))
        self._cache: dict[tuple[str, str], Trace] = {}

    def run(self, root: Path, entry: str, actions: list[dict[str, Any]], label: str) -> Trace:
        return self.loop.run_until_complete(replay(self.context, root, entry, actions, label))

    def reference(self, app: str, name: str) -> Trace:
        key = (app, name)
        if key not in self._cache:
            demo = load_demo(app)
            self._cache[key] = self.run(APPS_DIR / app, demo["entry"], sequences(demo)[name], f"{app} {name}")
        return self._cache[key]

    def close(self) -> None:
        self.loop.run_until_complete(self._cm.__aexit__(None, None, None))
        self.loop.close()


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    r = Runner()
    yield r
    r.close()


# ---------------------------------------------------------------- schema and static checks


def check_action(action: dict[str, Any], where: str) -> None:
    assert set(action) <= ACTION_KEYS, f"{where}: unknown keys {set(action) - ACTION_KEYS}"
    kind = action["type"]
    assert kind in {"Click", "Type", "Press", "Scroll"}, where
    desc = action["description"]
    assert isinstance(desc, str) and len(desc) >= 15, f"{where}: description too short"
    assert "#" not in desc and "[data-" not in desc, f"{where}: description mentions a selector"
    if action.get("target"):
        assert action["target"] not in desc, f"{where}: description repeats the selector"
    if kind in {"Click", "Type"}:
        assert action.get("target"), f"{where}: {kind} needs a target"
    if kind == "Type":
        assert action.get("text"), f"{where}: Type needs text"
        assert f"'{action['text']}'" in desc or f'"{action["text"]}"' in desc, f"{where}: typed text not quoted in description"
    if kind == "Press":
        assert action.get("key"), f"{where}: Press needs a key"
    if kind == "Scroll":
        assert action.get("direction") in {"up", "down"}, f"{where}: Scroll direction"
    if "logical_assertion" in action:
        assert isinstance(action["logical_assertion"], str) and len(action["logical_assertion"]) >= 10, where
    if "visual_evaluation_flag" in action:
        assert isinstance(action["visual_evaluation_flag"], bool), where
    parsed = Action(
        type=kind,
        parameters=ActionParameters(description=desc, text=action.get("text"), key=action.get("key"),
                                    direction=action.get("direction")),
        logical_assertion=action.get("logical_assertion"),
        visual_evaluation_flag=action.get("visual_evaluation_flag", False),
    )
    if kind == "Type":
        assert parsed.text == action["text"]


@pytest.mark.parametrize("app", APPS)
def test_demo_yaml_follows_schema(app: str) -> None:
    demo = load_demo(app)
    assert set(demo) <= DEMO_KEYS and {"id", "title", "resolution", "entry", "classification", "actions"} <= set(demo)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", demo["id"])
    assert str(Resolution.parse(demo["resolution"])) == "1280x720"
    assert (APPS_DIR / app / demo["entry"]).is_file()
    cls = Classification.model_validate(demo["classification"])
    assert re.fullmatch(r"L[1-4]", cls.interaction_complexity or "") and re.fullmatch(r"V[1-4]", cls.visual_complexity or "")
    assert cls.domain and cls.sub_domain
    actions = demo["actions"]
    assert 6 <= len(actions) <= 16
    for i, action in enumerate(actions, start=1):
        check_action(action, f"{app} demo step {i}")
    flagged = sum(bool(a.get("visual_evaluation_flag")) for a in actions)
    assert 0.3 <= flagged / len(actions) <= 0.75, "about half the steps should be flagged for visual evaluation"
    assert sum("logical_assertion" in a for a in actions) >= len(actions) // 2
    probes = demo.get("probes", [])
    assert len(probes) >= 2 and len({p["name"] for p in probes}) == len(probes)
    for probe in probes:
        assert set(probe) == {"name", "actions"} and 3 <= len(probe["actions"]) <= 8
        assert any("logical_assertion" in a for a in probe["actions"])
        for i, action in enumerate(probe["actions"], start=1):
            check_action(action, f"{app} probe {probe['name']} step {i}")


def test_set_covers_action_types_and_scroll_kinds() -> None:
    kinds, window_scroll, inner_scroll = set(), False, False
    for app in APPS:
        for action in load_demo(app)["actions"]:
            kinds.add(action["type"])
            if action["type"] == "Scroll":
                inner_scroll |= bool(action.get("target"))
                window_scroll |= not action.get("target")
    assert kinds == {"Click", "Type", "Press", "Scroll"}
    assert window_scroll and inner_scroll


def _referenced_assets(app: str) -> set[str]:
    folder = APPS_DIR / app
    text = "\n".join(p.read_text() for p in folder.iterdir() if p.suffix in {".html", ".js", ".css"})
    return set(re.findall(r"assets/([\w.-]+\.(?:png|jpg|jpeg|gif|webp))", text))


@pytest.mark.parametrize("app", APPS)
def test_app_is_self_contained_and_deterministic(app: str, tmp_path: Path) -> None:
    folder = APPS_DIR / app
    html = (folder / "index.html").read_text()
    assert re.search(r'<link rel="icon" href="assets/[\w.-]+\.png"', html)
    for path in folder.iterdir():
        if path.suffix in {".html", ".js", ".css"}:
            text = path.read_text()
            assert not re.search(r"https?://|//cdn|@import|@font-face", text), f"{path.name} refers outside"
            if path.suffix == ".js":
                assert not re.search(r"Date\.now|new Date|Math\.random|setInterval|setTimeout|fetch\(|XMLHttpRequest",
                                     text), path.name
    assets = folder / "assets"
    used = _referenced_assets(app)
    assert used and used <= {p.name for p in assets.iterdir()}
    assert sum(p.stat().st_size for p in assets.iterdir()) <= ASSET_BUDGET
    from importlib import import_module

    import_module(f"iwr.benchmark.apps.{app}.make_assets").make(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in assets.iterdir()}


@pytest.mark.parametrize("app", APPS)
def test_defects_are_well_formed(app: str) -> None:
    defects = load_defects(app)
    demo_steps = load_demo(app)["actions"]
    assert {d["kind"] for d in defects} == DEFECT_KINDS
    assert len({d["name"] for d in defects}) == len(defects)
    for d in defects:
        assert set(d) == {"name", "kind", "file", "find", "replace", "breaks_at_step"}
        assert (APPS_DIR / app / d["file"]).read_text().count(d["find"]) == 1, f"{d['name']}: find must occur exactly once"
        assert d["find"] != d["replace"]
        if d["kind"] == "visual_only":
            assert d["breaks_at_step"] is None
        else:
            step = d["breaks_at_step"]
            assert isinstance(step, int) and 1 <= step <= len(demo_steps)
            assert demo_steps[step - 1].get("logical_assertion"), f"{d['name']}: breaking step has no assertion"


# ---------------------------------------------------------------- behaviour in Chromium


@pytest.mark.parametrize("app", APPS)
def test_demo_and_probes_replay_by_selector(app: str, runner: Runner) -> None:
    demo = load_demo(app)
    for name, actions in sequences(demo).items():
        trace = runner.reference(app, name)
        assert not trace.errors, f"{app} {name}: script errors {trace.errors}"
        assert not trace.missing, f"{app} {name}: missing files {trace.missing}"
        assert len(trace.texts) == len(actions) + 1
        for i, action in enumerate(actions, start=1):
            claim = action.get("logical_assertion", "")
            if claim and action["type"] != "Scroll" and not claim.startswith("Nothing changes"):
                assert trace.states[i] != trace.states[i - 1], f"{app} {name} step {i}: asserted step changed nothing"


def _apply(app: str, defect: dict[str, Any], dest: Path) -> Path:
    root = dest / app
    shutil.copytree(APPS_DIR / app, root, ignore=shutil.ignore_patterns("__pycache__"))
    path = root / defect["file"]
    path.write_text(path.read_text().replace(defect["find"], defect["replace"]))
    return root


@pytest.mark.parametrize("app", APPS)
def test_planted_defects_break_where_declared(app: str, runner: Runner, tmp_path: Path) -> None:
    demo = load_demo(app)
    reference = runner.reference(app, "demo")
    for n, defect in enumerate(load_defects(app)):
        root = _apply(app, defect, tmp_path / str(n))
        step = defect["breaks_at_step"]
        actions = demo["actions"] if step is None else demo["actions"][:step]
        trace = runner.run(root, demo["entry"], actions, f"{app} defect {defect['name']}")
        assert not trace.errors, f"{defect['name']}: script errors {trace.errors}"
        if step is None:
            assert trace.texts == reference.texts, f"{defect['name']}: a visual-only defect changed visible text"
            assert trace.first_screenshot != reference.first_screenshot, f"{defect['name']}: nothing looks different"
        else:
            assert trace.texts[:step] == reference.texts[:step], f"{defect['name']}: text differs before step {step}"
            assert trace.texts[step] != reference.texts[step], f"{defect['name']}: step {step} shows the reference text"
