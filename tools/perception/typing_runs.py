"""Typing that a recording shows in pieces: one typed entry, not one event per piece.

A screen grabber on a busy machine repeats frames, so a word typed at a steady pace can
appear in two or three jumps with still frames between them, long enough to count as
stable states. When a state change is typing and the next change only continues that text
line (same line, not left of where the typing began, the pointer still), the state between
them is dropped: the two changes are one typing event.
"""

from __future__ import annotations

import itertools

from .events import POINTER_MOVE_PX, _dist, _typing_boxes, merge_boxes, state_diff
from .scan import Scan, StableRun

LINE_SLACK = 0.5  # of the line height: how far a continuation may sit above or below the typed line


def _continues(scan: Scan, line: tuple[int, int, int, int], b: StableRun, c: StableRun) -> bool:
    """Whether the change b -> c lies on the typed line `line` (x, y, w, h), right of its start."""
    regions = state_diff(scan, b, c)
    if not regions or _dist(b.pointer, c.pointer) > POINTER_MOVE_PX:
        return False
    x, y, _w, h = line
    slack = LINE_SLACK * h
    return all(r.box.y >= y - slack and r.box.y + r.box.height <= y + h + slack and r.box.x >= x - slack
               and r.box.height <= h + 2 * slack for r in regions)


def join_typing(scan: Scan, runs: list[StableRun]) -> list[StableRun]:
    """`runs` without the states that only split one typed entry into pieces."""
    if len(runs) < 3:
        return runs
    H = scan.info.height
    kept = [runs[0]]
    line: tuple[int, int, int, int] | None = None  # the line being typed since kept[-2] -> kept[-1]
    for b, c in itertools.pairwise(runs):  # kept[-1] is b
        if line is not None and _continues(scan, line, b, c):
            kept[-1] = c  # drop b: a' -> c is one typing change
            line = merge_boxes([line, *(r.box.as_tuple() for r in state_diff(scan, b, c))], 10_000)[0]
            continue
        between = scan.samples[b.last + 1: c.first + 1]
        boxes = _typing_boxes(between, state_diff(scan, b, c), H, jumps=True)
        line = merge_boxes(boxes, 10_000)[0] if boxes else None
        kept.append(c)
    return kept
