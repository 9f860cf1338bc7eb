"""Typing and scrolling that a recording shows in pieces: one event each, not one per piece.

A screen grabber on a busy machine repeats frames, so a word typed at a steady pace can
appear in two or three jumps with still frames between them, long enough to count as
stable states. When a state change is typing and the next change only continues that text
line (same line, not left of where the typing began, the pointer still), the state between
them is dropped: the two changes are one typing event. Likewise the brief stops of a smooth
scroll of several wheel notches.
"""

from __future__ import annotations

import itertools

from ...core.geometry import PixelBox, union_all
from .events import POINTER_MOVE_PX, _dist, _typing_boxes, state_diff
from .scan import Scan, StableRun
from .scroll import _scroll

LINE_SLACK = 0.5  # of the line height: how far a continuation may sit above or below the typed line


def _continues(scan: Scan, line: PixelBox, b: StableRun, c: StableRun) -> bool:
    """Whether the change b -> c lies on the typed line `line`, right of its start."""
    regions = state_diff(scan, b, c)
    if not regions or _dist(b.pointer, c.pointer) > POINTER_MOVE_PX:
        return False
    x, y, h = line.x, line.y, line.height
    slack = LINE_SLACK * h
    return all(r.box.y >= y - slack and r.box.y + r.box.height <= y + h + slack and r.box.x >= x - slack
               and r.box.height <= h + 2 * slack for r in regions)


def join_typing(scan: Scan, runs: list[StableRun]) -> list[StableRun]:
    """`runs` without the states that only split one typed entry into pieces."""
    if len(runs) < 3:
        return runs
    H = scan.info.height
    kept = [runs[0]]
    line: PixelBox | None = None  # the line being typed since kept[-2] -> kept[-1]
    for b, c in itertools.pairwise(runs):  # kept[-1] is b
        if line is not None and _continues(scan, line, b, c):
            kept[-1] = c  # drop b: a' -> c is one typing change
            line = union_all([line, *(r.box for r in state_diff(scan, b, c))])
            continue
        between = scan.samples[b.last + 1: c.first + 1]
        boxes = _typing_boxes(between, state_diff(scan, b, c), H, jumps=True)
        line = union_all(boxes) if boxes else None
        kept.append(c)
    return kept


WHEEL_PAUSE = 1.0  # s: a still state shorter than this between two scrolls the same way is a pause within one gesture


def join_scrolls(scan: Scan, runs: list[StableRun]) -> list[StableRun]:
    """`runs` without the short still states inside one wheel gesture: smooth scrolling of a
    few notches shows as several scrolls the same way with brief stops between them."""
    if len(runs) < 3:
        return runs
    kept = [runs[0]]
    last: tuple[float, float] | None = None  # the scroll kept[-2] -> kept[-1]
    for b, c in itertools.pairwise(runs):  # kept[-1] is b
        a = kept[-2] if len(kept) >= 2 else None
        shift = _scroll(scan, b, c, state_diff(scan, b, c))
        if (a is not None and last is not None and shift is not None and b.end - b.start < WHEEL_PAUSE
                and _same_way(last, shift) and _dist(a.pointer, c.pointer) <= POINTER_MOVE_PX):
            joined = _scroll(scan, a, c, state_diff(scan, a, c))
            if joined is not None and _same_way(last, joined):
                kept[-1] = c
                last = joined
                continue
        kept.append(c)
        last = shift
    return kept


def _same_way(p: tuple[float, float], q: tuple[float, float]) -> bool:
    return p[0] * q[0] + p[1] * q[1] > 0
