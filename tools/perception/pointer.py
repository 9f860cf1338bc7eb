"""Pointer detection and click indicators.

The pointer is found where the frame difference is small: each small changed blob is
searched with template matching (normalised cross-correlation with a mask) against a
bank of cursor shapes (arrow and hand, light-on-dark and dark-on-light) at several
scales. Once a shape and scale match well, the tracker keeps preferring them. A click
indicator is a hollow, roughly round blob appearing around the pointer.

A real screen recording shows the system's cursor, whose shapes (arrow, hand, I-beam, in
the user's theme) need not look like the bank. The tracker learns them from the video:
when the pointer known in the previous frame left its place (its box changed) and a small
object appeared nearby that no template matches, that object's changed pixels are the
cursor in a new shape; it joins the bank as a learned template, its hotspot placed by the
conventions of cursor design (a pointing shape points up: the top of its silhouette; a tall
narrow one such as the I-beam: its centre).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import cv2
import numpy as np

from ...core.change import changed_mask
from ...core.geometry import PixelBox
from ..cursor_shapes import SHAPES as CURSOR_SHAPES

SHAPES: dict[str, np.ndarray] = {shape.value: polygon
                                 for shape, polygon in CURSOR_SHAPES.items()}  # the shapes drawn by tools.pointer
SCALES: tuple[float, ...] = (0.8, 1.0, 1.15, 1.35, 1.6, 2.0)
MATCH_THRESHOLD = 0.72
INK_DARK, INK_LIGHT = 70, 185  # gray levels a region must reach both of to hold a black-and-white cursor (codec-softened)
LEARN_HITS = 8  # matches after which the cursor's size counts as known
LEARNED_MATCH = 0.88  # a learned template is the cursor's own pixels: it must match closely
MAX_LEARNED = 8  # learned cursor templates kept (the least used is replaced)
SPRITE_CHANGE = 40  # gray levels: a pixel of a cursor that appeared differs this much from the page under it
LEARN_REACH = 0.2  # of the frame's larger side: how far from where it left a cursor is looked for (one sample's motion)
BUSY_PAGE = 0.03  # share of the searched window changed beyond which the page moves, not just the cursor
SPRITE_PIXELS = 25  # changed pixels for an appeared object to be a cursor


@dataclass(frozen=True)
class CursorTemplate:
    """A rendered cursor: gray image, mask, hotspot offset inside the image."""

    name: str
    scale: float
    image: np.ndarray
    mask: np.ndarray
    hotspot: tuple[int, int]


def _render(name: str, polygon: np.ndarray, scale: float, dark: bool) -> CursorTemplate:
    pad = 2
    pts = polygon * scale
    x0, y0 = pts.min(axis=0)
    shifted = pts - np.array([x0, y0]) + pad
    w = int(np.ceil(shifted[:, 0].max())) + pad + 1
    h = int(np.ceil(shifted[:, 1].max())) + pad + 1
    fill, outline = (0, 255) if dark else (255, 0)
    img = np.full((h, w), 128, np.uint8)
    poly = np.round(shifted * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(img, [poly], fill, lineType=cv2.LINE_AA, shift=4)
    cv2.polylines(img, [poly], True, outline, 1, lineType=cv2.LINE_AA, shift=4)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [poly], 255, shift=4)
    cv2.polylines(mask, [poly], True, 255, 1, shift=4)
    hotspot = (int(round(-x0 + pad)), int(round(-y0 + pad)))
    return CursorTemplate(f"{name}-{'dark' if dark else 'light'}", scale, img, mask, hotspot)


@lru_cache(maxsize=1)
def template_bank() -> tuple[CursorTemplate, ...]:
    """All cursor templates: shapes x fill styles x scales."""
    return tuple(_render(n, p, s, d) for n, p in SHAPES.items() for d in (False, True) for s in SCALES)


@dataclass(frozen=True)
class PointerHit:
    """A pointer found in a frame: hotspot (full-res px), its box and match score."""

    x: float
    y: float
    box: PixelBox
    shape: str
    score: float
    mask: np.ndarray  # cursor silhouette inside `box`
    image: np.ndarray | None = None  # the template that matched (gray, the size of `box`)


@dataclass
class PointerTracker:
    """Finds the pointer in changed blobs and remembers the best-matching templates."""

    preferred: dict[str, int] = field(default_factory=dict)
    last: PointerHit | None = None
    _order: list[CursorTemplate] | None = None
    _order_hits: int = -1
    learned: list[CursorTemplate] = field(default_factory=list)

    def _ordered(self) -> list[CursorTemplate]:
        """The bank, most often matched first; once the cursor's look is known (a cursor
        keeps its size and colours within a recording), only its shapes in that look."""
        hits = sum(self.preferred.values())
        if self._order is not None and (hits == self._order_hits or (self._order_hits >= LEARN_HITS and hits - self._order_hits < LEARN_HITS)):
            return self._order  # re-ranked every LEARN_HITS matches once learned
        self._order, self._order_hits = self._rank(hits), hits
        return self._order

    def _rank(self, hits: int) -> list[CursorTemplate]:
        bank = sorted([*template_bank(), *self.learned], key=lambda t: -self.preferred.get(f"{t.name}@{t.scale}", 0))
        if hits < LEARN_HITS:
            return bank
        looks: dict[tuple[str, float], int] = {}  # (fill style, scale): hits
        for t in bank:
            look = (t.name.split("-")[-1], t.scale)
            looks[look] = looks.get(look, 0) + self.preferred.get(f"{t.name}@{t.scale}", 0)
        known = {look for look, n in looks.items() if n >= 0.2 * hits}
        return [t for t in bank if (t.name.split("-")[-1], t.scale) in known or t in self.learned]

    def find(self, gray: np.ndarray, box: PixelBox) -> PointerHit | None:
        """Best cursor match inside `box` (full-res) of a gray frame."""
        x, y, w, h = box.as_tuple()
        H, W = gray.shape
        margin = 6
        x0, y0 = max(0, x - margin), max(0, y - margin)
        x1, y1 = min(W, x + w + margin), min(H, y + h + margin)
        roi = gray[y0:y1, x0:x1]
        darkest, lightest, _, _ = cv2.minMaxLoc(roi)
        inked = darkest <= INK_DARK and lightest >= INK_LIGHT  # every cursor in the bank is drawn in black and white
        if not inked and not self.learned:
            return None
        best: tuple[float, CursorTemplate, tuple[int, int]] | None = None
        for t in self._ordered():
            th, tw = t.image.shape
            if th > roi.shape[0] or tw > roi.shape[1] or (not inked and t not in self.learned):
                continue
            res = cv2.matchTemplate(roi, t.image, cv2.TM_CCOEFF_NORMED, mask=t.mask)
            res[~np.isfinite(res)] = -1.0
            _, score, _, loc = cv2.minMaxLoc(res)
            if t in self.learned and score < LEARNED_MATCH:
                continue  # a copy of the real cursor matches it closely; a loose match is page content
            if best is None or score > best[0]:
                best = (score, t, (loc[0], loc[1]))
            if best[0] >= 0.88:
                break
        if best is None or best[0] < MATCH_THRESHOLD:
            return None
        score, t, (lx, ly) = best
        key = f"{t.name}@{t.scale}"
        self.preferred[key] = self.preferred.get(key, 0) + 1
        th, tw = t.image.shape
        hit = PointerHit(x0 + lx + t.hotspot[0], y0 + ly + t.hotspot[1], PixelBox(x=x0 + lx, y=y0 + ly, width=tw, height=th),
                         t.name, float(score), t.mask, t.image)
        self.last = hit
        return hit


    def learn(self, gray: np.ndarray, prev_gray: np.ndarray, prev: PointerHit, samples: int = 1) -> PointerHit | None:
        """The cursor in a shape the bank lacks: the previous pointer left its place and a small,
        contrasted object appeared within reach of it (nearest first); `samples` is how many
        sampling steps the pointer had to get there (more when the frames in between repeated)."""
        if not _left(gray, prev_gray, prev):
            return None  # the pointer did not leave its place: an object appearing is not it
        H, W = gray.shape
        bx, by, bw, bh = prev.box.as_tuple()  # a known shape in its place (a link under it went, and with it the hand)
        known = self.find(gray, PixelBox(x=bx - bw, y=by - bh, width=3 * bw, height=3 * bh))
        if known is not None:  # a shape change does not move the hotspot: a pixel or two is the templates' own offset
            return replace(known, x=prev.x, y=prev.y) if abs(known.x - prev.x) + abs(known.y - prev.y) <= 3 else known
        reach = int(LEARN_REACH * max(H, W) * max(1, samples))
        x0, y0 = max(0, int(prev.x) - reach), max(0, int(prev.y) - reach)
        x1, y1 = min(W, int(prev.x) + reach), min(H, int(prev.y) + reach)
        page = prev_gray[y0:y1, x0:x1].copy()  # the page without the old cursor: its silhouette filled from around it
        old = _paint_box(page, prev, (x0, y0))
        changed = changed_mask(gray[y0:y1, x0:x1], page, SPRITE_CHANGE)
        if changed.mean() > BUSY_PAGE:
            return None  # the page itself moves around the pointer (a scroll, a redraw): no cursor to single out
        n, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(changed, np.ones((3, 3), np.uint8)), connectivity=8)
        found = [i for i in range(1, n) if 6 <= stats[i][3] <= 48 and 3 <= stats[i][2] <= 48]
        found.sort(key=lambda i: abs(x0 + stats[i][0] + stats[i][2] / 2 - prev.x) + abs(y0 + stats[i][1] + stats[i][3] / 2 - prev.y))
        for i in found:
            cx, cy, cw, ch = (int(v) for v in stats[i][:4])
            mask = ((labels[cy:cy + ch, cx:cx + cw] == i) & (changed[cy:cy + ch, cx:cx + cw] > 0)).astype(np.uint8)
            if int(mask.sum()) < SPRITE_PIXELS or (mask & ~old[cy:cy + ch, cx:cx + cw]).sum() < 0.3 * mask.sum():
                continue  # too small, or what is left of the old cursor where the page is not uniform
            mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) * 255
            image = gray[y0 + cy:y0 + cy + ch, x0 + cx:x0 + cx + cw].copy()
            if float(image[mask > 0].std()) < 20:
                continue  # a flat patch (a highlight, a tint): a cursor has an outline
            return self._add(image, mask, (x0 + cx, y0 + cy))
        return None

    def _add(self, image: np.ndarray, mask: np.ndarray, at: tuple[int, int]) -> PointerHit:
        """A learned template from a cursor seen at `at`, and the hit there."""
        hx, hy = _hotspot(mask)
        n = len(self.learned)
        name = f"learned{n}-sprite"
        if n >= MAX_LEARNED:  # replace the least used
            worst = min(self.learned, key=lambda t: self.preferred.get(f"{t.name}@{t.scale}", 0))
            self.learned.remove(worst)
            self.preferred.pop(f"{worst.name}@1.0", None)
            name = worst.name
        template = CursorTemplate(name, 1.0, image, mask, (hx, hy))
        self.learned.append(template)
        self._order = None  # re-rank with the new template
        h, w = mask.shape
        hit = PointerHit(at[0] + hx, at[1] + hy, PixelBox(x=at[0], y=at[1], width=w, height=h), name, MATCH_THRESHOLD, mask, image)
        self.last = hit
        return hit


def _paint_box(page: np.ndarray, hit: PointerHit, origin: tuple[int, int]) -> np.ndarray:
    """Fill the cursor's (dilated) silhouette in a crop of the page with the median of the rest
    of its box, in place; return the filled pixels as a bool mask of the crop."""
    H, W = page.shape
    bx, by, bw, bh = hit.box.as_tuple()
    bx, by = bx - origin[0], by - origin[1]
    filled = np.zeros((H, W), bool)
    x0, y0, x1, y1 = max(0, bx), max(0, by), min(W, bx + bw), min(H, by + bh)
    if x0 >= x1 or y0 >= y1:
        return filled
    sil = cv2.dilate(hit.mask, np.ones((3, 3), np.uint8))[y0 - by:y1 - by, x0 - bx:x1 - bx] > 0
    box = page[y0:y1, x0:x1]
    rest = box[~sil]
    box[sil] = int(np.median(rest)) if rest.size else int(np.median(box))
    filled[y0:y1, x0:x1] = sil
    return filled


def _left(gray: np.ndarray, prev_gray: np.ndarray, hit: PointerHit) -> bool:
    """Most of the pointer's silhouette changed between the two frames (it is no longer there)."""
    x, y, w, h = hit.box.as_tuple()
    H, W = gray.shape
    if x < 0 or y < 0 or x + w > W or y + h > H:
        return True
    sil = hit.mask > 0
    changed = changed_mask(gray[y:y + h, x:x + w], prev_gray[y:y + h, x:x + w], SPRITE_CHANGE) > 0
    if not sil.any() or float(changed[sil].mean()) < 0.3:
        return False
    if hit.image is None:
        return True
    x0, y0 = max(0, x - 2), max(0, y - 2)  # the page under it changed, or the cursor went: does it still match there?
    roi = gray[y0:min(H, y + h + 2), x0:min(W, x + w + 2)]
    res = cv2.matchTemplate(roi, hit.image, cv2.TM_CCOEFF_NORMED, mask=hit.mask)
    res[~np.isfinite(res)] = -1.0
    return float(res.max()) < min(MATCH_THRESHOLD, 0.9 * hit.score)


def _hotspot(mask: np.ndarray) -> tuple[int, int]:
    """Where a cursor silhouette points: the middle of its top row, or the centre of a tall
    narrow symmetric shape (an I-beam, a text cursor)."""
    h, w = mask.shape
    filled = mask > 0
    if w <= 0.5 * h and np.mean(filled == filled[:, ::-1]) >= 0.85:
        return w // 2, h // 2
    top = int(np.argmax(filled.any(axis=1)))
    xs = np.flatnonzero(filled[top])
    return int(round(float(xs.mean()))), top


def is_ring(mask: np.ndarray) -> bool:
    """Whether a blob mask (cropped to its box) looks like a ring: round, square-ish, hollow."""
    h, w = mask.shape
    if h < 8 or w < 8 or not 0.6 <= w / h <= 1.6:
        return False
    fill = float(np.count_nonzero(mask)) / (w * h)
    if fill > 0.7:
        return False
    cy, cx = h // 2, w // 2
    r = max(1, min(w, h) // 5)
    centre = mask[cy - r: cy + r + 1, cx - r: cx + r + 1]
    return float(np.count_nonzero(centre)) / max(1, centre.size) < 0.35
