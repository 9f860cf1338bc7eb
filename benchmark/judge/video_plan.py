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

from ...core.change import TEXT_CHANGE, VIDEO_CHANGE, changed_share
from ...tools.image_metrics import load_image
from ...tools.ocr import OcrCache
from ...tools.perception.asset_motion import scroll_shift
from ...tools.perception.masked import masked_typed
from ...tools.perception.plan import draft_plan
from ...tools.perception.types import PBox, PerceivedEvent, Perception, PlanStep
from ...tools.perception.visible_change import VisibleChange, pointer_box, visible_change
from ..task import Action, ActionParameters, ActionType, Point, Resolution
from .assertion_change import REFERENCE_CHANGED
from .types import Protocol, Trajectory
from .video_keys import GUESSED_KEY, IDLE_KEY, read_key, typed_key, typed_text, with_key_trial

VIDEO_TRAJECTORY = "video"
POINTER_SLACK = 0.5  # seconds around a keyframe's stable span in which a pointer sighting counts
SHIFT_EXPLAINS = 0.6  # a translation explains a change when what still differs is at most this share of it
MIN_SCROLL_BOX = 48  # recording pixels: a smaller region is not searched for a scrolled container
STILL_POINTER = 4  # recording pixels: the pointer did not move
TEXT_SHIFT_LINES = 2  # lines that must have moved alike to call a change a scroll of text
TEXT_SHIFT_SLACK = 4  # page pixels two moved lines may differ by (OCR boxes)
RING_SEEN = 0.9  # perception's confidence in a click whose press it saw (the ring): a click, whatever it moved
MASK_ROW = 24  # recording pixels: a masked field's dots lie this near the height one clicked the field at
MASK_FILL = "aB3$"  # typed in turn for characters a masked field hides: a letter of each case, a digit, a symbol


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


def unseen_key(kind: str, changed_area: float, screen_area: float) -> bool:
    """A key press perception guessed from a change smaller than what the judge counts as a
    visible change (a cursor flicker): pressing a key there could only do harm."""
    return kind == "key" and changed_area < REFERENCE_CHANGED * screen_area


def _unseen_key(event: PerceivedEvent, screen: int) -> bool:
    return unseen_key(event.kind, sum(r.box.area for r in event.regions), screen)


def _gray(path: Path, box: PBox | None = None) -> np.ndarray:
    gray = cv2.cvtColor(load_image(path), cv2.COLOR_BGR2GRAY)
    return gray if box is None else gray[max(0, box.y):box.y + box.height, max(0, box.x):box.x + box.width]


