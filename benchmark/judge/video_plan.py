"""A trajectory from a recording alone: the model-free plan of its perceived events, with the
keyframes as checkpoints and, per step, what the recording showed changing (`VisibleChange`).

No action sequence, checkpoint or ground truth of a task is read: only the perception of its
video. Judged with it, a page gets protocol `video` (`video_protocol`).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np

from ...tools.image_metrics import load_image
from ...tools.ocr import OcrCache
from ...tools.perception.asset_motion import scroll_shift
from ...tools.perception.plan import draft_plan
from ...tools.perception.types import PBox, PerceivedEvent, Perception, PlanStep
from ...tools.perception.visible_change import VisibleChange, pointer_box, visible_change
from ..task import Action, ActionParameters, ActionType, Point, Resolution
from .assertion_change import LARGE_CHANGE, REFERENCE_CHANGED
from .types import Protocol, Trajectory

VIDEO_TRAJECTORY = "video"
POINTER_SLACK = 0.5  # seconds around a keyframe's stable span in which a pointer sighting counts


def plan_action(step: PlanStep, scale: float) -> Action:
    """A perceived plan step as an `Action` acting at its point (page pixels)."""
    point = Point(x=step.point[0] * scale, y=step.point[1] * scale) if step.point is not None else None
    params = ActionParameters(description=step.description, text=step.text, key=step.key, direction=step.direction)
    return Action(type=ActionType(step.type), parameters=params, point=point, visual_evaluation_flag=True)


def _keyframe_paths(perception: Perception) -> dict[int, Path]:
    return {k.index: Path(k.path) for k in perception.keyframes if k.path}


def pointer_at(perception: Perception, keyframe: int | None) -> PBox | None:
    """Where the pointer covered the screen in a keyframe (the observation nearest its time)."""
    frame = next((k for k in perception.keyframes if k.index == keyframe), None)
    if frame is None:
        return None
    seen = [p for p in perception.pointer if frame.start - POINTER_SLACK <= p.time <= frame.end + POINTER_SLACK]
    if not seen:
        return None
    best = min(seen, key=lambda p: abs(p.time - frame.time))
    return pointer_box(best.x, best.y)


def changes_between(frames: list[Path | None], hidden: list[list[PBox]], page_width: int,
                    cache: OcrCache | None) -> list[VisibleChange | None]:
    """What changed from each frame to the next (boxes scaled to a page `page_width` wide);
    `hidden[k]` are the boxes of frame k not to read (the pointer)."""
    out: list[VisibleChange | None] = []
    for k, (before, after) in enumerate(itertools.pairwise(frames)):
        if before is None or after is None or not before.is_file() or not after.is_file():
            out.append(None)
            continue
        boxes = [*(hidden[k] if k < len(hidden) else []), *(hidden[k + 1] if k + 1 < len(hidden) else [])]
        change = visible_change(before, after, cache, boxes)
        out.append(change.scaled(page_width / change.width) if change.width else change)
    return out


def expected_changes(perception: Perception, keyframes: list[int | None], page_width: int,
                     cache: OcrCache | None) -> list[VisibleChange | None]:
    """What changed from each checkpoint keyframe to the next, the pointer's place not read."""
    frames = _keyframe_paths(perception)
    paths = [frames.get(k) if k is not None else None for k in keyframes]
    hidden = [[box] if (box := pointer_at(perception, k)) is not None else [] for k in keyframes]
    return changes_between(paths, hidden, page_width, cache)


def typed_key(change: VisibleChange | None) -> str | None:
    """The key a keyboard step most likely pressed, read from what it changed: one printable
    character appended to a line (or a line of one character appearing); None when unclear."""
    if change is None:
        return None
    keys = set()
    for t in change.texts:
        before, after = "".join(t.before.split()), "".join(t.after.split())
        if t.kind in ("changed", "appeared") and len(after) == len(before) + 1 and after.startswith(before):
            keys.add(after[-1])
    keys = {k for k in keys if k.isascii() and k.isprintable()}
    return keys.pop() if len(keys) == 1 else None


def _with_key(action: Action, change: VisibleChange | None) -> Action:
    """A perceived key press whose key perception could not see, with the key its change shows."""
    key = typed_key(change) if action.type == ActionType.PRESS else None
    if key is None:
        return action
    params = action.parameters.model_copy(update={"key": key, "description": f"Press {key}"})
    return action.model_copy(update={"parameters": params})


def unseen_key(kind: str, changed_area: float, screen_area: float) -> bool:
    """A key press perception guessed from a change smaller than what the judge counts as a
    visible change (a cursor flicker): pressing a key there could only do harm."""
    return kind == "key" and changed_area < REFERENCE_CHANGED * screen_area


def _unseen_key(event: PerceivedEvent, screen: int) -> bool:
    return unseen_key(event.kind, sum(r.box.area for r in event.regions), screen)


def _pyramid(path: Path) -> dict[int, np.ndarray]:
    gray = cv2.cvtColor(load_image(path), cv2.COLOR_BGR2GRAY)
    return {1: gray, 4: cv2.resize(gray, (gray.shape[1] // 4, gray.shape[0] // 4), interpolation=cv2.INTER_AREA)}


def _as_scroll(action: Action, change: VisibleChange | None, before: Path | None, after: Path | None) -> Action:
    """A perceived click whose recorded change is the page moved as a whole (a large change that
    is one translation of the content) as the scroll it was: clicking there replays nothing."""
    if (action.type != ActionType.CLICK or change is None or change.changed_fraction < LARGE_CHANGE
            or before is None or after is None):
        return action
    shift = scroll_shift(_pyramid(before), _pyramid(after))
    if shift is None or abs(shift[1]) < abs(shift[0]):
        return action
    direction = "down" if shift[1] < 0 else "up"
    params = ActionParameters(description=f"Scroll {direction} by about {abs(shift[1])} px", direction=direction)
    return action.model_copy(update={"type": ActionType.SCROLL, "parameters": params})


def video_trajectory(perception: Perception, resolution: Resolution, cache: OcrCache | None = None) -> Trajectory:
    """The recording's own plan: one action per perceived event, checkpoints = the keyframes
    before the first and after each event, expected changes between consecutive checkpoints."""
    scale = resolution.width / perception.video.width if perception.video.width else 1.0
    screen = perception.video.width * perception.video.height
    steps = draft_plan(perception.model_copy(update={"events": [e for e in perception.events if not _unseen_key(e, screen)]}))
    frames = _keyframe_paths(perception)
    first = steps[0].before_keyframe if steps else (perception.keyframes[0].index if perception.keyframes else None)
    keyframes: list[int | None] = [first, *(s.after_keyframe for s in steps)]
    checkpoints = [frames.get(k) if k is not None else None for k in keyframes]
    changes = expected_changes(perception, keyframes, resolution.width, cache)
    actions = [_as_scroll(_with_key(plan_action(s, scale), c), c, a, b)
               for s, c, a, b in zip(steps, changes, checkpoints, checkpoints[1:], strict=False)]
    return Trajectory(
        name=VIDEO_TRAJECTORY,
        actions=actions,
        checkpoints=checkpoints,
        pointer_hints=[a.point for a in actions],
        expected_changes=changes,
        source="video",
    )


def video_protocol(protocol: Protocol) -> Protocol:
    """The protocol of a judgement against a recording alone (never mixed with annotated ones)."""
    if protocol.name == "video":
        return protocol
    return protocol.model_copy(update={"name": "video", "asserter": f"{protocol.asserter}+video"})
