"""Score perception against recorded ground truth (`ground_truth.json` of our recorder).

Per task: event recall/precision (an event matches an action when its span overlaps the
action's span widened by 0.5 s; one event per action, largest overlap first), click
location error (viewport px), kind accuracy, typed-text accuracy (against what the screen
shows: one dot per character typed into a masked field, `visible_typed`), asset precision and
recall (IoU >= 0.5 with the drawn boxes of the checkpoint each keyframe shows, those at least
half in the viewport whose visible part shows something there, `_shows_picture`),
keyframe ratio (keyframes / 1-fps frames), how many actions have a keyframe showing
their result, and time per video second.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import cv2
import numpy as np
from pydantic import BaseModel, Field

from ..core.change import SCREENSHOT_CHANGE
from ..core.geometry import PixelBox
from ..tools.perception import Keyframe, PerceiveOptions, Perception, perceive
from ..tools.perception.events import MASK_DOT, MASK_ROW
from ..tools.perception.masked import masked_typed
from .ground_truth import GroundTruth, StepTruth
from .task import ActionType, Box, Task

SPAN_TOLERANCE = 0.5
ASSET_IOU = 0.5
MIN_STABLE = 0.5  # s: a state held for less than this is not expected to get a keyframe
FRAME_SLACK = 0.1  # s: a keyframe at the very frame the next effect is detected
INTACT_FRACTION = 0.1  # an action's changed part may differ this much and still show its result
THUMB = (160, 90)  # size at which keyframes are compared with checkpoint screenshots
STATE_TIE = 0.5  # mean gray difference below which two checkpoints count as equally near
SHOWN_INK = 40  # gray levels from a placement's surroundings that count as its picture showing
SHOWN_PIXELS = 3  # pixels that must show it
SHOWN_RING = 2  # px around a placement read as its surroundings
KIND_TO_TYPE = {"click": ActionType.CLICK, "typing": ActionType.TYPE, "key": ActionType.PRESS, "scroll": ActionType.SCROLL}


class TaskPerceptionScore(BaseModel):
    """Counts and figures for one task (counts kept so totals can be micro-averaged)."""

    task_id: str
    actions: int = 0
    events: int = 0
    matched: int = 0
    kind_correct: int = 0
    type_actions: int = 0
    typed_correct: int = 0
    click_errors: list[float] = Field(default_factory=list)
    asset_predicted: int = 0
    asset_truth: int = 0
    asset_hits_predicted: int = 0
    asset_hits_truth: int = 0
    keyframes: int = 0
    fps1_frames: int = 0
    results_shown: int = 0
    duration: float = 0.0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    error: str | None = None

    def figures(self) -> dict[str, float | None]:
        return _figures([self])


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def _figures(scores: list[TaskPerceptionScore]) -> dict[str, float | None]:
    ok = [s for s in scores if s.error is None]
    total = lambda f: sum(getattr(s, f) for s in ok)  # noqa: E731
    errors = [e for s in ok for e in s.click_errors]
    return {
        "event_recall": _ratio(total("matched"), total("actions")),
        "event_precision": _ratio(total("matched"), total("events")),
        "click_error_px_median": round(statistics.median(errors), 2) if errors else None,
        "kind_accuracy": _ratio(total("kind_correct"), total("matched")),
        "typed_text_accuracy": _ratio(total("typed_correct"), total("type_actions")),
        "asset_precision": _ratio(total("asset_hits_predicted"), total("asset_predicted")),
        "asset_recall": _ratio(total("asset_hits_truth"), total("asset_truth")),
        "keyframe_ratio": _ratio(total("keyframes"), total("fps1_frames")),
        "result_coverage": _ratio(total("results_shown"), total("actions")),
        "seconds_per_video_second": _ratio(total("seconds"), total("duration")),
        "cpu_seconds_per_video_second": _ratio(total("cpu_seconds"), total("duration")),
    }


class PerceptionScoreReport(BaseModel):
    """Per-task scores and the overall (micro-averaged) figures."""

    tasks: list[TaskPerceptionScore]
    overall: dict[str, float | None]

    @classmethod
    def of(cls, tasks: list[TaskPerceptionScore]) -> PerceptionScoreReport:
        return cls(tasks=tasks, overall=_figures(tasks))


def match_events(perception: Perception, truth: GroundTruth) -> dict[int, int]:
    """action index (0-based) -> event index, one to one, largest overlap first."""
    pairs = []
    for ai, step in enumerate(truth.steps):
        a0, a1 = step.span[0] - SPAN_TOLERANCE, step.span[1] + SPAN_TOLERANCE
        for ei, e in enumerate(perception.events):
            overlap = min(a1, max(e.end, e.start + 1e-3)) - max(a0, e.start)
            if overlap > 0:
                pairs.append((overlap, ai, ei))
    used_a: set[int] = set()
    used_e: set[int] = set()
    out: dict[int, int] = {}
    for _, ai, ei in sorted(pairs, reverse=True):
        if ai not in used_a and ei not in used_e:
            out[ai] = ei
            used_a.add(ai)
            used_e.add(ei)
    return out


def _normal(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def visible_typed(text: str, step: StepTruth, before: Path, after: Path) -> str:
    """What a recording can show of the text a step typed: the text, or one dot per
    character when the checkpoints show it went into a masked field (a row of dots that grew
    on the pointer's row, starting left of it)."""
    if step.pointer is None or not before.is_file() or not after.is_file():
        return text
    g0, g1 = cv2.imread(str(before), cv2.IMREAD_GRAYSCALE), cv2.imread(str(after), cv2.IMREAD_GRAYSCALE)
    if g0 is None or g1 is None or g0.shape != g1.shape:
        return text
    band = PixelBox(x=0, y=max(0, round(step.pointer.y - MASK_ROW)), width=g1.shape[1], height=2 * MASK_ROW)
    return MASK_DOT * len(text) if masked_typed(g0, g1, band, max_x=step.pointer.x) is not None else text


def _visible(box: Box, width: float, height: float) -> Box | None:
    """The part of a box inside the viewport, when at least half of it is inside."""
    x0, y0 = max(0.0, box.x), max(0.0, box.y)
    x1, y1 = min(width, box.x + box.width), min(height, box.y + box.height)
    if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) < 0.5 * box.width * box.height or box.width < 2 or box.height < 2:
        return None
    return Box(x=x0, y=y0, width=x1 - x0, height=y1 - y0)


