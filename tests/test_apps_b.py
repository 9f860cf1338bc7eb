"""Bundled reference apps (set b): demo/probe schema, replay by selector in real Chromium,
and planted defects that first change the page exactly at the step they claim to break."""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from iwr.tools.browser import launch_browser
from iwr.tools.local_server import serve_directory

APPS_DIR = Path(__file__).resolve().parents[1] / "benchmark" / "apps"
APPS = ["task_board", "sales_dashboard", "minesweeper", "recipe_gallery", "calculator"]
DEFECT_KINDS = {"missing_handler", "wrong_computation", "visual_only"}
ACTION_TYPES = {"Click", "Type", "Press", "Scroll"}
LEVELS_L = {"L1", "L2", "L3", "L4"}
LEVELS_V = {"V1", "V2", "V3", "V4"}
WHEEL_PX = 360  # half the viewport, as the recorder scrolls by default
SVG_NAMESPACE = "http://www.w3.org/2000/svg"

pytestmark = pytest.mark.timeout(180)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def action_problems(action: dict[str, Any], where: str) -> list[str]:
    """Schema problems of one demo action (empty list when valid)."""
    problems = []
    kind = action.get("type")
    if kind not in ACTION_TYPES:
        return [f"{where}: bad type {kind!r}"]
    desc = action.get("description")
    if not isinstance(desc, str) or len(desc) < 10:
        problems.append(f"{where}: description missing or too short")
    elif re.search(r"[#\[]|\.[a-z-]+\b\s*[{>]", desc):
        problems.append(f"{where}: description looks like it mentions a selector")
    if kind in {"Click", "Type"} and not isinstance(action.get("target"), str):
        problems.append(f"{where}: {kind} needs a target selector")
    if kind == "Type":
        text = action.get("text")
        if not isinstance(text, str) or not text:
            problems.append(f"{where}: Type needs text")
        elif f"'{text}'" not in desc and f'"{text}"' not in desc:
            problems.append(f"{where}: typed text not quoted in description")
    if kind == "Press" and not isinstance(action.get("key"), str):
        problems.append(f"{where}: Press needs a key")
    if kind == "Scroll" and action.get("direction") not in {"up", "down"}:
        problems.append(f"{where}: Scroll needs direction up/down")
    assertion = action.get("logical_assertion")
    if assertion is not None and (not isinstance(assertion, str) or len(assertion) < 8):
        problems.append(f"{where}: logical_assertion must be a sentence")
    flag = action.get("visual_evaluation_flag", False)
    if not isinstance(flag, bool):
        problems.append(f"{where}: visual_evaluation_flag must be a bool")
    allowed = {"type", "target", "description", "text", "key", "direction", "logical_assertion", "visual_evaluation_flag"}
    extra = set(action) - allowed
    if extra:
        problems.append(f"{where}: unknown fields {sorted(extra)}")
    return problems


def demo_problems(demo: dict[str, Any]) -> list[str]:
    """Schema problems of a whole demo.yaml (empty list when valid)."""
    problems = []
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", str(demo.get("id", ""))):
        problems.append("id must be kebab-case")
    if demo.get("resolution") != "1280x720":
        problems.append("resolution must be 1280x720")
    if not isinstance(demo.get("title"), str):
        problems.append("title missing")
    cls = demo.get("classification") or {}
    if cls.get("interaction_complexity") not in LEVELS_L or cls.get("visual_complexity") not in LEVELS_V:
        problems.append("classification levels invalid")
    if not cls.get("domain") or not cls.get("sub_domain"):
        problems.append("classification needs domain and sub_domain")
    actions = demo.get("actions") or []
    if not 6 <= len(actions) <= 16:
        problems.append(f"demo has {len(actions)} actions, want 6..16")
    for i, act in enumerate(actions, 1):
        problems += action_problems(act, f"action {i}")
    probes = demo.get("probes") or []
    if len(probes) < 2:
        problems.append("want at least 2 probes")
    names = [p.get("name") for p in probes]
    if len(set(names)) != len(names):
        problems.append("probe names must be unique")
    for probe in probes:
        steps = probe.get("actions") or []
        if not 3 <= len(steps) <= 8:
            problems.append(f"probe {probe.get('name')}: {len(steps)} actions, want 3..8")
        for i, act in enumerate(steps, 1):
            problems += action_problems(act, f"probe {probe.get('name')} action {i}")
    return problems


