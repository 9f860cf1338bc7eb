"""The reconstruction graph: routing, keep-best, stop reasons, budgets, checkpoint resume.

Roles are small local fakes here (the LLM boundary); the end-to-end tests in
test_run_e2e.py use the real gateway, perception and judge.
"""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

import aiosqlite
import numpy as np
import pytest
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from PIL import Image

from iwr.benchmark.judge.types import JudgeResult, Protocol, Scores, StepVerdict, Trajectory
from iwr.benchmark.task import Action, ActionParameters, Point, Resolution, TaskInputs
from iwr.graphs import (
    AssetMap,
    AssetSighting,
    CodeResult,
    Context,
    EventSummary,
    KeyframeRef,
    PerceptionSummary,
    PlanResult,
    ReconstructionState,
    SelfTestVerdict,
    Usage,
    build_graph,
    state_serializer,
)
from iwr.graphs.nodes import self_test_trajectory
from iwr.tools.llm import ModelError

RES = Resolution(width=320, height=200)


def _inputs(tmp: Path) -> TaskInputs:
    video = tmp / "stage" / "video.mp4"
    video.parent.mkdir(parents=True)
    video.write_bytes(b"")
    return TaskInputs(task_id="t", resolution=RES, video=video, assets=[], contact_sheets=[])


class FakePerceiver:
    def __init__(self, tmp: Path) -> None:
        self.paths = []
        for i in range(3):
            p = tmp / f"kf{i}.png"
            Image.fromarray(np.full((200, 320, 3), 40 * i, np.uint8)).save(p)
            self.paths.append(p)

    async def perceive(self, inputs: TaskInputs, out_dir: Path) -> PerceptionSummary:
        return PerceptionSummary(
            duration=3.0,
            keyframes=[KeyframeRef(index=i, time=float(i), path=p) for i, p in enumerate(self.paths)],
            events=[
                EventSummary(index=0, kind="click", start=0.5, end=0.9, point=Point(x=10, y=20), before_keyframe=0,
                             after_keyframe=1),
                EventSummary(index=1, kind="typing", start=1.5, end=1.9, point=Point(x=30, y=40), typed_text="hi",
                             before_keyframe=1, after_keyframe=2),
            ],
        )

    async def match_assets(self, inputs: TaskInputs, perception: PerceptionSummary, out_dir: Path) -> AssetMap:
        return AssetMap(sightings=[AssetSighting(asset="a.png", keyframe=0,
                                                 box=perception.events[0].regions[0] if perception.events[0].regions else
                                                 __import__("iwr.benchmark.task",
                                                            fromlist=["Box"]).Box(x=0, y=0, width=5, height=5))],
                        unseen=["b.png"])


class FakeCoder:
    """Draft contains `n` defects; each repair removes one (or adds one when `worsen`)."""

    def __init__(self, defects: int = 1, worsen: bool = False, fail_repair: BaseException | None = None,
                 tokens: int = 10) -> None:
        self.defects, self.worsen, self.fail_repair, self.tokens = defects, worsen, fail_repair, tokens
        self.drafts = 0
        self.repairs = 0

    async def draft(self, inputs, perception, asset_map, plan, out_dir) -> CodeResult:
        self.drafts += 1
        return CodeResult(html="<html>" + "BUG " * self.defects + "</html>", usage=Usage(calls=1, prompt_tokens=self.tokens))

    async def repair(self, inputs, html: str, verdict: SelfTestVerdict, perception, style) -> CodeResult:
        self.repairs += 1
        if self.fail_repair is not None:
            exc, self.fail_repair = self.fail_repair, None
            raise exc
        new = html.replace("<html>", "<html>BUG ") if self.worsen else html.replace("BUG ", "", 1)
        return CodeResult(html=new, usage=Usage(calls=1, prompt_tokens=self.tokens), edits_applied=1)


class FakeAnalyst:
    async def analyse(self, inputs, perception, asset_map) -> PlanResult:
        actions = [Action(type="Click", parameters=ActionParameters(description="click the button"), point=Point(x=1, y=2)),
                   Action(type="Type", parameters=ActionParameters(description="type 'x'", text="x"))]
        return PlanResult(actions=actions, keyframes=[1, 2], initial_keyframe=0, usage=Usage(calls=1, prompt_tokens=5))


