"""The iterative agent's self-test checks what the recording showed changing at each plan step
(real recording, real perception, real Chromium; only the model is scripted), merges it with an
analyst's assertion texts, and tells the repair step which recorded change is missing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from video_tasks import TALLY_ID, record_tally, tally_page

from iwr.agents.perception import ToolPerceiver
from iwr.agents.roles import LLMCoder
from iwr.agents.self_test import PlanSelfTester
from iwr.benchmark.dataset import load_task
from iwr.benchmark.judge.judge import Judge, JudgeConfig
from iwr.benchmark.judge.types import JudgeResult
from iwr.benchmark.task import Task
from iwr.graphs import ReconstructionState
from iwr.graphs.nodes import plan_changes, plan_from_perception, self_test_trajectory, verdict_from_result
from iwr.tools.llm import LLMGateway, LLMSettings


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Task, ReconstructionState, Path]:
    base = tmp_path_factory.mktemp("tally_agent")
    task = load_task(record_tally(base), TALLY_ID)
    inputs = task.inputs()
    summary = asyncio.run(ToolPerceiver(base / "perception_cache").perceive(inputs, base / "work" / "perception"))
    plan = plan_from_perception(summary, inputs.resolution.width * inputs.resolution.height)
    changes = plan_changes(summary, plan.actions, plan.initial_keyframe, plan.keyframes, inputs.resolution.width)
    state = ReconstructionState(inputs=inputs, perception=summary, plan=plan.actions, plan_keyframes=plan.keyframes,
                                initial_keyframe=plan.initial_keyframe, plan_changes=changes)
    return task, state, base


def _self_test(task: Task, state: ReconstructionState, pages: dict[str, Path], out: Path) -> dict[str, JudgeResult]:
    async def run() -> dict[str, JudgeResult]:
        async with Judge(JudgeConfig(visual=False, probes=False, ocr_cache_dir=out / "ocr")) as judge:
            tester = PlanSelfTester(judge, task.key)
            return {name: await tester.test(page, self_test_trajectory(state), task.resolution, None, out / name)
                    for name, page in pages.items()}

    return asyncio.run(run())


def test_self_test_checks_the_recorded_changes(recorded: tuple[Task, ReconstructionState, Path], tmp_path: Path) -> None:
    task, state, _ = recorded
    clicks = [i for i, a in enumerate(state.plan) if a.type.value == "Click"]
    assert len(clicks) == 3 and all(state.plan_changes[i] is not None for i in clicks)
    trajectory = self_test_trajectory(state)
    assert trajectory.source == "video" and trajectory.expected_changes == state.plan_changes

    results = _self_test(task, state, {"reference": tally_page(tmp_path / "ref"),
                                       "adds-two": tally_page(tmp_path / "two", add=2)}, tmp_path / "judged")
    ok = verdict_from_result(results["reference"], 0, 1.0, None, state.plan_keyframes, state.plan_changes)
    assert ok.passed and not ok.failures
    bad = verdict_from_result(results["adds-two"], 0, 1.0, None, state.plan_keyframes, state.plan_changes)
    assert not bad.passed
    first = bad.failures[0]
    assert first.index == clicks[0] + 1
    assert first.recorded is not None and "Count 1" in first.recorded  # what the video showed
    assert "numbers do not change alike" in first.evidence

    # the repair step is shown the failed recorded change
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"repair": ["<<<<<<< SEARCH\nn += 2;\n=======\nn += 1;\n>>>>>>> REPLACE\n"]}))
    gateway = LLMGateway(LLMSettings(model=f"scripted/{script}", cache=False), transcript_path=tmp_path / "t.jsonl")
    html = (tmp_path / "two" / "index.html").read_text()
    asyncio.run(LLMCoder(gateway).repair(state.inputs, html, bad, state.perception, "search_replace"))
    sent = (tmp_path / "t.jsonl").read_text()
    assert "the recording shows:" in sent and "Count 1" in sent


def test_an_analyst_assertion_is_checked_besides_the_recorded_change(
        recorded: tuple[Task, ReconstructionState, Path], tmp_path: Path) -> None:
    task, state, _ = recorded
    first = next(i for i, a in enumerate(state.plan) if a.type.value == "Click")
    plan = list(state.plan)
    plan[first] = plan[first].model_copy(update={"logical_assertion": "The note reads 'Added one'"})
    merged = state.model_copy(update={"plan": plan})
    results = _self_test(task, merged, {"reference": tally_page(tmp_path / "ref"),
                                        "adds-two": tally_page(tmp_path / "two", add=2)}, tmp_path / "judged")
    step = results["reference"].steps[first]
    assert step.passed and step.assertion is not None and step.assertion.method == "offline+video"
    bad = results["adds-two"].steps[first]
    # the analyst's text holds ('Added one' is shown), the recorded change does not ('Count 2'): the step fails
    assert not bad.passed and bad.assertion is not None
    assert bad.assertion.evidence["text"]["passed"] is True and bad.assertion.evidence["video"]["passed"] is False
