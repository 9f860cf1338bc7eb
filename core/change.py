"""Change detection: which pixels differ between two images, with the threshold of each use named.

A pixel has changed when its largest channel difference exceeds the threshold (grey levels).
"""

from __future__ import annotations

import cv2
import numpy as np

from .geometry import PixelBox

SCREENSHOT_CHANGE = 12  # lossless browser screenshots: anything above anti-aliasing jitter
IMAGE_CHANGE = 16  # saved state images compared by the judge's scores and regions
VIDEO_CHANGE = 22  # decoded video frames: above H.264 noise, below any visible UI change
TEXT_CHANGE = 24  # frames an agent reads: a change worth reading the text again


def changed_mask(a: np.ndarray, b: np.ndarray, threshold: int) -> np.ndarray:
    """uint8 mask (1 = changed) of the pixels whose largest channel difference exceeds
    `threshold` (colour or grey images; b resized to a when the sizes differ)."""
    if a.shape != b.shape:
        b = cv2.resize(b, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA)
    diff = cv2.absdiff(a, b)
    lo = (0,) * (diff.shape[2] if diff.ndim == 3 else 1)
    hi = (threshold,) * len(lo)
    # all channels within the threshold -> 255; inRange is ~30x faster than diff.max(axis=2)
    return (cv2.inRange(diff, lo, hi) == 0).astype(np.uint8)


def changed_share(a: np.ndarray, b: np.ndarray, threshold: int) -> float:
    """The share of pixels of `a` that changed in `b` (0 for an empty image)."""
    mask = changed_mask(a, b, threshold)
    return float(mask.mean()) if mask.size else 0.0


def change_boxes(mask: np.ndarray, grow: tuple[int, int] = (0, 0), *, min_area: int = 1,
                 min_changed: int = 1) -> list[PixelBox]:
    """Boxes of the groups of changed pixels of `mask` (`changed_mask`), in label order: the
    mask is first grown by a (height, width) dilation so that nearby changes join; a group
    needs `min_area` pixels once grown and `min_changed` changed pixels of its own."""
    grown = cv2.dilate(mask, np.ones(grow, np.uint8)) if grow[0] > 0 and grow[1] > 0 else mask
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    boxes: list[PixelBox] = []
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if area < min_area:
            continue
        if min_changed > 1 and int(mask[y:y + h, x:x + w][labels[y:y + h, x:x + w] == i].sum()) < min_changed:
            continue
        boxes.append(PixelBox(x=x, y=y, width=w, height=h))
    return boxes