class FakeTester:
    """Scores a page by its number of defects: 2 plan steps, each defect fails one."""

    def __init__(self) -> None:
        self.trajectories: list[Trajectory] = []

    async def test(self, page_dir: Path, trajectory: Trajectory, resolution, assets_dir, out_dir: Path) -> JudgeResult:
        self.trajectories.append(trajectory)
        bugs = (page_dir / "index.html").read_text().count("BUG")
        ok = max(0, len(trajectory.actions) - bugs)
        steps = [StepVerdict(index=i + 1, action=a, performed=True, passed=i < ok) for i, a in enumerate(trajectory.actions)]
        ifs = ok / len(trajectory.actions)
        return JudgeResult(task_id="t", protocol=Protocol(name="offline", grounder="dom", asserter="offline", visual=[]),
                           steps=steps, success_steps=ok, total_steps=len(steps),
                           scores=Scores(ifs=ifs, vfs=0.5, final=0.7 * ifs + 0.15))


def _context(tmp: Path, coder: FakeCoder, *, loop: bool = True, perception: bool = True, analyst: bool = True, **kw) -> Context:
    return Context(
        coder=coder,
        work_dir=tmp / "work",
        perceiver=FakePerceiver(tmp) if perception else None,
        analyst=FakeAnalyst() if analyst else None,
        self_tester=FakeTester() if loop else None,
        max_iters=kw.pop("max_iters", 3) if loop else 0,
        use_perception=perception,
        **kw,
    )


async def _run(tmp: Path, ctx: Context, thread: str = "t",
               start: ReconstructionState | None = None) -> tuple[ReconstructionState, list[str]]:
    nodes: list[str] = []
    async with aiosqlite.connect(tmp / "cp.sqlite") as conn:
        graph = build_graph().compile(checkpointer=AsyncSqliteSaver(conn, serde=state_serializer()))
        config = {"configurable": {"thread_id": thread}}
        async for update in graph.astream(start, config, context=ctx, durability="sync", stream_mode="updates"):
            nodes.extend(update)
        final = await graph.aget_state(config)
    return ReconstructionState.model_validate(final.values), nodes


def test_single_shot_route_runs_only_draft_and_finish(tmp_path: Path) -> None:
    coder = FakeCoder()
    ctx = _context(tmp_path, coder, loop=False, perception=False, analyst=False)
    state, nodes = asyncio.run(_run(tmp_path, ctx, start=ReconstructionState(inputs=_inputs(tmp_path))))
    assert nodes == ["draft", "finish"]
    assert state.stop_reason == "no_loop" and state.best_iteration == 0
    assert (tmp_path / "work" / "final" / "index.html").read_text() == (tmp_path / "work" / "iter_0" / "index.html").read_text()


def test_iterative_repairs_until_self_test_passes_and_keeps_best(tmp_path: Path) -> None:
    coder = FakeCoder(defects=2)
    recorded: list[int] = []

    async def hook(page) -> None:
        recorded.append(page.iteration)

    ctx = _context(tmp_path, coder, on_iteration=hook)
    state, nodes = asyncio.run(_run(tmp_path, ctx, start=ReconstructionState(inputs=_inputs(tmp_path))))
    assert nodes == ["perceive", "match_assets", "analyse", "draft", "self_test", "repair", "self_test", "repair", "self_test",
                     "finish"]
    assert recorded == [0, 1, 2]
    assert state.stop_reason == "self_test_passed"
    assert [v.ifs for v in state.verdicts] == [0.0, 0.5, 1.0]
    assert state.best_iteration == 2 and "BUG" not in state.final_page.read_text()
    assert state.usage.prompt_tokens == 5 + 3 * 10 and state.usage.calls == 4
    assert state.asset_map[0].asset == "a.png" and state.perception.unseen_assets == ["b.png"]


def test_keeps_earlier_page_when_repairs_make_it_worse(tmp_path: Path) -> None:
    ctx = _context(tmp_path, FakeCoder(defects=1, worsen=True), max_iters=2)
    state, _ = asyncio.run(_run(tmp_path, ctx, start=ReconstructionState(inputs=_inputs(tmp_path))))
    assert state.stop_reason == "max_iters" and len(state.pages) == 3
    assert state.best_iteration == 0
    assert state.final_page.read_text() == state.pages[0].path.read_text()


def test_repair_model_error_stops_and_keeps_the_draft(tmp_path: Path) -> None:
    coder = FakeCoder(defects=1, fail_repair=ModelError("no code", kind="unparseable", purpose="repair"))
    state, nodes = asyncio.run(_run(tmp_path, _context(tmp_path, coder), start=ReconstructionState(inputs=_inputs(tmp_path))))
    assert nodes[-2:] == ["repair", "finish"]
    assert state.stop_reason == "model_error" and state.best_iteration == 0
    assert any("no code" in e for e in state.errors)


