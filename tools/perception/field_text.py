"""Text in a field seen as ink: a short entry drawn at once into the field a click focused,
where a typed line's glyphs begin and end, and a crop without the field's border rules."""

from __future__ import annotations

import cv2
import numpy as np

from ...core.geometry import Point, union_all
from .scan import Sample, StableRun
from .types import ChangeRegion, PBox

GLYPH_INK = 40  # gray levels from the line's background that count as a glyph's ink
MASK_ROW = 24  # px: a masked field's dots lie this near the pointer's height
BLANK_INK = 0.02  # share of a box's pixels that may differ from its background and still count as blank
NEW_INK = 0.08  # share of inked pixels that counts as text drawn there
RULE_INK = 0.8  # share of a row (column) inked that makes it a rule (a field's border), not a line of glyphs
BLANK_LINE = 0.02


def typed_at_once(between: list[Sample], regions: list[ChangeRegion], a: StableRun, b: StableRun,
                   click: Sample) -> list[PBox] | None:
    """Boxes of a short entry typed right after a click that focused its field, drawn in one
    go (two or three keys between two samples: no growth to follow). Character-sized changes
    on the clicked row (within MASK_ROW of the click), starting left of the click point, away
    from the click's own indicator, inside a changed region, where the page before was blank
    and now shows ink: text that appeared in an empty field. A click's other effects redraw
    ink that was there (a counter, a label) or lie elsewhere (a menu below the field)."""
    if click.pointer is None:
        return None
    px, py = click.pointer.x, click.pointer.y
    found: list[PBox] = []
    start = next((i for i, s in enumerate(between) if s is click), 0)  # typing follows the click
    for s in between[start:]:
        for c in s.changes:
            if (c in s.near or c.height > MASK_ROW or c.width > 2 * MASK_ROW or c.x >= px
                    or abs(c.y + c.height / 2 - py) > MASK_ROW
                    or c.contains(Point(x=px, y=py), margin=2)
                    or not any(c.within(r.box, slack=2) for r in regions)):
                continue
            if _ink(a.image, c) <= BLANK_INK and _ink(b.image, c) >= NEW_INK:
                found.append(c)
    if not found:
        return None
    x, y, w, h = union_all(found).as_tuple()
    return [*found, PBox(x=x, y=y, width=glyph_end(b.image, x + w, y, h) - x, height=h)]


def glyph_start(image: np.ndarray, x: int, y: int, h: int) -> int:
    """Where the typed line's first glyph begins: its first change may have missed a faint left
    stroke ('W'), so the line is followed left over columns with ink, up to half a line height
    (a gap of background ends it: a field's icon or border further left is not taken)."""
    inked = np.asarray(_inked(image[max(0, y):y + h]).any(axis=0))
    if inked.size == 0:
        return x
    start = x
    while start > 0 and x - start < h // 2 and inked[start - 1]:
        start -= 1
    return start


def glyph_end(image: np.ndarray, x: int, y: int, h: int) -> int:
    """Where a line's last glyph ends: followed right from `x` over columns with ink, across
    gaps narrower than half a line height (a sampled change may miss the last letters)."""
    inked = np.asarray(_inked(image[max(0, y):y + h]).any(axis=0))
    if inked.size == 0:
        return x
    end, gap = x, 0
    while end + gap < inked.size and gap <= h // 2:
        if inked[end + gap]:
            end, gap = end + gap + 1, 0
        else:
            gap += 1
    return end


def _ink(image: np.ndarray, box: PBox) -> float:
    """Share of the box's pixels that stand out from its median (background) by GLYPH_INK."""
    ink = _inked(image[max(0, box.y):box.y + box.height, max(0, box.x):box.x + box.width])
    return float(ink.mean()) if ink.size else 0.0


def _inked(patch: np.ndarray) -> np.ndarray:
    """Which pixels of a BGR patch stand out from its median gray by GLYPH_INK."""
    if patch.size == 0:
        return np.zeros((0, 0), dtype=bool)
    gray = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY).astype(np.int16)
    return np.asarray(np.abs(gray - int(np.median(gray))) > GLYPH_INK)


def strip_rules(crop: np.ndarray) -> np.ndarray:
    """The crop without the field borders at its edges: from each edge, over rows (columns)
    that are blank or ruled, up to the last rule before the first row of glyphs (OCR reads a
    border beside a word as a letter, or loses the word)."""
    for _ in range(2):  # rows first, then columns of what is left
        ink = (np.abs(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.int16) - int(np.median(crop))) > GLYPH_INK)
        share = ink.mean(axis=1)
        n = share.size
        top = bottom = None
        for i in range(n):
            if share[i] >= RULE_INK:
                top = i
            elif share[i] > BLANK_LINE:
                break
        for i in range(n - 1, -1, -1):
            if share[i] >= RULE_INK:
                bottom = i
            elif share[i] > BLANK_LINE:
                break
        lo, hi = (top + 1 if top is not None else 0), (bottom if bottom is not None else n)
        if hi - lo >= 4:
            crop = crop[lo:hi]
        crop = np.ascontiguousarray(crop.transpose(1, 0, 2))
    return crop
