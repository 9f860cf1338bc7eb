"""Graph nodes: small functions of (state, runtime) that return partial state updates.

perceive -> match_assets -> analyse -> draft -> self_test -> repair -> self_test ... -> finish.
Roles come from `runtime.context`; nodes never import `agents/`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Literal

import structlog
from langgraph.runtime import Runtime

from iwr.benchmark.judge.types import JudgeResult, Trajectory
from iwr.benchmark.task import Action, ActionParameters, ActionType
from iwr.tools.perception.visible_change import VisibleChange

from .context import CodeResult, Context, PlanResult
from .state import EventSummary, FailedStep, PageVersion, PerceptionSummary, ReconstructionState, SelfTestVerdict

log = structlog.get_logger()

PAGE_FILE = "index.html"


# ---------------------------------------------------------------- helpers


def iteration_dir(work_dir: Path, iteration: int) -> Path:
    """Folder of the page of one iteration: `iter_<k>/`."""
    return work_dir / f"iter_{iteration}"


def write_page(work_dir: Path, iteration: int, result: CodeResult, kind: Literal["draft", "repair"]) -> PageVersion:
    """Write a coder result as `iter_<k>/index.html` (+ extra files) and describe it."""
    folder = iteration_dir(work_dir, iteration)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, data in result.files.items():
        target = (folder / name).resolve()
        if folder.resolve() not in target.parents:
            raise ValueError(f"page file outside the page folder: {name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    path = folder / PAGE_FILE
    path.write_text(result.html, encoding="utf-8")
    return PageVersion(
        iteration=iteration,
        path=path,
        kind=kind,
        usage=result.usage,
        edits_applied=result.edits_applied,
        edits_failed=result.edits_failed,
    )


def assets_dir_of(state: ReconstructionState) -> Path | None:
    """The folder holding the agent's copies of the task assets."""
    parents = {p.parent for p in state.inputs.assets}
    if len(parents) == 1:
        return parents.pop()
    candidate = state.inputs.video.parent / "assets"
    return candidate if candidate.is_dir() else None


def event_to_action(event: EventSummary) -> Action:
    """Turn a perceived event into a plan step acting at the event's location."""
    at = f" at ({event.point.x:.0f}, {event.point.y:.0f})" if event.point else ""
    if event.kind == "typing":
        text = event.typed_text or ""
        params = ActionParameters(description=f"Type '{text}' into the field{at}", text=text)
        kind = ActionType.TYPE
    elif event.kind == "key":
        key = event.key or "Enter"
        params = ActionParameters(description=f"Press {key}", key=key)
        kind = ActionType.PRESS
    elif event.kind == "scroll":
        direction = "up" if event.scroll_dy < 0 else "down"
        params = ActionParameters(description=f"Scroll {direction}{at}", direction=direction)
        kind = ActionType.SCROLL
    else:
        params = ActionParameters(description=f"Click the element{at}")
        kind = ActionType.CLICK
    return Action(type=kind, parameters=params, point=event.point, visual_evaluation_flag=True)


def plan_from_perception(perception: PerceptionSummary | None, screen_area: float | None = None) -> PlanResult:
    """A model-free plan: one action per perceived event, checked against the next keyframe
    (with `screen_area`, key presses guessed from a change too small to see are left out)."""
    from iwr.benchmark.judge.video_plan import unseen_key

    if perception is None:
        return PlanResult(actions=[])
    events = [e for e in perception.events
              if screen_area is None or not unseen_key(e.kind, sum(b.width * b.height for b in e.regions), screen_area)]
    actions = [event_to_action(e) for e in events]
    first = perception.keyframes[0].index if perception.keyframes else None
    return PlanResult(actions=actions, keyframes=[e.after_keyframe for e in events], initial_keyframe=first)


