"""Scrolls: the translation of page content between two stable states, verified by shifting."""

from __future__ import annotations

import cv2
import numpy as np

from ...core.change import VIDEO_CHANGE
from ...core.geometry import union_all
from .scan import Scan, StableRun
from .types import ChangeRegion


def _scroll(scan: Scan, a: StableRun, b: StableRun, regions: list[ChangeRegion]) -> tuple[float, float] | None:
    """Content translation (dx, dy in full-res px; positive dy = content moved up) or None
    (remembered per pair of runs, as `state_diff`)."""
    key = (a.first, a.last, b.first, b.last)
    if key not in scan.shifts:
        scan.shifts[key] = _shift(scan, a, b, regions)
    return scan.shifts[key]


def _shift(scan: Scan, a: StableRun, b: StableRun, regions: list[ChangeRegion]) -> tuple[float, float] | None:
    if not regions:
        return None
    union = union_all([r.box for r in regions])
    s = scan.scale
    x, y, w, h = (int(v * s) for v in union.as_tuple())
    if w < 24 or h < 24 or union.width * union.height < 0.02 * scan.info.width * scan.info.height:
        return None
    pa = cv2.cvtColor(a.small[y:y + h, x:x + w], cv2.COLOR_BGR2GRAY).astype(np.float32)
    pb = cv2.cvtColor(b.small[y:y + h, x:x + w], cv2.COLOR_BGR2GRAY).astype(np.float32)
    win = cv2.createHanningWindow((w, h), cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(pa, pb, win)
    if response < 0.15 or (abs(dx) < 2 and abs(dy) < 2):
        dx, dy = 0.0, float(_row_shift(pa, pb))
        if abs(dy) < 2:
            return None
    best: tuple[float, float, float] | None = None  # after/before error, dx, dy
    # phase correlation is periodic: a shift near half the window reads with either sign
    alternatives = [(dx, dy)] + ([(dx, dy - np.sign(dy) * h)] if abs(dy) > h / 4 else []) \
        + ([(dx - np.sign(dx) * w, dy)] if abs(dx) > w / 4 else [])
    for ax, ay in alternatives:
        for ey in range(-8, 9) if abs(ay) > h / 4 else (0,):  # a long shift is estimated less exactly
            err = _shift_error(pa, pb, int(round(ax)), int(round(ay)) + ey)
            if err is not None and (best is None or err < best[0]):
                best = (err, ax, ay + ey)
    if best is None or best[0] > 0.4:
        return None
    return (-best[1] / s, -best[2] / s)


def _shift_error(pa: np.ndarray, pb: np.ndarray, ix: int, iy: int) -> float | None:
    """Changed share after shifting pa by (ix, iy), over the changed share without it, on the
    overlap; None when they hardly overlap."""
    h, w = pa.shape
    if abs(iy) > 0.9 * h or abs(ix) > 0.9 * w:
        return None
    M = np.array([[1, 0, ix], [0, 1, iy]], dtype=np.float32)
    shifted = cv2.warpAffine(pa, M, (w, h), borderMode=cv2.BORDER_REPLICATE)
    m = np.zeros((h, w), bool)
    m[max(0, iy):h + min(0, iy), max(0, ix):w + min(0, ix)] = True
    before_err = float(np.mean(np.abs(pa - pb)[m] > VIDEO_CHANGE))
    after_err = float(np.mean(np.abs(shifted - pb)[m] > VIDEO_CHANGE))
    return after_err / before_err if before_err > 0 else None


def _row_shift(pa: np.ndarray, pb: np.ndarray) -> int:
    """Vertical shift of pb against pa from row profiles of horizontal edge energy."""
    sa = np.abs(np.diff(pa, axis=1)).mean(axis=1)
    sb = np.abs(np.diff(pb, axis=1)).mean(axis=1)
    h = len(sa)
    best, best_err = 0, float("inf")
    for dy in range(-int(h * 0.8), int(h * 0.8) + 1):
        a = sa[max(0, -dy): h - max(0, dy)]
        b = sb[max(0, dy): h - max(0, -dy)]
        if len(a) < max(8, h // 5):
            continue
        err = float(np.mean(np.abs(a - b))) + (0.5 if dy == 0 else 0.0) * 0
        if err < best_err:
            best, best_err = dy, err
    return best