def _shows_picture(shot: np.ndarray | None, box: Box) -> bool:
    """Whether a placement's visible box shows anything on its checkpoint screenshot (BGR): a few
    pixels that differ by SHOWN_INK from the median of the pixels just around the box. An icon
    cut by the window's edge whose visible rows hold none of its ink is drawn there, but shows
    nothing anyone could find. True without a screenshot or surroundings to compare with."""
    if shot is None:
        return True
    h, w = shot.shape[:2]
    x0, y0 = int(box.x), int(box.y)
    inner = PixelBox(x=x0, y=y0, width=int(np.ceil(box.x + box.width)) - x0,
                     height=int(np.ceil(box.y + box.height)) - y0).grown_within(0, w, h)
    if not inner.area:
        return True
    outer = inner.grown_within(SHOWN_RING, w, h)
    around = np.ones((outer.height, outer.width), bool)
    around[inner.y - outer.y:inner.bottom - outer.y, inner.x - outer.x:inner.right - outer.x] = False
    if not around.any():
        return True
    ring = shot[outer.y:outer.bottom, outer.x:outer.right][around]
    inside = shot[inner.y:inner.bottom, inner.x:inner.right].astype(np.int16)
    differs = (np.abs(inside - np.median(ring, axis=0).astype(np.int16)).max(axis=2) > SHOWN_INK).sum()
    return int(differs) >= SHOWN_PIXELS


def _thumb(path: Path) -> np.ndarray | None:
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    return None if img is None else cv2.resize(img, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)