def plan_changes(perception: PerceptionSummary | None, plan: list[Action], initial: int | None,
                 keyframes: list[int | None], page_width: int) -> list[VisibleChange | None]:
    """What the recording showed changing at each plan step: between the keyframe before it
    and its checkpoint keyframe, text under the pointer (at the step's and the previous
    step's point) not read. An analyst's steps get them too: its assertion texts are checked
    besides them, never instead."""
    from iwr.benchmark.judge.judge_config import default_cache_dir
    from iwr.benchmark.judge.video_plan import changes_between
    from iwr.tools.ocr import OcrCache
    from iwr.tools.perception.visible_change import pointer_box

    if perception is None or not plan:
        return []

    def frame(index: int | None) -> Path | None:
        kf = perception.keyframe(index)
        return kf.path if kf is not None else None

    order = [initial, *(list(keyframes) + [None] * len(plan))[: len(plan)]]
    points = [None, *(a.point for a in plan)]
    scale = 1.0
    first = next((p for p in (frame(k) for k in order) if p is not None and p.is_file()), None)
    if first is not None:
        from iwr.tools.image_metrics import load_image

        scale = load_image(first).shape[1] / page_width  # page pixels -> keyframe pixels
    hidden = [[pointer_box(p.x * scale, p.y * scale)] if p is not None else [] for p in points]
    # the pointer stays where the previous step left it: hide both places in each frame
    hidden = [h + (hidden[i - 1] if i > 0 else []) for i, h in enumerate(hidden)]
    return changes_between([frame(k) for k in order], hidden, page_width, OcrCache(default_cache_dir()))


def self_test_trajectory(state: ReconstructionState) -> Trajectory:
    """The agent's plan as a trajectory, with keyframes as checkpoints, plan points as hints and
    what the recording showed changing at each step (checked besides any assertion text)."""
    perception = state.perception

    def frame(index: int | None) -> Path | None:
        kf = perception.keyframe(index) if perception is not None else None
        return kf.path if kf is not None else None

    keyframes = list(state.plan_keyframes) + [None] * (len(state.plan) - len(state.plan_keyframes))
    return Trajectory(
        name="self-test",
        actions=state.plan,
        checkpoints=[frame(state.initial_keyframe)] + [frame(k) for k in keyframes[: len(state.plan)]],
        pointer_hints=[a.point for a in state.plan],
        expected_changes=list(state.plan_changes),
        source="video",
    )


def _evidence(step: Any) -> str:
    parts: list[str] = []
    if step.grounding is not None and not step.grounding.found:
        parts.append("target not found" + (f": {step.grounding.error}" if step.grounding.error else ""))
    if step.assertion is not None and step.assertion.passed is False:
        if "video" in step.assertion.method:  # a recorded change: its one-line reason says what is missing
            parts.append("assertion failed: " + str(step.assertion.evidence.get("reason", ""))[:400])
        else:
            parts.append("assertion failed: " + json.dumps(step.assertion.evidence, default=str)[:400])
    return "; ".join(parts)


def _recorded(step: Any, changes: list[VisibleChange | None]) -> str | None:
    """The statement of what the recording showed at a step (None when the plan has none)."""
    change = changes[step.index - 1] if 0 < step.index <= len(changes) else None
    return change.describe() if change is not None else None


def verdict_from_result(
    result: JudgeResult, iteration: int, pass_score: float, path: Path | None, keyframes: list[int | None] | None = None,
    changes: list[VisibleChange | None] | None = None,
) -> SelfTestVerdict:
    """Condense a judge result into what the repair step is told."""
    scores = result.scores
    keyframes = keyframes or []
    failures = [
        FailedStep(
            index=s.index,
            description=s.action.description,
            assertion=s.action.logical_assertion,
            error=s.error,
            evidence=_evidence(s),
            keyframe=keyframes[s.index - 1] if 0 < s.index <= len(keyframes) else None,
            recorded=_recorded(s, changes or []),
        )
        for s in result.steps
        if not s.passed
    ]
    total = result.total_steps or len(result.steps)
    return SelfTestVerdict(
        iteration=iteration,
        score=scores.final if scores.final is not None else scores.ifs,
        ifs=scores.ifs,
        vfs=scores.vfs,
        passed=result.status.value == "ok" and total > 0 and scores.ifs >= pass_score,
        total_steps=total,
        success_steps=result.success_steps,
        failures=failures,
        result_path=path,
        error=result.error,
    )


def over_budget(state: ReconstructionState, ctx: Context) -> bool:
    """Whether the token or cost budget is spent."""
    if ctx.max_tokens is not None and state.usage.tokens >= ctx.max_tokens:
        return True
    cost = state.usage.cost_usd
    return ctx.max_cost_usd is not None and cost is not None and cost >= ctx.max_cost_usd


def stop_reason(state: ReconstructionState, ctx: Context) -> str | None:
    """Why the loop should stop now, or None to keep repairing."""
    if state.stop_reason:
        return state.stop_reason
    if not ctx.loops:
        return "no_loop"
    if not state.plan:
        return "no_plan"
    last = state.verdicts[-1] if state.verdicts else None
    if last is not None and last.passed:
        return "self_test_passed"
    if state.repairs >= ctx.max_iters:
        return "max_iters"
    if over_budget(state, ctx):
        return "budget"
    return None


