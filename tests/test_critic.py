"""The critic: a visual review between self-test and repair (graph routing, the LLM role, the repair prompt)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_graph import FakeCoder, _context, _inputs, _run

from iwr.agents import build_context, resolve_agent
from iwr.agents.roles import LLMCoder, LLMCritic, critic_note
from iwr.benchmark.judge.types import JudgeResult, Protocol, Scores, StepVerdict, Trajectory, VisualScores
from iwr.errors import IwrError
from iwr.graphs import CritiqueResult, FailedStep, ReconstructionState, SelfTestVerdict
from iwr.graphs.nodes import critic_pairs
from iwr.tools.llm import LLMGateway, LLMSettings, ModelError
from iwr.tools.llm.transcript import read_transcript


def _png(path: Path, value: int) -> Path:
    Image.fromarray(np.full((20, 30, 3), value, np.uint8)).save(path)
    return path


class ShootingTester:
    """Like a judge: one screenshot per step, paired with the trajectory's checkpoint; a defect fails step 2."""

    async def test(self, page_dir: Path, trajectory: Trajectory, resolution, assets_dir, out_dir: Path) -> JudgeResult:
        out_dir.mkdir(parents=True, exist_ok=True)
        broken = "BUG" in (page_dir / "index.html").read_text()
        steps = []
        for i, action in enumerate(trajectory.actions, start=1):
            _png(out_dir / f"step_{i}.png", 10 * i)
            checkpoint = trajectory.checkpoints[i] if i < len(trajectory.checkpoints) else None
            steps.append(StepVerdict(index=i, action=action, performed=True, passed=not (broken and i == 2),
                                     screenshot=f"step_{i}.png", checkpoint=str(checkpoint) if checkpoint else None,
                                     visual=VisualScores(ocr=0.9, structural=0.9)))
        ok = sum(s.passed for s in steps)
        return JudgeResult(task_id="t", protocol=Protocol(name="offline", grounder="dom", asserter="offline", visual=[]),
                           steps=steps, success_steps=ok, total_steps=len(steps), scores=Scores(ifs=ok / len(steps)))


class FakeCritic:
    def __init__(self) -> None:
        self.calls: list[list[tuple[Path, Path]]] = []

    async def critique(self, inputs, pairs: list[tuple[Path, Path]]) -> CritiqueResult:
        self.calls.append(pairs)
        return CritiqueResult(notes=[f"pair 1: the header colour is wrong (call {len(self.calls)})"])


class RecordingCoder(FakeCoder):
    def __init__(self) -> None:
        super().__init__(defects=1)
        self.critiques: list[list[str]] = []

    async def repair(self, inputs, html, verdict: SelfTestVerdict, perception, style):
        self.critiques.append(list(verdict.critique))
        return await super().repair(inputs, html, verdict, perception, style)


def test_critic_runs_before_each_repair_and_its_notes_reach_the_coder(tmp_path: Path) -> None:
    coder, critic = RecordingCoder(), FakeCritic()
    ctx = _context(tmp_path, coder, critic=critic, critic_pairs=1)
    ctx.self_tester = ShootingTester()
    state, nodes = asyncio.run(_run(tmp_path, ctx, start=ReconstructionState(inputs=_inputs(tmp_path))))
    assert nodes[3:] == ["draft", "self_test", "critic", "repair", "self_test", "finish"]
    assert coder.critiques == [["pair 1: the header colour is wrong (call 1)"]]
    # the failed step (2) comes first: its checkpoint is the keyframe after step 2
    [(keyframe, shot)] = critic.calls[0]
    assert keyframe == state.perception.keyframe(2).path and shot.name == "step_2.png"
    assert state.verdicts[0].critique and not state.verdicts[-1].critique
    assert state.stop_reason == "self_test_passed"


