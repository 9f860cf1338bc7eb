"""Agents: catalog and switches, LLM roles (scripted provider), baseline pages in real Chromium."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from iwr.agents import AGENTS, build_context, resolve_agent
from iwr.agents.baselines import BlankCoder, SlideshowCoder
from iwr.agents.roles import LLMAnalyst, LLMCoder
from iwr.benchmark.task import Box, Point, Resolution, TaskInputs
from iwr.errors import IwrError
from iwr.graphs import EventSummary, FailedStep, KeyframeRef, PerceptionSummary, SelfTestVerdict
from iwr.tools.browser import launch_browser
from iwr.tools.llm import LLMGateway, LLMSettings, ModelError
from iwr.tools.local_server import serve_directory

RES = Resolution(width=400, height=240)


# ---------------------------------------------------------------- catalog


def test_catalog_has_the_named_agents_and_baselines() -> None:
    assert {"single-shot", "perceive-then-code", "iterative", "blank", "screenshot-slideshow", "static-layout",
            "trajectory-replay", "reference"} <= set(AGENTS)
    assert "ORACLE" in AGENTS["reference"].description and not AGENTS["reference"].needs_model
    assert not AGENTS["single-shot"].use_perception and AGENTS["single-shot"].max_iters == 0
    assert AGENTS["iterative"].max_iters > 0 and AGENTS["iterative"].analyst
    assert not any(AGENTS[n].needs_model for n in ("blank", "screenshot-slideshow", "static-layout", "trajectory-replay"))


def test_switches_show_in_the_label_and_oracle_is_labelled() -> None:
    assert resolve_agent("iterative").run_name == "iterative"
    spec = resolve_agent("iterative", max_iters=1, repair_style="whole", reasoning_effort="high", oracle_feedback=True)
    assert spec.max_iters == 1 and spec.repair_style == "whole" and spec.oracle_feedback
    assert spec.run_name == "iterative+it1+repair-whole+think-high+ORACLE"
    assert resolve_agent("single-shot", use_perception=True).run_name == "single-shot+perception"


def test_invalid_switch_combinations_are_user_errors() -> None:
    with pytest.raises(IwrError, match="unknown agent"):
        resolve_agent("nope")
    with pytest.raises(IwrError, match="oracle"):
        resolve_agent("single-shot", oracle_feedback=True)
    with pytest.raises(IwrError, match="max-iters"):
        resolve_agent("blank", max_iters=2)
    with pytest.raises(IwrError, match="needs a model"):
        build_context(resolve_agent("iterative"), work_dir=Path("/tmp/x"))


def test_oracle_tester_only_reaches_the_graph_when_switched_on(tmp_path: Path) -> None:
    sentinel = object()
    ctx = build_context(resolve_agent("blank"), work_dir=tmp_path, self_tester=sentinel)  # type: ignore[arg-type]
    assert ctx.self_tester is None and not ctx.loops  # baselines never self-test


# ---------------------------------------------------------------- fixtures


def _frame(path: Path, label: str, shade: int) -> Path:
    img = Image.new("RGB", (RES.width, RES.height), (250, 250, 250))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, RES.width, 40], fill=(30, 60, 120 + shade))
    d.rectangle([40, 100, 200, 140], fill=(220, 220, 220), outline=(0, 0, 0))
    d.text((60, 112), label, fill=(0, 0, 0))
    img.save(path)
    return path


@pytest.fixture
def perception(tmp_path: Path) -> PerceptionSummary:
    frames = [_frame(tmp_path / f"kf{i}.png", f"State {i}", 40 * i) for i in range(3)]
    return PerceptionSummary(
        duration=4.0,
        keyframes=[KeyframeRef(index=i, time=float(i), path=p) for i, p in enumerate(frames)],
        events=[
            EventSummary(index=0, kind="click", start=0.5, end=0.9, point=Point(x=120, y=120), click=True,
                         before_keyframe=0, after_keyframe=1),
            EventSummary(index=1, kind="typing", start=1.5, end=2.5, point=Point(x=120, y=120), typed_text="ab",
                         regions=[Box(x=40, y=100, width=160, height=40)], before_keyframe=1, after_keyframe=2),
        ],
    )


def _inputs(tmp: Path) -> TaskInputs:
    (tmp / "stage" / "assets").mkdir(parents=True)
    (tmp / "stage" / "assets" / "asset_001.png").write_bytes(b"x")
    return TaskInputs(task_id="t", resolution=RES, video=tmp / "stage" / "video.mp4",
                      assets=[tmp / "stage" / "assets" / "asset_001.png"], contact_sheets=[])


def _write(page_dir: Path, result) -> Path:
    page_dir.mkdir(parents=True, exist_ok=True)
    (page_dir / "index.html").write_text(result.html)
    for name, data in result.files.items():
        (page_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (page_dir / name).write_bytes(data)
    return page_dir


# ---------------------------------------------------------------- baselines in Chromium


def test_blank_page_is_empty(tmp_path: Path) -> None:
    result = asyncio.run(BlankCoder().draft(_inputs(tmp_path), None, [], [], tmp_path / "iter_0"))
    assert "<body>" in result.html and "<img" not in result.html and "<button" not in result.html


def test_slideshow_advances_on_click(tmp_path: Path, perception: PerceptionSummary) -> None:
    result = asyncio.run(SlideshowCoder().draft(_inputs(tmp_path), perception, [], [], tmp_path / "iter_0"))
    page_dir = _write(tmp_path / "page", result)
    assert len(result.files) == 3

    async def check() -> list[str]:
        seen = []
        with serve_directory(page_dir) as site:
            async with launch_browser() as browser:
                page = await browser.new_page(viewport={"width": RES.width, "height": RES.height})
                await page.goto(site.url("index.html"))
                for _ in range(4):
                    seen.append(await page.evaluate("document.getElementById('slide').getAttribute('src')"))
                    await page.mouse.click(300, 200)
        return seen

    assert asyncio.run(check()) == ["states/state_0.png", "states/state_1.png", "states/state_2.png", "states/state_2.png"]


# trajectory-replay and the reference oracle: tests/test_baselines.py


# ---------------------------------------------------------------- LLM roles (scripted provider)


def _gateway(tmp: Path, script: dict) -> LLMGateway:
    path = tmp / "script.json"
    path.write_text(json.dumps(script))
    return LLMGateway(LLMSettings(model=f"scripted/{path}", cache=False), transcript_path=tmp / "transcript.jsonl")


def test_analyst_turns_json_into_a_plan_with_keyframes(tmp_path: Path, perception: PerceptionSummary) -> None:
    plan = [
        {"type": "Click", "description": "Click the grey button", "point": [120, 120], "assertion": "State 1 shows",
         "keyframe": 1},
        {"type": "Type", "description": "Type 'ab' into the field", "text": "ab", "keyframe": 2},
        {"type": "Dance", "description": "not an action"},
        {"type": "Press", "description": "Press Enter", "key": "Enter", "keyframe": 99},
    ]
    gw = _gateway(tmp_path, {"analyse": ["```json\n" + json.dumps(plan) + "\n```"]})
    result = asyncio.run(LLMAnalyst(gw).analyse(_inputs(tmp_path), perception, []))
    assert [a.type.value for a in result.actions] == ["Click", "Type", "Press"]
    assert result.actions[0].point == Point(x=120, y=120) and result.actions[0].logical_assertion == "State 1 shows"
    assert result.keyframes == [1, 2, None] and result.initial_keyframe == 0
    assert result.usage.calls == 1


def test_coder_draft_and_search_replace_repair(tmp_path: Path, perception: PerceptionSummary) -> None:
    draft = "```html\n<!DOCTYPE html>\n<html><body><button>Go</button></body></html>\n```"
    edit = "<<<<<<< SEARCH\n<button>Go</button>\n=======\n<button onclick=\"x()\">Go</button>\n>>>>>>> REPLACE\n"
    gw = _gateway(tmp_path, {"draft": [draft], "repair": [edit, "no edits at all", "nor a page", "```html\n<html>new</html>\n```"]})
    coder = LLMCoder(gw)
    inputs = _inputs(tmp_path)
    page = asyncio.run(coder.draft(inputs, perception, [], [], tmp_path / "iter_0"))
    assert page.html.startswith("<!DOCTYPE html>") and "<button>Go</button>" in page.html
    verdict = SelfTestVerdict(iteration=0, score=0.0, ifs=0.0, failures=[FailedStep(index=1, description="Click Go", keyframe=1)])
    fixed = asyncio.run(coder.repair(inputs, page.html, verdict, perception, "search_replace"))
    assert 'onclick="x()"' in fixed.html and fixed.edits_applied == 1
    with pytest.raises(ModelError):  # no edit block, and no page when asked for the whole page
        asyncio.run(coder.repair(inputs, page.html, verdict, perception, "search_replace"))
    whole = asyncio.run(coder.repair(inputs, page.html, verdict, perception, "whole"))
    assert whole.html == "<html>new</html>"
    # the repair request carried the keyframe of the failed step
    lines = [json.loads(line) for line in (tmp_path / "transcript.jsonl").read_text().splitlines()]
    assert any("Click Go" in json.dumps(line) for line in lines)


def test_truncated_draft_is_a_model_error(tmp_path: Path, perception: PerceptionSummary) -> None:
    gw = _gateway(tmp_path, {"draft": ["```html\n<!DOCTYPE html><html><body><div>"]})
    with pytest.raises(ModelError) as info:
        asyncio.run(LLMCoder(gw).draft(_inputs(tmp_path), perception, [], [], tmp_path / "iter_0"))
    assert info.value.kind == "unparseable"


def test_oracle_self_tester_judges_the_demo_trajectory_only(tmp_path: Path) -> None:
    from iwr.agents.self_test import OracleSelfTester, PlanSelfTester
    from iwr.benchmark.judge.types import Trajectory
    from iwr.benchmark.task import Action, ActionParameters, Task

    calls: list[Trajectory] = []

    class RecordingJudge:
        async def judge(self, page_dir, trajectory, resolution, assets_dir, out_dir, task_id):
            calls.append(trajectory)
            return None

        async def judge_task(self, task, page_dir, out_dir):  # would also replay probes
            raise AssertionError("the oracle must not replay probes")

    truth = [Action(type="Click", parameters=ActionParameters(description="Click the secret 'Go' button"))]
    task = Task(id="t1", action_sequence=truth, recording_details={"resolution": "400x240"}, root=tmp_path)
    own = Trajectory(name="self-test", actions=[Action(type="Click", parameters=ActionParameters(description="my plan"))])
    asyncio.run(PlanSelfTester(RecordingJudge(), "t1").test(tmp_path, own, RES, None, tmp_path / "o1"))
    asyncio.run(OracleSelfTester(RecordingJudge(), task).test(tmp_path, own, RES, None, tmp_path / "o2"))
    assert [t.actions[0].description for t in calls] == ["my plan", "Click the secret 'Go' button"]