def _pyramid(gray: np.ndarray) -> dict[int, np.ndarray]:
    return {1: gray, 4: cv2.resize(gray, (gray.shape[1] // 4, gray.shape[0] // 4), interpolation=cv2.INTER_AREA)}


def _mismatch(g0: np.ndarray, g1: np.ndarray, dx: int, dy: int) -> float:
    """Share of the overlapping pixels that still differ once `g0` is moved by (dx, dy)."""
    h, w = g0.shape
    p0 = g0[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    p1 = g1[max(0, dy):h - max(0, -dy), max(0, dx):w - max(0, -dx)]
    return changed_share(p0, p1, TEXT_CHANGE) if p0.size else 1.0


def content_shift(before: Path, after: Path, box: PBox | None = None) -> int | None:
    """The vertical distance the content moved from `before` to `after` (whole frames, or the
    part in `box`), when one translation explains the change (what still differs once moved
    is at most SHIFT_EXPLAINS of what differed): negative = moved up (scrolled down)."""
    g0, g1 = _gray(before, box), _gray(after, box)
    if min(g0.shape) < MIN_SCROLL_BOX or g0.shape != g1.shape:
        return None
    shift = scroll_shift(_pyramid(g0), _pyramid(g1))
    if shift is None or abs(shift[1]) <= abs(shift[0]):
        return None
    still, was = _mismatch(g0, g1, *shift), _mismatch(g0, g1, 0, 0)
    return shift[1] if was > 0 and still <= SHIFT_EXPLAINS * was else None


def _scroll(action: Action, dy: float, scale: float) -> Action:
    """`action` as the scroll that moved the content by `dy` recording pixels (its amount in page pixels)."""
    direction = "down" if dy < 0 else "up"
    amount = round(abs(dy) * scale)
    params = ActionParameters.model_validate({"description": f"Scroll {direction} by about {amount} px", "direction": direction,
                                              "amount": amount})  # `amount`: an extra field the replay honours
    return action.model_copy(update={"type": ActionType.SCROLL, "parameters": params})


def _press(action: Action, key: str) -> Action:
    params = ActionParameters(description=f"Press {key}", key=key)
    return action.model_copy(update={"type": ActionType.PRESS, "parameters": params, "point": None})


def _scrolled_box(action: Action, change: VisibleChange | None, scale: float) -> PBox | None:
    """Where the recording changed (the box around all changed regions, recording pixels) when
    the pointer is over it: a container the pointer may have scrolled."""
    if action.point is None or change is None or not change.regions:
        return None
    x0, y0 = min(r.x for r in change.regions), min(r.y for r in change.regions)
    x1, y1 = max(r.x + r.width for r in change.regions), max(r.y + r.height for r in change.regions)
    if not (x0 <= action.point.x <= x1 and y0 <= action.point.y <= y1):
        return None
    return PBox(x=round(x0 / scale), y=round(y0 / scale), width=round((x1 - x0) / scale), height=round((y1 - y0) / scale))


def masked_count(action: Action, change: VisibleChange | None, before: Path | None, after: Path | None,
                 scale: float) -> int | None:
    """How many characters a click or typing step typed into a masked field (a password's dots,
    `masked_typed`): on the row of the pointer, starting left of it (a field's text starts at
    its left edge), where the recording changed; None when no such row of dots grew."""
    if action.type not in (ActionType.CLICK, ActionType.TYPE) or action.point is None or change is None \
            or before is None or after is None or not before.is_file() or not after.is_file():
        return None
    x, y = action.point.x / scale, action.point.y / scale
    g0, g1 = _gray(before), _gray(after)
    band = PBox(x=0, y=max(0, round(y - MASK_ROW)), width=g1.shape[1], height=2 * MASK_ROW)
    found = masked_typed(g0, g1, band, max_x=x)
    if found is None:
        return None
    count, run = found
    run = PBox(x=run.x + band.x, y=run.y + band.y, width=run.width, height=run.height)
    changed = [PBox(x=round(r.x / scale), y=round(r.y / scale), width=round(r.width / scale),
                    height=round(r.height / scale)) for r in change.regions]
    return count if any(r.overlaps(run) for r in changed) else None


def _masked(action: Action, count: int) -> Action:
    text = (MASK_FILL * count)[:count]
    params = ActionParameters.model_validate({"description": f"Type {count} masked characters into the field", "text": text,
                                              "masked": count})  # `masked`: the recording hid what was typed
    return action.model_copy(update={"type": ActionType.TYPE, "parameters": params})


def is_masked(action: Action) -> bool:
    """The step types characters the recording showed masked (`masked_count`)."""
    return bool((action.parameters.model_extra or {}).get("masked"))


def hidden_input_change(change: VisibleChange) -> VisibleChange:
    """What a masked typing step can be held to: its lines that changed in place (a strength
    meter's verdict) depend on characters the recording hides, so their words are no evidence
    (listed as unread); lines that appeared or disappeared (a length rule's message, the
    placeholder) still are, and so is where the screen changed."""
    hidden = [text for t in change.texts if t.kind == "changed" for text in (t.before, t.after)]
    return change.model_copy(update={"unread": [*change.unread, *hidden]})


def undid_click(previous: Action | None, earlier: Path | None, after: Path | None) -> bool:
    """The screen after this step is the one before the previous step, a click, with no visible
    difference: this step closed what the click opened (a lightbox, a menu, a dialog)."""
    if previous is None or previous.type != ActionType.CLICK or earlier is None or after is None:
        return False
    return changed_share(load_image(earlier), load_image(after), VIDEO_CHANGE) < REFERENCE_CHANGED


def replayed(action: Action, event: PerceivedEvent | None, change: VisibleChange | None, before: Path | None,
             after: Path | None, previous: Action | None, scale: float, earlier: Path | None = None) -> Action:
    """How a perceived step is replayed, read from what it changed on the recording (`earlier`:
    the screen before the previous step):

    - typing that typed nothing visible is a key press;
    - a click or typing step that grew a row of dots at the pointer's height typed that many
      characters into a masked field (`masked_count`); what it typed is not in the recording,
      so MASK_FILL stands in for it;
    - a step whose change is the screen's content moved as a whole is the scroll it was, by
      the distance it moved, unless perception saw the click's press (a link or a button that
      expands content moves it too);
    - a key press gets the key its change shows, or that typing before it implies, or Escape
      when it put back the screen the click before it changed (`video_keys.read_key`);
    - a click or scroll where the previous typing happened (the pointer not moved) is a key
      press: submitting what was typed (a row it inserts moves the content below, no scroll);
    - a click that left new text in the field under the pointer typed it (`typed_text`);
    - a click or scroll whose changed area, under the pointer, moved as a whole there (its
      text lines read at other heights, `text_shift`, else its pixels) is the scroll of that
      container, unless it moved against the direction perception saw;
    - a perceived scroll that moved nothing measurable keeps perception's distance;
    - a click whose press perception saw (the ring) while it also measured the content moving
      is the scroll of the container under the pointer when that container's text lines moved
      alike in perception's direction and unseen lines came in behind them (`scrolled_in`):
      lines sliding under a still pointer can pass for a click indicator, and a click that
      removes or inserts a row moves the rows after it but brings in nothing new."""
    if action.type == ActionType.TYPE and not (action.parameters.text or "").strip():
        action = _press(action, IDLE_KEY)  # typing perceived with nothing typed on screen: a key press
    seen = change is not None and change.changed_fraction >= REFERENCE_CHANGED
    typed_at = previous.point if previous is not None and previous.type == ActionType.TYPE else None
    typing = typed_at is not None or (previous is not None and previous.type == ActionType.PRESS
                                      and len(previous.parameters.key or "") == 1)
    perceived_key = event.key if event is not None and event.key != GUESSED_KEY else None  # perception's 'Enter' is its guess
    masked = masked_count(action, change, before, after, scale)
    if masked is not None:
        return _masked(action, masked)
    if action.type == ActionType.TYPE or not seen:
        return _press(action, read_key(perceived_key, change, typing)) if action.type == ActionType.PRESS else action
    clicked = event is not None and ((event.kind == "click" and event.confidence >= RING_SEEN)  # a link may scroll the page
                                     or event.pressed_not_typed)  # planned as the click it was, whatever moved
    if clicked and event is not None and event.scroll_dy and change is not None:
        moved = text_shift(change)  # a ring seen in a scroll: lines moving under a still pointer can look like one
        if moved is not None and moved * -event.scroll_dy > 0 and scrolled_in(change, moved) \
                and _scrolled_box(action, change, scale) is not None:
            return _scroll(action, moved / scale, scale)
    dy = content_shift(before, after) if before is not None and after is not None and not clicked else None
    if dy is not None:
        return _scroll(action, dy, scale)
    if action.type == ActionType.PRESS:
        return _press(action, read_key(perceived_key, change, typing, undid_click(previous, earlier, after)))
    if typed_at is not None and action.point is not None and \
            max(abs(action.point.x - typed_at.x), abs(action.point.y - typed_at.y)) <= STILL_POINTER * scale:
        return _press(action, read_key(None, change))
    text = typed_text(action.point.x, action.point.y, change) if action.point is not None else None
    if action.type == ActionType.CLICK and text is not None:
        params = ActionParameters(description=f"Type '{text}' into the field", text=text)
        return action.model_copy(update={"type": ActionType.TYPE, "parameters": params})
    box = _scrolled_box(action, change, scale) if not clicked else None
    if box is not None:
        moved = text_shift(change) if change is not None else None
        moved = moved / scale if moved is not None else (content_shift(before, after, box) if before and after else None)
        perceived = -event.scroll_dy if event is not None and event.kind == "scroll" and event.scroll_dy else None
        if moved is not None and (perceived is None or moved * perceived > 0):  # a list of like rows can fool the pixels
            return _scroll(action, moved, scale)
    if action.type == ActionType.SCROLL and event is not None and event.scroll_dy:
        return _scroll(action, -event.scroll_dy, scale)
    return action


def _line_moves(change: VisibleChange) -> tuple[list[tuple[int, int]], dict[str, list[int]], dict[str, list[int]]]:
    """(before, after) heights of the changed lines read once before and once after the step,
    and the heights of every line read before and after."""
    was, now = _places(change, "before"), _places(change, "after")
    return [(was[k][0], now[k][0]) for k in was.keys() & now.keys() if len(was[k]) == 1 and len(now[k]) == 1], was, now


def _places(change: VisibleChange, kind: str) -> dict[str, list[int]]:
    """The heights (page pixels) each changed line was read at before (`kind` 'before') or after the step."""
    out: dict[str, list[int]] = {}
    for t in change.texts:
        text = "".join((t.before if kind == "before" else t.after).split()).lower()
        if len(text) >= 3 and (t.kind == "changed" or t.kind == ("disappeared" if kind == "before" else "appeared")):
            out.setdefault(text, []).append(t.box.y)
    return out


def scrolled_in(change: VisibleChange, moved: float) -> bool:
    """Content scrolled through: beyond every line that moved by `moved` (page pixels), lines
    new to the screen (read nowhere before the step) came in on the side the text moved away
    from, and lines read before left on the side it moved towards (read nowhere after).
    A row removed from a list moves the rows after it alike but brings in no unseen line
    behind them; a block inserted above a panel's lines (a confirmation) pushes them down
    but none of them leaves."""
    pairs, was, now = _line_moves(change)
    moves = [(a, b) for a, b in pairs if abs(b - a - moved) <= TEXT_SHIFT_SLACK]
    if not moves:
        return False
    new = [y for k, ys in now.items() if k not in was for y in ys]
    lost = [y for k, ys in was.items() if k not in now for y in ys]
    if moved < 0:
        return any(y > max(a for _, a in moves) for y in new) and any(y < min(b for b, _ in moves) for y in lost)
    return any(y < min(a for _, a in moves) for y in new) and any(y > max(b for b, _ in moves) for y in lost)


def text_shift(change: VisibleChange) -> float | None:
    """How far the recorded text moved (page pixels; negative = up): the lines read before the
    step at one place and after it at another, when at least TEXT_SHIFT_LINES of them agree
    within a few pixels (a scrolled list whose rows look alike, which pixels cannot tell apart)."""
    moves = sorted(b - a for a, b in _line_moves(change)[0])
    moves = [m for m in moves if abs(m) > STILL_POINTER]
    for m in moves:
        agree = [n for n in moves if abs(n - m) <= TEXT_SHIFT_SLACK]
        if len(agree) >= TEXT_SHIFT_LINES and 2 * len(agree) > len(moves):
            return float(np.median(agree))
    return None


def _shows_typed_key(event: PerceivedEvent, frames: dict[int, Path], cache: OcrCache | None) -> bool:
    before, after = frames.get(event.before_keyframe), frames.get(event.after_keyframe)
    if before is None or after is None:
        return False
    return before.is_file() and after.is_file() and typed_key(visible_change(before, after, cache)) is not None


def video_trajectory(perception: Perception, resolution: Resolution, cache: OcrCache | None = None) -> Trajectory:
    """The recording's own plan: one action per perceived event, checkpoints = the keyframes
    before the first and after each event, expected changes between consecutive checkpoints;
    each step replayed as its change reads (`replayed`), a key press whose key it does not
    show with the keys to try instead (`with_key_trial`). A key press guessed from a change too
    small to count is left out, unless the change shows the character it typed."""
    scale = resolution.width / perception.video.width if perception.video.width else 1.0
    screen = perception.video.width * perception.video.height
    frames = _keyframe_paths(perception)
    events = [e for e in perception.events if not _unseen_key(e, screen) or _shows_typed_key(e, frames, cache)]
    steps = draft_plan(perception.model_copy(update={"events": events}))
    by_span = {(e.before_keyframe, e.after_keyframe): e for e in events}
    first = steps[0].before_keyframe if steps else (perception.keyframes[0].index if perception.keyframes else None)
    keyframes: list[int | None] = [first, *(s.after_keyframe for s in steps)]
    checkpoints = [frames.get(k) if k is not None else None for k in keyframes]
    changes = expected_changes(perception, keyframes, resolution.width, cache)
    actions: list[Action] = []
    previous: Action | None = None
    for i, (s, c, a, b) in enumerate(zip(steps, changes, checkpoints, checkpoints[1:], strict=False)):
        event = by_span.get((s.before_keyframe, s.after_keyframe))
        action = with_key_trial(replayed(plan_action(s, scale), event, c, a, b, previous, scale,
                                         checkpoints[i - 1] if i else None), event)
        previous = action
        actions.append(action)
    changes = [hidden_input_change(c) if c is not None and k < len(actions) and is_masked(actions[k]) else c
               for k, c in enumerate(changes)]
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