def test_token_budget_stops_the_loop(tmp_path: Path) -> None:
    ctx = _context(tmp_path, FakeCoder(defects=2, tokens=100), max_tokens=100)
    state, _ = asyncio.run(_run(tmp_path, ctx, start=ReconstructionState(inputs=_inputs(tmp_path))))
    assert state.stop_reason == "budget" and len(state.pages) == 1


def test_resume_after_crash_continues_at_the_failed_node(tmp_path: Path) -> None:
    coder = FakeCoder(defects=1, fail_repair=RuntimeError("killed"))
    ctx = _context(tmp_path, coder)
    with pytest.raises(RuntimeError, match="killed"):
        asyncio.run(_run(tmp_path, ctx, start=ReconstructionState(inputs=_inputs(tmp_path))))
    assert coder.drafts == 1 and coder.repairs == 1
    state, nodes = asyncio.run(_run(tmp_path, ctx, start=None))  # resume: invoke(None)
    assert nodes[0] == "repair" and coder.drafts == 1
    assert state.stop_reason == "self_test_passed" and state.best_iteration == 1


def test_self_test_uses_keyframes_as_checkpoints_and_plan_points_as_hints(tmp_path: Path) -> None:
    ctx = _context(tmp_path, FakeCoder(defects=0))
    state, _ = asyncio.run(_run(tmp_path, ctx, start=ReconstructionState(inputs=_inputs(tmp_path))))
    traj = self_test_trajectory(state)
    assert [a.description for a in traj.actions] == ["click the button", "type 'x'"]
    assert traj.checkpoints == [k.path for k in state.perception.keyframes]  # initial + after each step
    assert traj.pointer_hints == [Point(x=1, y=2), None]
    assert state.stop_reason == "self_test_passed" and len(state.pages) == 1


def test_perceived_events_become_the_plan_without_an_analyst(tmp_path: Path) -> None:
    ctx = _context(tmp_path, FakeCoder(defects=0), analyst=False)
    state, _ = asyncio.run(_run(tmp_path, ctx, start=ReconstructionState(inputs=_inputs(tmp_path))))
    assert [a.type.value for a in state.plan] == ["Click", "Type"]
    assert state.plan[0].point == Point(x=10, y=20) and state.plan[1].parameters.text == "hi"
    assert state.plan_keyframes == [1, 2]


def test_checkpointing_nested_state_gives_no_serializer_warning(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(_run(tmp_path, _context(tmp_path, FakeCoder(defects=1)), start=ReconstructionState(inputs=_inputs(tmp_path))))
    assert not [w for w in caught if "serializ" in str(w.message).lower() or "msgpack" in str(w.message).lower()]


def test_usage_is_one_type_and_checkpoints_naming_its_old_module_still_load() -> None:
    from iwr.tools.llm import Usage as CallUsage

    assert Usage is CallUsage
    total = Usage(calls=1, prompt_tokens=10, completion_tokens=2, cost_usd=0.5) + Usage(calls=1, cached_calls=1)
    assert (total.calls, total.cached_calls, total.tokens, total.cost_usd) == (2, 1, 12, 0.5)
    assert (total + Usage(calls=1, cost_usd=None)).cost_usd is None  # unknown stays unknown

    class OldUsage(Usage):  # what a checkpoint written before the move names: iwr.graphs.state.Usage
        pass

    OldUsage.__module__, OldUsage.__name__, OldUsage.__qualname__ = "iwr.graphs.state", "Usage", "Usage"
    serde = state_serializer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        back = serde.loads_typed(serde.dumps_typed(OldUsage(calls=3, prompt_tokens=7)))
    assert type(back) is Usage and (back.calls, back.prompt_tokens) == (3, 7)
    assert not [w for w in caught if "msgpack" in str(w.message).lower() or "serializ" in str(w.message).lower()]


def test_a_node_update_names_exactly_the_state_fields_with_their_types() -> None:
    import typing

    from iwr.graphs.state import StateUpdate

    hints = typing.get_type_hints(StateUpdate)
    assert set(hints) == set(ReconstructionState.model_fields)
    for name, info in ReconstructionState.model_fields.items():
        assert hints[name] == info.annotation, name
