"""Normalised cross-correlation over search regions and image pyramids."""

from __future__ import annotations

import cv2
import numpy as np


def correlation_peaks(res: np.ndarray, threshold: float, limit: int, radius: tuple[int, int]) -> list[tuple[float, int, int]]:
    """Local maxima above threshold, greedy with suppression."""
    res = res.copy()
    out = []
    rw, rh = max(1, radius[0]), max(1, radius[1])
    for _ in range(limit):
        _, score, _, (x, y) = cv2.minMaxLoc(res)
        if score < threshold:
            break
        out.append((float(score), x, y))
        res[max(0, y - rh):y + rh + 1, max(0, x - rw):x + rw + 1] = -1.0
    return out


def match_ncc(image: np.ndarray, tpl: np.ndarray, mask: np.ndarray | None, textured: bool | None = None) -> np.ndarray:
    """Normalised cross-correlation; with a mask only when the masked part has texture
    (`textured` when the caller knows)."""
    if mask is not None and (textured if textured is not None else float(tpl[mask > 0].std()) >= 2.0):
        res = cv2.matchTemplate(image, tpl, cv2.TM_CCOEFF_NORMED, mask=mask)
    else:
        res = cv2.matchTemplate(image, tpl, cv2.TM_CCOEFF_NORMED)
    res[~np.isfinite(res)] = -1.0
    return res


class SearchRegion:
    """A gray search region with the mean and spread of its windows of each template size,
    so a normalised cross-correlation (TM_CCOEFF_NORMED) costs one plain correlation.
    The statistics kept by all regions sharing `budget` ([bytes left]) stay within it;
    past it, OpenCV normalises each correlation itself (slower, same scores)."""

    def __init__(self, pixels: np.ndarray, budget: list[int]) -> None:
        self.pixels = pixels
        self._budget = budget
        self._sums: tuple[np.ndarray, np.ndarray] | None = None
        self._windows: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def _window_stats(self, th: int, tw: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Per window position: the sum of its pixels, and 1 / its spread (sqrt of n times
        the variance; 0 where the window is flat, which then scores 0 as in OpenCV)."""
        if (th, tw) not in self._windows:
            positions = (self.pixels.shape[0] - th + 1) * (self.pixels.shape[1] - tw + 1)
            if self._budget[0] < 8 * positions + (0 if self._sums else 16 * self.pixels.size):
                return None
            if self._sums is None:
                self._sums = cv2.integral2(self.pixels, sdepth=cv2.CV_64F)
                self._budget[0] -= 16 * self.pixels.size
            self._budget[0] -= 8 * positions
            n = th * tw
            s1, s2 = self._sums
            w1 = s1[th:, tw:] - s1[:-th, tw:] - s1[th:, :-tw] + s1[:-th, :-tw]
            w2 = s2[th:, tw:] - s2[:-th, tw:] - s2[th:, :-tw] + s2[:-th, :-tw]
            var = w2 - w1 * w1 / n
            inv = np.zeros(var.shape, np.float32)
            np.divide(1.0, np.sqrt(var, where=var > 0.01 * n, out=np.zeros_like(var)), out=inv, where=var > 0.01 * n,
                      casting="unsafe")
            self._windows[th, tw] = (w1.astype(np.float32), inv)
        return self._windows[th, tw]

    def ncc(self, tpl: np.ndarray) -> np.ndarray:
        """Equal to cv2.matchTemplate(pixels, tpl, TM_CCOEFF_NORMED) for a textured template."""
        th, tw = tpl.shape
        stats = self._window_stats(th, tw)
        if stats is None:
            return match_ncc(self.pixels, tpl, None)
        w1, inv = stats
        t = tpl.astype(np.float32)
        mean = float(t.mean())
        norm = float(np.sqrt(((t - mean) ** 2).sum()))
        corr = cv2.matchTemplate(self.pixels, tpl, cv2.TM_CCORR)
        return cv2.multiply(cv2.scaleAdd(w1, -mean, corr), inv, scale=1.0 / max(norm, 1e-6))


def pyramid(gray: np.ndarray) -> dict[int, np.ndarray]:
    """Copies at full, 1/2, 1/4 and 1/8 resolution, keyed by the reduction factor."""
    out = {1: gray}
    for level in (2, 4, 8):
        prev = out[level // 2]
        out[level] = cv2.resize(prev, (max(1, prev.shape[1] // 2), max(1, prev.shape[0] // 2)), interpolation=cv2.INTER_AREA)
    return out
