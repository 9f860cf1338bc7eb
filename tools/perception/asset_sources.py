"""Where each keyframe's pixels were shown before, so that asset sightings carry over and
only what is new is searched: the previous keyframe where nothing changed, any earlier
keyframe (a state shown again: a tab switched back, a dialog closed) and the previous
keyframe moved by the page's scroll (the part scrolled into view is new)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ...core.change import VIDEO_CHANGE, changed_share
from .asset_motion import only_tinted, scroll_shift
from .scan import WORK_WIDTH, strong_diff_blobs
from .types import AssetMatch, PBox

MOSTLY_CHANGED = 0.9  # share of an area that differs above which it no longer shows what it showed
REVEAL_MARGIN = 96  # px of a scrolled page next to the part scrolled into view that are searched again
REVISITS = 3  # earlier keyframes (the most alike) compared with each keyframe besides the previous one
BORDER = 2  # px: a carried sighting this close to a new region may extend into it
FOCUS_CELL = 4  # px: the grain of a `Focus`
SEARCH_PAD = 24  # px added around a region to search (a picture's edge may equal the page it replaced) ...
PAD_SHARE = 0.25  # ... up to this share of the region's smaller side ...
MIN_SEARCH_PAD = 8  # ... and at least this (a small change is text or an icon, not the middle of a picture)
SEARCH_OVERHEAD = 30000  # px: one more search costs about as much as searching this much more area


@dataclass(frozen=True)
class Source:
    """An earlier keyframe that shows part of this one, moved by `shift` (dx, dy)."""

    keyframe: int
    shift: tuple[int, int]
    changed: tuple[PBox, ...]  # where this keyframe differs from the moved source (parts scrolled into view included)
    # unchanged, but searched again: next to what scrolled into view, a picture clipped before may show whole
    unsure: tuple[PBox, ...] = ()


@dataclass(frozen=True)
class Basis:
    """What a keyframe shares with earlier ones, and what it shows for the first time."""

    sources: tuple[Source, ...]
    novel: tuple[PBox, ...]  # shown by no source: searched afresh


def plan_bases(levels: list[dict[int, np.ndarray]], changed: list[list[PBox] | None]) -> list[Basis]:
    """A basis per keyframe from their gray pyramids. `changed[k]`: where keyframe k differs
    from k-1, as the scan saw it with the pointer masked out (None: unknown)."""
    if not levels:
        return []
    H, W = levels[0][1].shape
    whole = (PBox(x=0, y=0, width=W, height=H),)
    bases = [Basis((), whole)]
    for k in range(1, len(levels)):
        sources: list[Source] = []
        if changed[k] is not None:
            sources.append(Source(k - 1, (0, 0), tuple(changed[k] or ())))
        shift = scroll_shift(levels[k - 1], levels[k])
        if shift is not None:
            sources.append(Source(k - 1, shift, _changed(levels[k - 1][1], levels[k][1], shift), _beside_revealed(shift, W, H)))
        differ = {j: changed_share(levels[j][8], levels[k][8], VIDEO_CHANGE) for j in range(k - 1)}
        revisits = sorted((j for j in differ if differ[j] <= MOSTLY_CHANGED), key=lambda j: (differ[j], -j))[:REVISITS]
        sources.extend(Source(j, (0, 0), _changed(levels[j][1], levels[k][1], (0, 0))) for j in revisits)  # states shown again
        bases.append(Basis(tuple(sources), _novel(sources, W, H) if sources else whole))
    return bases


def carry_over(chain: dict[int, list[AssetMatch]], basis: Basis, k: int, frames: list[np.ndarray],
               min_side: int) -> tuple[list[AssetMatch], list[PBox]]:
    """Sightings of one asset in its sources that keyframe k shows unchanged (moved by the
    scroll, clipped to the viewport, at least `min_side` px shown; a translucent layer in
    front still shows the picture). Also the boxes to search again: sightings that border
    a new region (a picture partly scrolled into view) or that changed only in part (a
    sticky header or a panel now over part of a picture)."""
    H, W = frames[k].shape[:2]
    out: list[AssetMatch] = []
    partly: list[PBox] = []  # changed in part since their source: looked at again, unless another source shows them unchanged
    border: list[PBox] = []  # carried, next to a new region: they may extend into it
    for src in basis.sources:
        for m in chain.get(src.keyframe, []):
            box = _moved(m.box, src.shift, W, H)
            if box is None or box.width < min_side or box.height < min_side:
                continue
            if any(o.box.iou(box) >= 0.5 for o in out):
                continue  # carried from another source already
            hit = [c for c in src.changed if box.overlaps(c)]
            if hit and sum(_overlap(box, c) for c in hit) < MOSTLY_CHANGED * box.area:
                partly.append(box)
                continue
            if hit and not (src.keyframe == k - 1 and src.shift == (0, 0) and only_tinted(frames[k - 1], frames[k], box)):
                continue
            out.append(m.model_copy(update={"keyframe": k, "box": box}))
            grown = PBox(x=box.x - BORDER, y=box.y - BORDER, width=box.width + 2 * BORDER, height=box.height + 2 * BORDER)
            if any(grown.overlaps(r) for r in basis.novel):
                border.append(box)
    return out, border + [b for b in partly if not any(o.box.iou(b) >= 0.5 for o in out)]


def search_rects(boxes: Sequence[PBox], W: int, H: int) -> list[PBox]:
    """Regions to search: the boxes padded (by a quarter of their smaller side, 8 to 24 px),
    then the pair whose union costs least over two separate searches merged, while
    merging saves work."""
    pads = [int(np.clip(min(b.width, b.height) * PAD_SHARE, MIN_SEARCH_PAD, SEARCH_PAD)) for b in boxes]
    r = np.array([(max(0, b.x - p), max(0, b.y - p), min(W, b.right + p), min(H, b.bottom + p))
                  for b, p in zip(boxes, pads, strict=True)], np.int64).reshape(-1, 4)
    while len(r) > 1:
        x0, y0 = np.minimum.outer(r[:, 0], r[:, 0]), np.minimum.outer(r[:, 1], r[:, 1])
        x1, y1 = np.maximum.outer(r[:, 2], r[:, 2]), np.maximum.outer(r[:, 3], r[:, 3])
        area = (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])
        saving = area[:, None] + area[None, :] + SEARCH_OVERHEAD - (x1 - x0) * (y1 - y0)
        np.fill_diagonal(saving, -1)
        i, j = np.unravel_index(int(np.argmax(saving)), saving.shape)
        if saving[i, j] < 0:
            break
        r[i] = (x0[i, j], y0[i, j], x1[i, j], y1[i, j])
        r = np.delete(r, j, axis=0)
    return [PBox(x=int(a), y=int(b), width=int(c - a), height=int(d - b)) for a, b, c, d in r]


def _changed(before: np.ndarray, after: np.ndarray, shift: tuple[int, int]) -> tuple[PBox, ...]:
    """Boxes where `after` differs from `before` moved by shift (full-res gray images),
    found at the scan's working scale with its noise rules; parts not covered by the
    moved image count as changed."""
    H, W = after.shape
    dx, dy = shift
    diff: np.ndarray = np.full((H, W), 255, np.uint8)
    x0, x1, y0, y1 = max(0, dx), min(W, W + dx), max(0, dy), min(H, H + dy)
    if x0 < x1 and y0 < y1:
        diff[y0:y1, x0:x1] = cv2.absdiff(after[y0:y1, x0:x1], before[y0 - dy:y1 - dy, x0 - dx:x1 - dx])
    f = _factor(W)
    if f > 1:  # the strongest difference of each cell: no change is averaged away
        diff = cv2.dilate(diff, np.ones((f, f), np.uint8), anchor=(0, 0))[::f, ::f]
    return tuple(PBox(x=x * f, y=y * f, width=min(W - x * f, w * f), height=min(H - y * f, h * f))
                 for x, y, w, h, _ in strong_diff_blobs(diff))


def _beside_revealed(shift: tuple[int, int], W: int, H: int) -> tuple[PBox, ...]:
    """The bands of a scrolled keyframe, REVEAL_MARGIN wide, next to the parts that scrolled into view."""
    dx, dy = shift
    m = REVEAL_MARGIN
    bands = []
    if dy < 0:
        bands.append(PBox(x=0, y=max(0, H + dy - m), width=W, height=min(H, m)))
    elif dy > 0:
        bands.append(PBox(x=0, y=dy, width=W, height=min(H - dy, m)))
    if dx < 0:
        bands.append(PBox(x=max(0, W + dx - m), y=0, width=min(W, m), height=H))
    elif dx > 0:
        bands.append(PBox(x=dx, y=0, width=min(W - dx, m), height=H))
    return tuple(b for b in bands if b.width > 0 and b.height > 0)


def _novel(sources: list[Source], W: int, H: int) -> tuple[PBox, ...]:
    """Boxes that every source has changed (at the working scale)."""
    f = _factor(W)
    h, w = -(-H // f), -(-W // f)
    novel = np.ones((h, w), np.uint8)
    for src in sources:
        mask = np.zeros_like(novel)
        for b in src.changed + src.unsure:
            x, y, bw, bh = b.as_tuple()
            mask[y // f:-(-(y + bh) // f), x // f:-(-(x + bw) // f)] = 1
        novel &= mask
    n, _, stats, _ = cv2.connectedComponentsWithStats(novel, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, bw, bh, _ = (int(v) for v in stats[i])
        out.append(PBox(x=x * f, y=y * f, width=min(W - x * f, bw * f), height=min(H - y * f, bh * f)))
    return tuple(out)


def _factor(W: int) -> int:
    """Integer reduction of full-res px to (about) the scan's working scale."""
    return max(1, W // WORK_WIDTH)


def _moved(box: PBox, shift: tuple[int, int], W: int, H: int) -> PBox | None:
    """The box moved by shift and clipped to the viewport (None when nothing is left)."""
    x0, y0 = max(0, box.x + shift[0]), max(0, box.y + shift[1])
    x1, y1 = min(W, box.x + box.width + shift[0]), min(H, box.y + box.height + shift[1])
    if x1 <= x0 or y1 <= y0:
        return None
    if (x0, y0, x1 - x0, y1 - y0) == box.as_tuple():
        return box
    return PBox(x=x0, y=y0, width=x1 - x0, height=y1 - y0)


def _overlap(box: PBox, rect: PBox) -> int:
    """The area the two boxes share."""
    return max(0, min(box.right, rect.right) - max(box.x, rect.x)) * max(0, min(box.bottom, rect.bottom) - max(box.y, rect.y))


class Focus:
    """Where to look: a union of boxes, rasterised at 1/FOCUS_CELL scale (grown to whole
    cells) with an integral image, so any box is tested against all of them at once."""

    def __init__(self, boxes: Sequence[PBox], W: int, H: int) -> None:
        c = FOCUS_CELL
        mask = np.zeros((-(-H // c), -(-W // c)), np.uint8)
        for b in boxes:
            x, y, w, h = b.as_tuple()
            mask[max(0, y // c):-(-(y + h) // c), max(0, x // c):-(-(x + w) // c)] = 1
        self._sums = cv2.integral(mask)

    def hits(self, boxes: Sequence[PBox]) -> list[bool]:
        """For each box: does it overlap the focus?"""
        return self.hits_array(np.array([b.as_tuple() for b in boxes], np.int64))

    def hits_array(self, boxes: np.ndarray) -> list[bool]:
        """`hits` of boxes given as rows (x, y, w, h) of an integer array."""
        if not len(boxes):
            return []
        c = FOCUS_CELL
        b = np.asarray(boxes, np.int64).reshape(-1, 4)
        rows, cols = self._sums.shape[0] - 1, self._sums.shape[1] - 1
        x0, y0 = np.clip(b[:, 0] // c, 0, cols), np.clip(b[:, 1] // c, 0, rows)
        x1, y1 = np.clip(-(-(b[:, 0] + b[:, 2]) // c), 0, cols), np.clip(-(-(b[:, 1] + b[:, 3]) // c), 0, rows)
        s = self._sums
        return list((s[y1, x1] - s[y0, x1] - s[y1, x0] + s[y0, x0]) > 0)

