"""The agent's self-test: its plan from the perceived events, what the recording showed changing
at each step, the plan as a trajectory for the judge, and the verdict the repair step is told."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from iwr.benchmark.judge.types import JudgeResult, Trajectory
from iwr.benchmark.task import Action, ActionParameters, ActionType
from iwr.tools.perception.visible_change import VisibleChange

from .context import PlanResult
from .state import EventSummary, FailedStep, PerceptionSummary, ReconstructionState, SelfTestVerdict


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


def replay_as_recorded(perception: PerceptionSummary | None, plan: PlanResult, changes: list[VisibleChange | None],
                       page_width: int) -> tuple[list[Action], list[VisibleChange | None]]:
    """The model-free plan's steps replayed as their recorded changes read, by the rules the
    video-only judge uses (`video_plan.replayed`: scrolls by the distance moved, keys read from
    the change, typing a click left in a field, masked typing counted from its dots), and the
    changes a masked step can be held to (`hidden_input_change`)."""
    from iwr.benchmark.judge.video_plan import hidden_input_change, is_masked, replayed
    from iwr.tools.image_metrics import load_image
    from iwr.tools.perception.types import PerceivedEvent

    if perception is None or not plan.actions:
        return plan.actions, changes

    def frame(index: int | None) -> Path | None:
        kf = perception.keyframe(index)
        return kf.path if kf is not None and kf.path.is_file() else None

    order = [plan.initial_keyframe, *(list(plan.keyframes) + [None] * len(plan.actions))[: len(plan.actions)]]
    frames = [frame(k) for k in order]
    first = next((f for f in frames if f is not None), None)
    scale = page_width / load_image(first).shape[1] if first is not None else 1.0  # keyframe pixels -> page pixels
    by_after = {e.after_keyframe: e for e in perception.events}
    actions: list[Action] = []
    previous: Action | None = None
    for k, action in enumerate(plan.actions):
        e = by_after.get(order[k + 1])
        event = PerceivedEvent(index=e.index, start=e.start, end=e.end, kind=e.kind, confidence=e.confidence, key=e.key,
                               pressed=e.pressed, typed_text=e.typed_text, scroll_dy=e.scroll_dy / scale,
                               before_keyframe=e.before_keyframe or 0, after_keyframe=e.after_keyframe or 0) if e is not None else None
        change = changes[k] if k < len(changes) else None
        previous = replayed(action, event, change, frames[k], frames[k + 1], previous, scale)
        actions.append(previous)
    held = [hidden_input_change(c) if c is not None and k < len(actions) and is_masked(actions[k]) else c
            for k, c in enumerate(changes)]
    return actions, held


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
