"""Characters a masked field shows as bullets ('•••••'): how many there are, and where.

A password field draws one filled round dot per character, at one height and an even pitch.
OCR reads nothing there, so what was typed cannot be read from a recording; how many
characters were typed can: the dots are counted (`bullet_runs`), and a step that added dots
to a run typed that many characters (`masked_typed`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .types import PBox

CONTRAST = 60  # gray levels from the box's background (its median) that count as ink
DOT_SIZE = (3, 20)  # pixels: a dot's smallest and largest side
ROUND = 1.34  # a dot's longer side is at most this many times its shorter one
FILL = 0.6  # least share of a dot's box its ink fills (a disc: 0.785, a small one drawn as a square: 1; a ring less)
SAME_ROW = 1  # pixels: dots of one run have their centres this close in height and sizes this close
PITCH = (1.4, 3.0)  # distance between neighbouring dots' left edges, in dot widths (letters of a word: nearer)
PITCH_SLACK = 1  # pixels: a run's pitch varies this much at most (sub-pixel positions round both ways)
MIN_RUN = 3  # dots: fewer may be a radio button, a carousel's dots or two letters a space apart ("a a")


@dataclass(frozen=True)
class BulletRun:
    """A row of like dots at an even pitch (pixels of the image searched)."""

    x: int
    y: int
    width: int
    height: int
    count: int

    @property
    def center_y(self) -> float:
        return self.y + self.height / 2


def _ink(gray: np.ndarray) -> np.ndarray:
    """1 where `gray` is far from its median (the background), else 0."""
    return (np.abs(gray.astype(np.int16) - float(np.median(gray))) > CONTRAST).astype(np.uint8)


def _dots(ink: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """Boxes and ink areas (x, y, w, h, area) of the filled round marks of an ink mask."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    out = []
    for x, y, w, h, area in stats[1:count]:
        if DOT_SIZE[0] <= min(w, h) and max(w, h) <= DOT_SIZE[1] and max(w, h) <= ROUND * min(w, h) \
                and area >= FILL * w * h:
            out.append((int(x), int(y), int(w), int(h), int(area)))
    return out


def _alike(a: tuple[int, int, int, int, int], b: tuple[int, int, int, int, int]) -> bool:
    return abs((a[1] + a[3] / 2) - (b[1] + b[3] / 2)) <= SAME_ROW and abs(a[2] - b[2]) <= SAME_ROW \
        and abs(a[3] - b[3]) <= SAME_ROW


def bullet_runs(gray: np.ndarray) -> list[BulletRun]:
    """Every run of MIN_RUN or more like dots on one row at an even pitch, with no other ink
    between them (the letters of a word stand closer and differ), longest first."""
    ink = _ink(gray)
    dots = sorted(_dots(ink))
    used: set[int] = set()
    runs: list[BulletRun] = []
    for i, first in enumerate(dots):
        if i in used:
            continue
        run, pitch = [i], None
        for j in range(i + 1, len(dots)):
            last, d = dots[run[-1]], dots[j]
            if j in used or not _alike(first, d):
                continue
            step = d[0] - last[0]
            if not PITCH[0] * first[2] <= step <= PITCH[1] * first[2] or (pitch is not None and abs(step - pitch) > PITCH_SLACK):
                continue
            pitch = step if pitch is None else pitch
            run.append(j)
        xs = [dots[k] for k in run]
        x0, y0 = min(d[0] for d in xs), min(d[1] for d in xs)
        x1, y1 = max(d[0] + d[2] for d in xs), max(d[1] + d[3] for d in xs)
        if len(run) >= MIN_RUN and int(ink[y0:y1, x0:x1].sum()) == sum(d[4] for d in xs):
            used.update(run)
            runs.append(BulletRun(x=x0, y=y0, width=x1 - x0, height=y1 - y0, count=len(run)))
    return sorted(runs, key=lambda r: -r.count)


def _crop(gray: np.ndarray, box: PBox) -> np.ndarray:
    return gray[max(0, box.y):max(0, box.y + box.height), max(0, box.x):max(0, box.x + box.width)]


def masked_typed(before: np.ndarray, after: np.ndarray, box: PBox, max_x: float | None = None) -> tuple[int, PBox] | None:
    """How many characters a step typed into a masked field in `box` of two gray frames (same
    size), and where its dots are (in the box): the dots the longest run in `after` (starting
    left of `max_x`, when given) has beyond the run on the same row in `before` (none there:
    all of them, as typing into an empty field); None when no run grew."""
    runs = [r for r in bullet_runs(_crop(after, box)) if max_x is None or box.x + r.x <= max_x]
    if not runs:
        return None
    grown = runs[0]
    had = [r.count for r in bullet_runs(_crop(before, box))
           if abs(r.center_y - grown.center_y) <= SAME_ROW and r.x < grown.x + grown.width and grown.x < r.x + r.width]
    typed = grown.count - max(had, default=0)
    return (typed, PBox(x=grown.x, y=grown.y, width=grown.width, height=grown.height)) if typed > 0 else None