def keyframe_states(perception: Perception, checkpoints: list[Path], effect_times: list[float]) -> list[int]:
    """The checkpoint each keyframe shows: the checkpoint screenshot nearest in pixels.

    Checkpoints are viewport screenshots of the states after each action, so comparing
    images does not depend on when the perceived events happened. Among checkpoints
    equally near (identical states) the one closest in time order wins. Falls back to
    counting the effects before the keyframe when a screenshot is missing.
    """
    by_time = [sum(1 for t in effect_times if t < kf.time) for kf in perception.keyframes]
    thumbs = [_thumb(p) for p in checkpoints]
    if not thumbs or any(t is None for t in thumbs):
        return by_time
    out = []
    for kf, guess in zip(perception.keyframes, by_time, strict=True):
        img = _thumb(Path(kf.path)) if kf.path else None
        if img is None:
            out.append(guess)
            continue
        dist = [float(np.abs(img - t).mean()) for t in thumbs]
        best = min(dist)
        near = [i for i, d in enumerate(dist) if d <= best + STATE_TIE]
        out.append(min(near, key=lambda i: abs(i - guess)))
    return out


def _stable_from(kf: Keyframe) -> float:
    """When the state a keyframe shows became stable."""
    return kf.start


def results_shown(perception: Perception, effect_times: list[float], states: list[int],
                  checkpoints: list[np.ndarray] | None = None) -> list[bool]:
    """Per action: whether a keyframe shows its result.

    With checkpoint screenshots (gray arrays, one per state): action i's result is the
    part of the page that checkpoint i changed from checkpoint i-1; a keyframe showing
    state j >= i shows it when that part is still as in checkpoint i (quick consecutive
    steps in different places are shown together by one keyframe). Without screenshots:
    a keyframe stable after the action's effect and no later than the next effect (or
    the next action's keyframe when the next effect follows too quickly).
    """
    n = len(effect_times)
    if checkpoints is not None and len(checkpoints) == n + 1:
        out = []
        for ai in range(n):
            c = ai + 1
            region = cv2.dilate((np.abs(checkpoints[c] - checkpoints[c - 1]) > SCREENSHOT_CHANGE).astype(np.uint8),
                                np.ones((3, 3), np.uint8)) > 0
            out.append(any(st >= c and (not region.any()
                                        or float((np.abs(checkpoints[st] - checkpoints[c])[region] > SCREENSHOT_CHANGE).mean()) < INTACT_FRACTION)
                           for st in states if st < len(checkpoints)))
        return out
    shown = [False] * n
    for ai in reversed(range(n)):
        start = effect_times[ai]
        end = effect_times[ai + 1] if ai + 1 < n else float("inf")
        shown[ai] = any(start < _stable_from(kf) <= end + FRAME_SLACK and st >= ai + 1 for kf, st in zip(perception.keyframes, states, strict=True))
        if not shown[ai] and ai + 1 < n and end - start < MIN_STABLE:
            shown[ai] = shown[ai + 1]
    return shown


def _count_assets(perception: Perception, truth: GroundTruth, states: list[int], k: float, vw: float, vh: float,
                  score: TaskPerceptionScore, checkpoints: list[Path] | None = None) -> None:
    """Fill the score's asset counts: sightings predicted and in the truth (placements that show,
    `_visible` and `_shows_picture` on the `checkpoints` screenshots), and how many of each were
    matched (same asset, IoU >= ASSET_IOU, each truth placement used once)."""
    predicted = truth_n = hits_p = hits_t = 0
    shots: dict[int, np.ndarray | None] = {}
    for kf, state in zip(perception.keyframes, states, strict=True):
        if checkpoints is not None and state not in shots and state < len(checkpoints):
            shots[state] = cv2.imread(str(checkpoints[state]), cv2.IMREAD_COLOR)
        shot = shots.get(state)
        gt = [(p.asset, v) for p in truth.placements.get(state, [])
              if (v := _visible(p.box, vw, vh)) is not None and _shows_picture(shot, v)]
        preds = [(m.asset, Box(x=m.box.x * k, y=m.box.y * k, width=m.box.width * k, height=m.box.height * k))
                 for r in perception.assets for m in r.matches if m.keyframe == kf.index]
        predicted += len(preds)
        truth_n += len(gt)
        used: set[int] = set()
        for name, box in preds:
            best = max(((box.iou(g), i) for i, (gname, g) in enumerate(gt) if gname == name and i not in used), default=(0.0, -1))
            if best[0] >= ASSET_IOU:
                used.add(best[1])
                hits_p += 1
        hits_t += len(used)
    score.asset_predicted, score.asset_truth, score.asset_hits_predicted, score.asset_hits_truth = predicted, truth_n, hits_p, hits_t


