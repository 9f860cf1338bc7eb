"""Pointer detection and click indicators.

The pointer is found where the frame difference is small: each small changed blob is
searched with template matching (normalised cross-correlation with a mask) against a
bank of cursor shapes (arrow and hand, light-on-dark and dark-on-light) at several
scales. Once a shape and scale match well, the tracker keeps preferring them. A click
indicator is a hollow, roughly round blob appearing around the pointer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from ..cursor_shapes import SHAPES as CURSOR_SHAPES

SHAPES: dict[str, np.ndarray] = {shape.value: polygon
                                 for shape, polygon in CURSOR_SHAPES.items()}  # the shapes drawn by tools.pointer
SCALES: tuple[float, ...] = (0.8, 1.0, 1.15, 1.35, 1.6, 2.0)
MATCH_THRESHOLD = 0.72
INK_DARK, INK_LIGHT = 70, 185  # gray levels a region must reach both of to hold a black-and-white cursor (codec-softened)
LEARN_HITS = 8  # matches after which the cursor's size counts as known


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
    box: tuple[int, int, int, int]
    shape: str
    score: float
    mask: np.ndarray  # cursor silhouette inside `box`


@dataclass
class PointerTracker:
    """Finds the pointer in changed blobs and remembers the best-matching templates."""

    preferred: dict[str, int] = field(default_factory=dict)
    last: PointerHit | None = None
    _order: list[CursorTemplate] | None = None
    _order_hits: int = -1

    def _ordered(self) -> list[CursorTemplate]:
        """The bank, most often matched first; once the cursor's look is known (a cursor
        keeps its size and colours within a recording), only its shapes in that look."""
        hits = sum(self.preferred.values())
        if self._order is not None and (hits == self._order_hits or (self._order_hits >= LEARN_HITS and hits - self._order_hits < LEARN_HITS)):
            return self._order  # re-ranked every LEARN_HITS matches once learned
        self._order, self._order_hits = self._rank(hits), hits
        return self._order

    def _rank(self, hits: int) -> list[CursorTemplate]:
        bank = sorted(template_bank(), key=lambda t: -self.preferred.get(f"{t.name}@{t.scale}", 0))
        if hits < LEARN_HITS:
            return bank
        looks: dict[tuple[str, float], int] = {}  # (fill style, scale): hits
        for t in bank:
            look = (t.name.split("-")[-1], t.scale)
            looks[look] = looks.get(look, 0) + self.preferred.get(f"{t.name}@{t.scale}", 0)
        known = {look for look, n in looks.items() if n >= 0.2 * hits}
        return [t for t in bank if (t.name.split("-")[-1], t.scale) in known]

    def find(self, gray: np.ndarray, box: tuple[int, int, int, int]) -> PointerHit | None:
        """Best cursor match inside `box` (x, y, w, h, full-res) of a gray frame."""
        x, y, w, h = box
        H, W = gray.shape
        margin = 6
        x0, y0 = max(0, x - margin), max(0, y - margin)
        x1, y1 = min(W, x + w + margin), min(H, y + h + margin)
        roi = gray[y0:y1, x0:x1]
        darkest, lightest, _, _ = cv2.minMaxLoc(roi)
        if darkest > INK_DARK or lightest < INK_LIGHT:
            return None  # every cursor in the bank is drawn in black and white
        best: tuple[float, CursorTemplate, tuple[int, int]] | None = None
        for t in self._ordered():
            th, tw = t.image.shape
            if th > roi.shape[0] or tw > roi.shape[1]:
                continue
            res = cv2.matchTemplate(roi, t.image, cv2.TM_CCOEFF_NORMED, mask=t.mask)
            res[~np.isfinite(res)] = -1.0
            _, score, _, loc = cv2.minMaxLoc(res)
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
        hit = PointerHit(x0 + lx + t.hotspot[0], y0 + ly + t.hotspot[1], (x0 + lx, y0 + ly, tw, th), t.name, float(score), t.mask)
        self.last = hit
        return hit


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