@dataclass
class Replay:
    """Visible text of the page before any action and after each performed action."""

    texts: list[str] = field(default_factory=list)
    error: str | None = None


async def settle(page: Any) -> None:
    await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


async def perform(page: Any, action: dict[str, Any]) -> None:
    """Perform one demo action by selector, the way the recorder does."""
    kind, target = action["type"], action.get("target")
    locator = None
    if target:
        locator = page.locator(target)
        count = await locator.count()
        if count != 1:
            raise AssertionError(f"selector {target!r} matches {count} elements")
        if not await locator.is_visible():
            raise AssertionError(f"selector {target!r} is not visible")
    if kind == "Click":
        await locator.click(timeout=3000)
    elif kind == "Type":
        await locator.click(timeout=3000)
        await page.keyboard.type(action["text"])
    elif kind == "Press":
        await page.keyboard.press(action["key"])
    elif kind == "Scroll":
        box = await locator.bounding_box() if locator else None
        x, y = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2) if box else (640, 360)
        await page.mouse.move(x, y)
        await page.mouse.wheel(0, WHEEL_PX if action["direction"] == "down" else -WHEEL_PX)
        await page.wait_for_timeout(120)


async def replay(browser: Any, root: Path, actions: list[dict[str, Any]]) -> Replay:
    """Open the app fresh at 1280x720 and perform the actions, recording visible text."""
    result = Replay()
    with serve_directory(root) as site:
        context = await browser.new_context(viewport={"width": 1280, "height": 720})
        try:
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(site.url("index.html"))
            await settle(page)
            result.texts.append(await page.inner_text("body"))
            for i, action in enumerate(actions, 1):
                try:
                    await perform(page, action)
                    await settle(page)
                except Exception as exc:  # noqa: BLE001 - reported per step
                    result.error = f"step {i}: {exc}"
                    break
                result.texts.append(await page.inner_text("body"))
            if errors and result.error is None:
                result.error = "page errors: " + "; ".join(errors)
            if site.not_found and result.error is None:
                result.error = "missing files: " + ", ".join(site.not_found)
        finally:
            await context.close()
    return result


def apply_defect(app: Path, defect: dict[str, Any], dest: Path) -> Path:
    """Copy the app to dest with the defect's replacement applied."""
    shutil.copytree(app, dest, ignore=shutil.ignore_patterns("__pycache__"))
    target = dest / defect["file"]
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace(defect["find"], defect["replace"], 1), encoding="utf-8")
    return dest


def first_difference(reference: list[str], variant: list[str]) -> int | None:
    """Index of the first state whose text differs (0 = before any action), or None.

    The variant may be a shorter replay (a prefix of the same actions)."""
    for k, (a, b) in enumerate(zip(reference, variant, strict=False)):  # the variant may be a prefix
        if a != b:
            return k
    return None


@dataclass
class AppRun:
    demo: Replay
    probes: dict[str, Replay]
    defects: dict[str, Replay]


async def run_all(tmp: Path, parallel: int = 4) -> dict[str, AppRun]:
    """Replay every demo, probe and defect variant, a few pages at a time in one browser."""
    gate = asyncio.Semaphore(parallel)

    async def bounded(root: Path, actions: list[dict[str, Any]]) -> Replay:
        async with gate:
            return await replay(browser, root, actions)

    async def run_app(name: str) -> AppRun:
        app = APPS_DIR / name
        demo = load_yaml(app / "demo.yaml")
        probe_list = demo.get("probes") or []
        defects_file = app / "defects.yaml"
        defect_list = load_yaml(defects_file) if defects_file.exists() else []
        jobs = [bounded(app, demo["actions"])]
        jobs += [bounded(app, p["actions"]) for p in probe_list]
        for defect in defect_list:
            variant = apply_defect(app, defect, tmp / f"{name}-{defect['name']}")
            # a logic defect only needs replaying up to the step it claims to break (plus one)
            stop = defect["breaks_at_step"] or len(demo["actions"])
            jobs.append(bounded(variant, demo["actions"][: stop + 1]))
        results = await asyncio.gather(*jobs)
        probes = {p["name"]: r for p, r in zip(probe_list, results[1:], strict=False)}  # the defects' results follow
        defects = {d["name"]: r for d, r in zip(defect_list, results[1 + len(probe_list) :], strict=True)}
        return AppRun(results[0], probes, defects)

    async with launch_browser() as browser:
        runs = await asyncio.gather(*(run_app(name) for name in APPS))
    return dict(zip(APPS, runs, strict=True))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AppRun]:
    return asyncio.run(run_all(tmp_path_factory.mktemp("defects")))