def score_task(task: Task, out_dir: Path, options: PerceiveOptions | None = None) -> TaskPerceptionScore:
    """Perceive one task's video and compare with its ground truth."""
    paths = task.paths
    score = TaskPerceptionScore(task_id=task.key)
    if not paths.ground_truth.is_file():
        score.error = "no ground_truth.json"
        return score
    truth = GroundTruth.load(paths.ground_truth)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        perception = perceive(paths.video, paths.assets if paths.assets.is_dir() else None, out_dir, options)
    except ValueError as e:
        score.error = str(e)
        return score
    score.seconds = round(time.perf_counter() - wall, 3)
    score.cpu_seconds = round(time.process_time() - cpu, 3)
    return compare(task, truth, perception, score)


def compare(task: Task, truth: GroundTruth, perception: Perception,
            score: TaskPerceptionScore | None = None) -> TaskPerceptionScore:
    """Fill a task's score from a perception already made (e.g. a saved perception.json)."""
    score = score or TaskPerceptionScore(task_id=task.key)
    paths = task.paths
    res = task.resolution
    k = res.width / perception.video.width  # video px -> viewport px
    actions = task.actions
    matches = match_events(perception, truth)
    score.actions, score.events, score.matched = len(truth.steps), len(perception.events), len(matches)
    score.duration = perception.video.duration
    score.keyframes = len(perception.keyframes)
    score.fps1_frames = int(perception.video.duration) + 1
    for ai, ei in matches.items():
        e, step = perception.events[ei], truth.steps[ai]
        action = actions[ai] if ai < len(actions) else None
        if action is None:
            continue
        if KIND_TO_TYPE.get(e.kind) == action.type:
            score.kind_correct += 1
        if action.type is ActionType.CLICK and e.pointer is not None and step.pointer is not None:
            score.click_errors.append(round(((e.pointer[0] * k - step.pointer.x) ** 2 + (e.pointer[1] * k - step.pointer.y) ** 2) ** 0.5, 2))
    for ai, action in enumerate(actions[: len(truth.steps)]):
        if action.type is ActionType.TYPE:
            score.type_actions += 1
            matched = matches.get(ai)
            expected = visible_typed(action.text or "", truth.steps[ai], paths.checkpoint(ai), paths.checkpoint(ai + 1))
            if matched is not None and _normal(perception.events[matched].typed_text) == _normal(expected):
                score.typed_correct += 1
    effect_times = [perception.events[matches[ai]].start if ai in matches else s.span[0] for ai, s in enumerate(truth.steps)]
    states = keyframe_states(perception, [paths.checkpoint(i) for i in range(len(truth.steps) + 1)], effect_times)
    thumbs = [_thumb(paths.checkpoint(i)) for i in range(len(truth.steps) + 1)]
    present = [t for t in thumbs if t is not None]
    shots = present if len(present) == len(thumbs) else None
    score.results_shown = sum(results_shown(perception, effect_times, states, shots))
    _count_assets(perception, truth, states, k, res.width, res.height, score,
                  [paths.checkpoint(i) for i in range(len(truth.steps) + 1)])
    return score


def score_tasks(tasks: list[Task], out_root: Path, options: PerceiveOptions | None = None) -> PerceptionScoreReport:
    """Score every task; perception outputs go to out_root/<task id>/."""
    return PerceptionScoreReport.of([score_task(t, out_root / t.key, options) for t in tasks])


__all__ = ["PerceptionScoreReport", "TaskPerceptionScore", "compare", "keyframe_states", "match_events", "results_shown",
           "score_task", "score_tasks", "visible_typed"]
