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
NEW_GLYPH = 0.15  # of the line's height: new ink wider than a glyph redrawn a pixel aside (an 'l' at 20 px)
KEPT_INK = 0.75  # share of a line's inked columns still inked once more text is typed after it


def _entry_changes(between: list[Sample], regions: list[ChangeRegion], at: Point, start: int) -> list[PBox]:
    """Character-sized changes from sample `start` on that may be keys typed into the field at
    `at`: on its row (within MASK_ROW), starting left of it, away from the pointer's own
    changes and not over its hotspot, inside a changed region."""
    return [c for s in between[start:] for c in s.changes
            if not (c in s.near or c.height > MASK_ROW or c.width > 2 * MASK_ROW or c.x >= at.x
                    or abs(c.y + c.height / 2 - at.y) > MASK_ROW or c.contains(at, margin=2)
                    or not any(c.within(r.box, slack=2) for r in regions))]


def _with_line_end(found: list[PBox], b: StableRun) -> list[PBox]:
    """The typed boxes and the line they start, followed right to its last glyph in `b`."""
    x, y, w, h = union_all(found).as_tuple()
    return [*found, PBox(x=x, y=y, width=glyph_end(b.image, x + w, y, h) - x, height=h)]


def typed_at_once(between: list[Sample], regions: list[ChangeRegion], a: StableRun, b: StableRun,
                  click: Sample) -> list[PBox] | None:
    """Boxes of a short entry typed right after a click that focused its field, drawn in one
    go (two or three keys between two samples: no growth to follow). Character-sized changes
    on the clicked row (`_entry_changes`) where the page before was blank and now shows ink:
    text that appeared in an empty field. A click's other effects redraw ink that was there (a
    counter, a label) or lie elsewhere (a menu below the field)."""
    if click.pointer is None:
        return None
    start = next((i for i, s in enumerate(between) if s is click), 0)  # typing follows the click
    at = Point(x=click.pointer.x, y=click.pointer.y)
    found = [c for c in _entry_changes(between, regions, at, start)
             if _ink(a.image, c) <= BLANK_INK and _ink(b.image, c) >= NEW_INK]
    return _with_line_end(found, b) if found else None


def _appended(a: np.ndarray, b: np.ndarray, box: PBox) -> bool:
    """Whether `b` shows, in `box`, new ink that continues a line `a` had: read over the box's
    rows (a field's border rules left out) from one line height left of it, the columns inked
    only in `b` all lie right of every column inked in `a`, and left of them `b` keeps most of
    the ink `a` had there (KEPT_INK: the caret that stood after the line has moved on)."""
    x0 = max(0, box.x - box.height)
    rows = slice(max(0, box.y), box.y + box.height)
    wide = a[rows, max(0, box.x - 3 * box.height):box.right + 2 * box.height]  # mostly the field's background
    if wide.size == 0:
        return False
    background = int(np.median(cv2.cvtColor(wide, cv2.COLOR_BGR2GRAY)))
    ink_a, ink_b = _inked(a[rows, x0:box.right], background), _inked(b[rows, x0:box.right], background)
    own = box.x - x0  # rules are told on the box's own columns (the line's left part may be blank)
    text_rows = (ink_a[:, own:].mean(axis=1) < RULE_INK) & (ink_b[:, own:].mean(axis=1) < RULE_INK)
    was, now = np.asarray(ink_a[text_rows].any(axis=0)), np.asarray(ink_b[text_rows].any(axis=0))
    new = np.flatnonzero(now & ~was)
    if new.size == 0 or new[-1] - new[0] + 1 < NEW_GLYPH * box.height:
        return False  # nothing new, or a glyph redrawn a pixel aside
    first = int(new[0])
    before = was[:first]
    return bool(before.any()) and not was[first:].any() and float((before & now[:first]).sum()) >= KEPT_INK * float(before.sum())


def typed_after(between: list[Sample], regions: list[ChangeRegion], a: StableRun, b: StableRun,
                at: Point) -> list[PBox] | None:
    """Boxes of keys typed on into a field whose typing began with the click just before (the
    pointer still rests where it clicked, `at`): the first key landed in the click's own
    change, the next arrive in one step with what they bring (a suggestion list opening under
    the field), so there is neither a growth to follow nor a blank field. Character-sized
    changes on the pointer's row (`_entry_changes`) whose new ink continues the line of text
    left of it, which stays as it was (`_appended`)."""
    found = [c for c in _entry_changes(between, regions, at, 0) if _appended(a.image, b.image, c)]
    return _with_line_end(found, b) if found else None


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


def _inked(patch: np.ndarray, background: int | None = None) -> np.ndarray:
    """Which pixels of a BGR patch stand out by GLYPH_INK from the `background` gray (by
    default the patch's median)."""
    if patch.size == 0:
        return np.zeros((0, 0), dtype=bool)
    gray = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY).astype(np.int16)
    return np.asarray(np.abs(gray - (int(np.median(gray)) if background is None else background)) > GLYPH_INK)


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