@pytest.mark.parametrize("name", APPS)
def test_demo_yaml_schema(name: str) -> None:
    demo = load_yaml(APPS_DIR / name / "demo.yaml")
    assert demo_problems(demo) == []
    assert (APPS_DIR / name / demo["entry"]).is_file()


@pytest.mark.parametrize("name", APPS)
def test_app_is_self_contained_and_deterministic(name: str) -> None:
    app = APPS_DIR / name
    sources = [p for p in app.iterdir() if p.suffix in {".html", ".js", ".css"}]
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources).replace(SVG_NAMESPACE, "")
    assert not re.search(r"https?://|//cdn|@import|fetch\(|XMLHttpRequest", text)
    assert not re.search(r"Date\.now|new Date\(|Math\.random|setInterval", text)
    html = (app / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<link rel="icon" href="assets/[\w-]+\.png"', html)
    assets = list((app / "assets").iterdir())
    assert assets and sum(p.stat().st_size for p in assets) < 300_000


def test_schema_checker_rejects_bad_demos() -> None:
    good = load_yaml(APPS_DIR / "task_board" / "demo.yaml")
    bad = dict(good, actions=good["actions"][:2])
    assert any("want 6..16" in p for p in demo_problems(bad))
    broken = dict(good, actions=[dict(a) for a in good["actions"]])
    broken["actions"][0]["description"] = "Type into the field"
    assert any("not quoted" in p for p in demo_problems(broken))


@pytest.mark.parametrize("name", APPS)
def test_demo_replays_by_selector(runs: dict[str, AppRun], name: str) -> None:
    run = runs[name]
    demo = load_yaml(APPS_DIR / name / "demo.yaml")
    assert run.demo.error is None
    assert len(run.demo.texts) == len(demo["actions"]) + 1
    changed = sum(a != b for a, b in itertools.pairwise(run.demo.texts))
    assert changed >= len(demo["actions"]) // 2, "most demo steps should change the visible text"


@pytest.mark.parametrize("name", APPS)
def test_probes_replay_by_selector(runs: dict[str, AppRun], name: str) -> None:
    run = runs[name]
    assert len(run.probes) >= 2
    for probe_name, result in run.probes.items():
        assert result.error is None, probe_name
        changed = sum(a != b for a, b in itertools.pairwise(result.texts))
        assert changed >= (len(result.texts) - 1) // 2, f"probe {probe_name}: most steps should change the page"


@pytest.mark.parametrize("name", APPS)
def test_defects_are_well_formed(name: str) -> None:
    path = APPS_DIR / name / "defects.yaml"
    if not path.exists():
        assert name not in {"task_board", "minesweeper", "calculator"}
        return
    defects = load_yaml(path)
    demo = load_yaml(APPS_DIR / name / "demo.yaml")
    assert {d["kind"] for d in defects} == DEFECT_KINDS
    for defect in defects:
        source = (APPS_DIR / name / defect["file"]).read_text(encoding="utf-8")
        assert source.count(defect["find"]) == 1, defect["name"]
        assert defect["find"] != defect["replace"]
        step = defect["breaks_at_step"]
        if defect["kind"] == "visual_only":
            assert step is None
        else:
            assert 1 < step <= len(demo["actions"])
            assert demo["actions"][step - 1].get("logical_assertion"), defect["name"]


@pytest.mark.parametrize("name", APPS)
def test_defects_change_the_page_exactly_where_they_claim(runs: dict[str, AppRun], name: str) -> None:
    path = APPS_DIR / name / "defects.yaml"
    if not path.exists():
        pytest.skip("no planted defects for this app")
    reference = runs[name].demo
    for defect in load_yaml(path):
        variant = runs[name].defects[defect["name"]]
        assert variant.error is None or defect["kind"] == "missing_handler", (defect["name"], variant.error)
        assert first_difference(reference.texts, variant.texts) == defect["breaks_at_step"], defect["name"]
        if defect["kind"] == "visual_only":
            assert len(variant.texts) == len(reference.texts), "visual-only variant must replay fully"