async def _record(page: PageVersion, ctx: Context) -> None:
    if ctx.on_iteration is not None:
        await ctx.on_iteration(page)


# ---------------------------------------------------------------- nodes


async def perceive(state: ReconstructionState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Keyframes and events from the video."""
    ctx = runtime.context
    assert ctx.perceiver is not None
    summary = await ctx.perceiver.perceive(state.inputs, ctx.work_dir / "perception")
    log.info("perceived", keyframes=len(summary.keyframes), events=len(summary.events))
    return {"perception": summary}


async def match_assets(state: ReconstructionState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Where each asset appears in the keyframes."""
    ctx = runtime.context
    assert ctx.perceiver is not None and state.perception is not None
    amap = await ctx.perceiver.match_assets(state.inputs, state.perception, ctx.work_dir / "perception")
    perception = state.perception.model_copy(update={"sightings": amap.sightings, "unseen_assets": amap.unseen})
    return {"asset_map": amap.sightings, "perception": perception}


async def analyse(state: ReconstructionState, runtime: Runtime[Context]) -> dict[str, Any]:
    """The agent's own test plan: from the analyst, else from the perceived events."""
    ctx = runtime.context
    screen = state.inputs.resolution.width * state.inputs.resolution.height
    if ctx.analyst is None:
        result = plan_from_perception(state.perception, screen)
        errors = state.errors
    else:
        from iwr.tools.llm import ModelError

        try:
            result = await ctx.analyst.analyse(state.inputs, state.perception, state.asset_map)
            errors = state.errors
        except ModelError as e:
            log.warning("analyse failed; using the perceived events as plan", error=str(e))
            result = plan_from_perception(state.perception, screen)
            errors = [*state.errors, f"analyse: {e}"]
    try:
        changes = plan_changes(state.perception, result.actions, result.initial_keyframe, result.keyframes,
                               state.inputs.resolution.width)
    except (OSError, ValueError) as e:  # unreadable keyframes: the plan is still usable without them
        log.warning("video assertions unavailable", error=repr(e))
        changes = []
    return {
        "plan": result.actions,
        "plan_keyframes": result.keyframes,
        "initial_keyframe": result.initial_keyframe,
        "plan_changes": changes,
        "usage": state.usage + result.usage,
        "errors": errors,
    }


async def draft(state: ReconstructionState, runtime: Runtime[Context]) -> dict[str, Any]:
    """The first page (iteration 0). A model failure here propagates: there is no page."""
    ctx = runtime.context
    out = iteration_dir(ctx.work_dir, 0)
    result = await ctx.coder.draft(state.inputs, state.perception, state.asset_map, state.plan, out)
    page = write_page(ctx.work_dir, 0, result, "draft")
    await _record(page, ctx)
    return {"pages": [page], "usage": state.usage + result.usage, "best_iteration": 0}


async def self_test(state: ReconstructionState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Judge the current page on the agent's own plan (never on the ground truth)."""
    ctx = runtime.context
    assert ctx.self_tester is not None
    page = state.current
    assert page is not None
    out = ctx.work_dir / "self_test" / f"iter_{page.iteration}"
    try:
        result = await ctx.self_tester.test(
            page.path.parent, self_test_trajectory(state), state.inputs.resolution, assets_dir_of(state), out
        )
    except Exception as e:  # noqa: BLE001 - the judge is infrastructure: keep the pages, stop the loop
        log.error("self-test failed", iteration=page.iteration, error=repr(e))
        return {"errors": [*state.errors, f"self_test: {e!r}"], "stop_reason": "self_test_error"}
    out.mkdir(parents=True, exist_ok=True)
    result_path = out / "self_test.json"
    result.save(result_path)
    verdict = verdict_from_result(result, page.iteration, ctx.pass_score, result_path, state.plan_keyframes,
                                  state.plan_changes)
    pages = [p.model_copy(update={"self_test": verdict.score}) if p.iteration == page.iteration else p for p in state.pages]
    log.info("self-test", iteration=page.iteration, ifs=verdict.ifs, score=verdict.score)
    return {"verdicts": [*state.verdicts, verdict], "pages": pages}


async def repair(state: ReconstructionState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Targeted edits (or a whole new page) from the last self-test verdict."""
    from iwr.tools.llm import ModelError

    ctx = runtime.context
    page = state.current
    assert page is not None and state.verdicts
    iteration = page.iteration + 1
    try:
        result = await ctx.coder.repair(
            state.inputs, page.path.read_text(encoding="utf-8"), state.verdicts[-1], state.perception, ctx.repair_style
        )
    except ModelError as e:
        log.warning("repair failed; keeping the best page so far", iteration=iteration, error=str(e))
        return {"errors": [*state.errors, f"repair {iteration}: {e}"], "stop_reason": "model_error"}
    new = write_page(ctx.work_dir, iteration, result, "repair")
    await _record(new, ctx)
    return {"pages": [*state.pages, new], "usage": state.usage + result.usage}


def critic_pairs(verdict: SelfTestVerdict, limit: int) -> list[tuple[Path, Path]]:
    """(keyframe, screenshot) pairs from a self-test result: failed steps first, then the worst-looking."""
    if verdict.result_path is None or not verdict.result_path.is_file() or limit <= 0:
        return []
    result = JudgeResult.load(verdict.result_path)
    base = verdict.result_path.parent

    def look(step: Any) -> float:
        low = step.visual.low_level if step.visual is not None else None
        return 1.0 if low is None else low

    usable = [s for s in result.steps if s.screenshot and s.checkpoint]
    usable.sort(key=lambda s: (s.passed, look(s), s.index))
    pairs: list[tuple[Path, Path]] = []
    for step in usable:
        if not (step.checkpoint and step.screenshot):  # filtered above; narrows the types
            continue
        keyframe, shot = Path(step.checkpoint), base / step.screenshot
        if keyframe.is_file() and shot.is_file() and keyframe not in {k for k, _ in pairs}:
            pairs.append((keyframe, shot))
        if len(pairs) >= limit:
            break
    return pairs


async def critic(state: ReconstructionState, runtime: Runtime[Context]) -> dict[str, Any]:
    """The critic's visual review of the current page, added to the last verdict for the repair."""
    from iwr.tools.llm import ModelError

    ctx = runtime.context
    assert ctx.critic is not None and state.verdicts
    verdict = state.verdicts[-1]
    pairs = critic_pairs(verdict, ctx.critic_pairs)
    if not pairs:
        return {}
    try:
        review = await ctx.critic.critique(state.inputs, pairs)
    except ModelError as e:  # the repair can go on without it
        log.warning("critic failed; repairing without its review", iteration=verdict.iteration, error=str(e))
        return {"errors": [*state.errors, f"critic {verdict.iteration}: {e}"]}
    updated = verdict.model_copy(update={"critique": review.notes})
    return {"verdicts": [*state.verdicts[:-1], updated], "usage": state.usage + review.usage}


def best_page(state: ReconstructionState) -> PageVersion | None:
    """The page with the highest self-test score; the earliest one on ties or without scores."""
    best: PageVersion | None = None
    for page in state.pages:
        if best is None or (page.self_test is not None and (best.self_test is None or page.self_test > best.self_test)):
            best = page
    return best


async def finish(state: ReconstructionState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Keep the best page as `final/`."""
    ctx = runtime.context
    best = best_page(state)
    reason = stop_reason(state, ctx) or "done"
    if best is None:
        return {"stop_reason": reason}
    final_dir = ctx.work_dir / "final"
    if final_dir.exists():
        shutil.rmtree(final_dir)
    shutil.copytree(best.path.parent, final_dir)
    return {"best_iteration": best.iteration, "final_page": final_dir / PAGE_FILE, "stop_reason": reason}


# ---------------------------------------------------------------- routers


def route_start(state: ReconstructionState, runtime: Runtime[Context]) -> Literal["perceive", "analyse", "draft"]:
    ctx = runtime.context
    if ctx.use_perception and ctx.perceiver is not None:
        return "perceive"
    return "analyse" if ctx.loops else "draft"


def route_after_assets(state: ReconstructionState, runtime: Runtime[Context]) -> Literal["analyse", "draft"]:
    ctx = runtime.context
    return "analyse" if ctx.loops or ctx.analyst is not None else "draft"


def route_after_draft(state: ReconstructionState, runtime: Runtime[Context]) -> Literal["self_test", "finish"]:
    ctx = runtime.context
    return "self_test" if ctx.loops and state.plan else "finish"


def route_after_self_test(state: ReconstructionState, runtime: Runtime[Context]) -> Literal["critic", "repair", "finish"]:
    ctx = runtime.context
    if stop_reason(state, ctx):
        return "finish"
    return "critic" if ctx.critic is not None else "repair"


def route_after_repair(state: ReconstructionState, runtime: Runtime[Context]) -> Literal["self_test", "finish"]:
    return "finish" if state.stop_reason else "self_test"
