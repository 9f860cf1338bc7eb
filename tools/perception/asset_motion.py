"""How a page moved or dimmed between keyframes: the page's scroll (a translation of the
whole content) and translucent layers in front of a picture (a modal's backdrop, a
gradient over a hero), which dim it without hiding it."""

from __future__ import annotations

import cv2
import numpy as np

from .types import PBox

SCROLL_RESPONSE = 0.05  # phase correlation peak under which two keyframes are not one page moved
MIN_TINT_GAIN = 0.25  # the darkest translucent layer in front of a picture still counted as showing it
TINT_MIN_STD = 6.0  # BGR spread a region needs before a tint can be told from a new picture
TINT_RESIDUAL = 8.0  # mean absolute BGR error left after fitting a tint (codec noise)


def scroll_shift(before: dict[int, np.ndarray], after: dict[int, np.ndarray]) -> tuple[int, int] | None:
    """The translation (dx, dy) of the page content between two keyframes (gray pyramids):
    phase correlation at 1/4 resolution, refined at full resolution; None when the
    content did not move as a whole."""
    a, b = before[4].astype(np.float32), after[4].astype(np.float32)
    (sx, sy), response = cv2.phaseCorrelate(a, b)
    if response < SCROLL_RESPONSE or (abs(sx) < 0.5 and abs(sy) < 0.5):
        return None
    g0, g1 = before[1], after[1]
    H, W = g0.shape
    best: tuple[float, int, int] | None = None
    h4, w4 = a.shape
    aliases = [(x, y) for x in (sx, sx - w4, sx + w4) for y in (sy, sy - h4,
                                                                sy + h4) if abs(x) < w4 and abs(y) < h4]  # FFT shifts wrap
    candidates = {(int(round(x * 4)) + ddx, int(round(y * 4)) + ddy)
                  for x, y in aliases for ddy in range(-3, 4) for ddx in range(-3, 4)}
    for dx, dy in sorted(candidates):
        if abs(dy) >= H - 8 or abs(dx) >= W - 8:
            continue
        p0 = g0[max(0, -dy):H - max(0, dy):3, max(0, -dx):W - max(0, dx):3]
        p1 = g1[max(0, dy):H - max(0, -dy):3, max(0, dx):W - max(0, -dx):3]
        err = float(cv2.absdiff(p0, p1).mean())
        if best is None or err < best[0]:
            best = (err, dx, dy)
    return None if best is None or (best[1] == 0 and best[2] == 0) else (best[1], best[2])


def tint_fit(before: np.ndarray, after: np.ndarray) -> tuple[float, float] | None:
    """Fit after = g * before + o (one gain for all channels, an offset per channel), as a
    translucent layer in front (a modal's backdrop, a gradient over a hero) makes it.
    (g, mean absolute residual) in BGR levels; None when `before` has too little texture."""
    b = before.reshape(-1, 3).astype(np.float32)
    a = after.reshape(-1, 3).astype(np.float32)
    bc, ac = b - b.mean(axis=0), a - a.mean(axis=0)
    var = float((bc * bc).sum())
    if var < TINT_MIN_STD ** 2 * b.size:
        return None
    g = float((bc * ac).sum()) / var
    return g, float(np.abs(ac - g * bc).mean())


def only_tinted(before: np.ndarray, after: np.ndarray, box: PBox) -> bool:
    """The box shows the same picture as before, only dimmed or lightened by a layer in front."""
    H, W = before.shape[:2]
    x0, y0, x1, y1 = max(0, box.x), max(0, box.y), min(W, box.x + box.width), min(H, box.y + box.height)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return False
    fit = tint_fit(before[y0:y1, x0:x1], after[y0:y1, x0:x1])
    return fit is not None and MIN_TINT_GAIN <= fit[0] <= 1.0 / MIN_TINT_GAIN and fit[1] <= TINT_RESIDUAL