def test_critic_pairs_prefer_failed_then_worst_looking_steps(tmp_path: Path) -> None:
    frames = [_png(tmp_path / f"kf{i}.png", i) for i in range(4)]
    for i in range(4):  # the replay screenshots the steps name
        _png(tmp_path / f"s{i}.png", i)
    action = {"type": "Click", "parameters": {"description": "x"}}
    steps = [
        StepVerdict(index=1, action=action, passed=True, screenshot="s1.png", checkpoint=str(frames[1]),
                    visual=VisualScores(ocr=0.9, structural=0.9)),
        StepVerdict(index=2, action=action, passed=True, screenshot="s2.png", checkpoint=str(frames[2]),
                    visual=VisualScores(ocr=0.2, structural=0.3)),
        StepVerdict(index=3, action=action, passed=False, screenshot="s3.png", checkpoint=str(frames[3])),
        StepVerdict(index=4, action=action, passed=False, screenshot=None, checkpoint=str(frames[0])),  # no screenshot: unusable
    ]
    result = JudgeResult(task_id="t", protocol=Protocol(name="offline", grounder="dom", asserter="offline", visual=[]),
                         steps=steps, scores=Scores(ifs=0.5))
    result.save(tmp_path / "self_test.json")
    verdict = SelfTestVerdict(iteration=0, score=0.5, ifs=0.5, result_path=tmp_path / "self_test.json")
    assert [s.name for _, s in critic_pairs(verdict, 3)] == ["s3.png", "s2.png", "s1.png"]
    assert [s.name for _, s in critic_pairs(verdict, 1)] == ["s3.png"]
    assert critic_pairs(verdict.model_copy(update={"result_path": None}), 3) == []


def _gateway(tmp: Path, script: dict) -> LLMGateway:
    path = tmp / "script.json"
    path.write_text(json.dumps(script))
    return LLMGateway(LLMSettings(model=f"scripted/{path}", cache=False), transcript_path=tmp / "transcript.jsonl")


def test_llm_critic_sends_image_pairs_and_parses_notes(tmp_path: Path) -> None:
    review = [{"pair": 1, "problem": "the total is missing", "fix": "add the total row"}, {"problem": ""}, "buttons too small"]
    gw = _gateway(tmp_path, {"critic": ["```json\n" + json.dumps(review) + "\n```", "I think it looks fine."]})
    pairs = [(_png(tmp_path / "k1.png", 1), _png(tmp_path / "p1.png", 2)),
             (_png(tmp_path / "k2.png", 3), _png(tmp_path / "p2.png", 4))]
    inputs = _inputs(tmp_path)
    result = asyncio.run(LLMCritic(gw).critique(inputs, pairs))
    assert result.notes == ["pair 1: the total is missing; fix: add the total row", "buttons too small"]
    assert result.usage.calls == 1
    [record] = read_transcript(tmp_path / "transcript.jsonl")
    images = [part for msg in record["messages"] for part in msg["content"] if isinstance(part, dict) and "image_sha256" in part]
    assert record["purpose"] == "critic" and len(images) == 4
    with pytest.raises(ModelError):  # an answer that is no JSON list is a model error, never an empty review
        asyncio.run(LLMCritic(gw).critique(inputs, pairs))


def test_critic_note_formats() -> None:
    assert critic_note({"pair": 2, "problem": " wrong font ", "fix": ""}) == "pair 2: wrong font"
    assert critic_note({"fix": "x"}) == "" and critic_note(7) == ""


def test_repair_prompt_carries_the_critique(tmp_path: Path) -> None:
    edit = "<<<<<<< SEARCH\n<b>x</b>\n=======\n<b>y</b>\n>>>>>>> REPLACE\n"
    gw = _gateway(tmp_path, {"repair": [edit]})
    verdict = SelfTestVerdict(iteration=0, score=0.0, ifs=0.0, failures=[FailedStep(index=1, description="Click Go")],
                              critique=["pair 1: the logo is missing"])
    fixed = asyncio.run(LLMCoder(gw).repair(_inputs(tmp_path), "<b>x</b>", verdict, None, "search_replace"))
    assert fixed.html == "<b>y</b>"
    text = json.dumps(read_transcript(tmp_path / "transcript.jsonl")[0]["messages"])
    assert "the logo is missing" in text and "Click Go" in text


def test_critic_switch_needs_the_repair_loop_and_builds_the_role(tmp_path: Path) -> None:
    spec = resolve_agent("iterative", critic=True)
    assert spec.critic and spec.run_name == "iterative+critic"
    ctx = build_context(spec, work_dir=tmp_path, gateway=_gateway(tmp_path, {}), self_tester=ShootingTester())
    assert isinstance(ctx.critic, LLMCritic)
    assert build_context(resolve_agent("iterative"), work_dir=tmp_path, gateway=_gateway(tmp_path, {})).critic is None
    with pytest.raises(IwrError, match="--critic"):
        resolve_agent("single-shot", critic=True)
