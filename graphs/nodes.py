"""Graph nodes: small functions of (state, runtime) that return partial state updates.

perceive -> match_assets -> analyse -> draft -> self_test -> repair -> self_test ... -> finish.
Roles come from `runtime.context`; nodes never import `agents/`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Literal

import structlog
from langgraph.runtime import Runtime

from iwr.benchmark.judge.types import JudgeResult

from .context import Context
from .page_files import PAGE_FILE, assets_dir_of, iteration_dir, write_page
from .self_test_plan import (
    event_to_action,
    plan_changes,
    plan_from_perception,
    replay_as_recorded,
    self_test_trajectory,
    verdict_from_result,
)
from .state import PageVersion, ReconstructionState, SelfTestVerdict, StateUpdate

log = structlog.get_logger()

# ---------------------------------------------------------------- helpers


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


async def perceive(state: ReconstructionState, runtime: Runtime[Context]) -> StateUpdate:
    """Keyframes and events from the video."""
    ctx = runtime.context
    assert ctx.perceiver is not None
    summary = await ctx.perceiver.perceive(state.inputs, ctx.work_dir / "perception")
    log.info("perceived", keyframes=len(summary.keyframes), events=len(summary.events))
    return {"perception": summary}


async def match_assets(state: ReconstructionState, runtime: Runtime[Context]) -> StateUpdate:
    """Where each asset appears in the keyframes."""
    ctx = runtime.context
    assert ctx.perceiver is not None and state.perception is not None
    amap = await ctx.perceiver.match_assets(state.inputs, state.perception, ctx.work_dir / "perception")
    perception = state.perception.model_copy(update={"sightings": amap.sightings, "unseen_assets": amap.unseen})
    return {"asset_map": amap.sightings, "perception": perception}


async def analyse(state: ReconstructionState, runtime: Runtime[Context]) -> StateUpdate:
    """The agent's own test plan: from the analyst, else from the perceived events."""
    ctx = runtime.context
    screen = state.inputs.resolution.width * state.inputs.resolution.height
    model_free = ctx.analyst is None
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
            model_free = True
    actions = result.actions
    try:
        changes = plan_changes(state.perception, result.actions, result.initial_keyframe, result.keyframes,
                               state.inputs.resolution.width)
        if model_free:  # the perceived events' plan: replayed as the video-only judge replays it
            actions, changes = replay_as_recorded(state.perception, result, changes, state.inputs.resolution.width)
    except (OSError, ValueError) as e:  # unreadable keyframes: the plan is still usable without them
        log.warning("video assertions unavailable", error=repr(e))
        changes = []
    return {
        "plan": actions,
        "plan_keyframes": result.keyframes,
        "initial_keyframe": result.initial_keyframe,
        "plan_changes": changes,
        "usage": state.usage + result.usage,
        "errors": errors,
    }


async def draft(state: ReconstructionState, runtime: Runtime[Context]) -> StateUpdate:
    """The first page (iteration 0). A model failure here propagates: there is no page."""
    ctx = runtime.context
    out = iteration_dir(ctx.work_dir, 0)
    result = await ctx.coder.draft(state.inputs, state.perception, state.asset_map, state.plan, out)
    page = write_page(ctx.work_dir, 0, result, "draft")
    await _record(page, ctx)
    return {"pages": [page], "usage": state.usage + result.usage, "best_iteration": 0}


async def self_test(state: ReconstructionState, runtime: Runtime[Context]) -> StateUpdate:
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


async def repair(state: ReconstructionState, runtime: Runtime[Context]) -> StateUpdate:
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


async def critic(state: ReconstructionState, runtime: Runtime[Context]) -> StateUpdate:
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


async def finish(state: ReconstructionState, runtime: Runtime[Context]) -> StateUpdate:
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


__all__ = [
    "PAGE_FILE", "analyse", "assets_dir_of", "critic", "critic_pairs", "draft", "event_to_action", "finish", "iteration_dir",
    "match_assets", "perceive", "plan_changes", "plan_from_perception", "repair", "self_test", "self_test_trajectory",
    "verdict_from_result", "write_page",
]
