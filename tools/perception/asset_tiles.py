"""Tiled backgrounds: sightings of one asset on a gapless lattice merged into one box, and
a direct search for faint patterns repeated at their own size (CSS background-repeat)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import cv2
import numpy as np

from .types import AssetMatch, PBox

if TYPE_CHECKING:
    from .asset_load import LoadedAsset

TILE_SPACING = 1.2  # lattice spacing / tile size up to which sightings count as one tiled background
TILE_TOLERANCE = 6.0  # mean absolute BGR error of a cell of a faint tiled background
TILE_EXPLAINED = 0.7  # the pattern must explain a cell better than its flat mean colour does


def tiled_background(asset: LoadedAsset, frame: np.ndarray, levels: dict[int, np.ndarray], keyframe: int) -> AssetMatch | None:
    """An opaque picture repeated at its own size (CSS background-repeat): the lattice
    phase from the best placement, then each lattice cell compared with the picture;
    the box of the largest connected group of agreeing cells (panels in front split it)."""
    th, tw = asset.bgr.shape[:2]
    H, W = frame.shape[:2]
    if 3 * tw > W or 3 * th > H:
        return None
    small = cv2.cvtColor(cv2.resize(asset.bgr, (max(1, tw // 2), max(1, th // 2)), interpolation=cv2.INTER_AREA),
                         cv2.COLOR_BGR2GRAY)
    res = cv2.matchTemplate(levels[2], small, cv2.TM_SQDIFF)
    _, _, (lx, ly), _ = cv2.minMaxLoc(res)
    best: tuple[float, int, int] | None = None
    for y in range(max(0, 2 * ly - 2), min(H - th, 2 * ly + 2) + 1):  # the exact phase at full resolution
        for x in range(max(0, 2 * lx - 2), min(W - tw, 2 * lx + 2) + 1):
            e = float(cv2.absdiff(frame[y:y + th, x:x + tw], asset.bgr).mean())
            if best is None or e < best[0]:
                best = (e, x, y)
    if best is None:
        return None
    px, py = best[1] % tw, best[2] % th
    reps = ((H + th) // th + 1, (W + tw) // tw + 1)
    tiled = np.tile(asset.bgr, (reps[0], reps[1], 1))[th - py:th - py + H, tw - px:tw - px + W]
    half = frame[::2, ::2]  # cell means barely change at half resolution
    err = cv2.resize(cv2.absdiff(half, np.ascontiguousarray(tiled[::2, ::2])).mean(axis=2), (W, H),
                     interpolation=cv2.INTER_NEAREST)
    mean = np.full_like(half, [int(round(v)) for v in asset.bgr.reshape(-1, 3).mean(axis=0)])
    flat = cv2.resize(cv2.absdiff(half, mean).mean(axis=2), (W, H), interpolation=cv2.INTER_NEAREST)
    xs = [0, *range(px, W, tw), W] if px else [*range(0, W, tw), W]
    ys = [0, *range(py, H, th), H] if py else [*range(0, H, th), H]
    good = np.zeros((len(ys) - 1, len(xs) - 1), np.uint8)
    for i, (y0, y1) in enumerate(itertools.pairwise(ys)):
        for j, (x0, x1) in enumerate(itertools.pairwise(xs)):
            if y1 - y0 < th // 2 or x1 - x0 < tw // 2:
                continue
            e, f = float(err[y0:y1, x0:x1].mean()), float(flat[y0:y1, x0:x1].mean())
            good[i, j] = e <= TILE_TOLERANCE and e < TILE_EXPLAINED * f
    n, labels, stats, _ = cv2.connectedComponentsWithStats(good, connectivity=8)
    if n < 2:
        return None
    big = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    rows, cols = np.nonzero(labels == big)
    if len(rows) < 4 or len(set(rows.tolist())) < 2 or len(set(cols.tolist())) < 2:
        return None
    x0, x1, y0, y1 = xs[cols.min()], xs[cols.max() + 1], ys[rows.min()], ys[rows.max() + 1]
    return AssetMatch(asset=asset.name, keyframe=keyframe,
                      box=PBox(x=int(x0), y=int(y0), width=int(x1 - x0), height=int(y1 - y0)),
                      scale=1.0, confidence=round(1.0 - best[0] / 255.0, 3), method="tiled")


def _lattice_period(values: list[int], size: int) -> int | None:
    """The most common spacing between neighbouring values, when it is about one tile
    size (a few stray sightings off the lattice do not change it)."""
    vs = sorted(set(values))
    gaps = [b - a for a, b in itertools.pairwise(vs) if b - a > size // 3]
    if not gaps:
        return None
    p = max(gaps, key=lambda g: (sum(abs(g - o) <= 2 for o in gaps), -g))
    return p if 0.8 * size <= p <= TILE_SPACING * size else None


def _on_lattice(d: int, period: int | None, tol: int = 3) -> bool:
    if period is None:
        return abs(d) <= tol
    r = abs(d) % period
    return min(r, period - r) <= tol


def _on_lattice_of(same: list[AssetMatch], anchor: AssetMatch, px: int | None, py: int | None) -> list[AssetMatch]:
    """The sightings on the lattice through `anchor` with periods (px, py)."""
    return [m for m in same if _on_lattice(m.box.x - anchor.box.x, px) and _on_lattice(m.box.y - anchor.box.y, py)]


def merge_tiles(matches: list[AssetMatch], min_tiles: int = 4) -> list[AssetMatch]:
    """Equal-size sightings of one asset on a gapless 2-D lattice (a tiled CSS background)
    become one box: their union, even when panels in front hide some tiles. A single row
    (a star rating, a toolbar) stays separate icons."""
    out: list[AssetMatch] = []
    groups: dict[tuple[str, int], list[AssetMatch]] = {}
    for m in matches:
        groups.setdefault((m.asset, m.keyframe), []).append(m)
    for group in groups.values():
        if len(group) < min_tiles:
            out.extend(group)
            continue
        w = int(np.median([m.box.width for m in group]))
        h = int(np.median([m.box.height for m in group]))
        same = [m for m in group if abs(m.box.width - w) <= max(2, 0.1 * w) and abs(m.box.height - h) <= max(2, 0.1 * h)]
        gapless = max((_on_grid(same, a, w, h) for a in same), key=len, default=[])  # tiles repeat at their size
        if len({m.box.x for m in gapless}) >= 2 and len({m.box.y for m in gapless}) >= 2:
            same = gapless
        px = _lattice_period([m.box.x for m in same], w)
        py = _lattice_period([m.box.y for m in same], h)
        if len(same) < min_tiles or px is None or py is None:  # a background tiles in 2-D
            out.extend(group)
            continue
        tiles = max((_on_lattice_of(same, a, px, py) for a in same), key=len)  # the lattice most sightings sit on
        if len(tiles) < min_tiles:
            out.extend(group)
            continue
        out.extend(m for m in group if m not in tiles)
        bx0, by0 = min(m.box.x for m in tiles), min(m.box.y for m in tiles)
        bx1 = max(m.box.x + (px or m.box.width) for m in tiles)
        by1 = max(m.box.y + (py or m.box.height) for m in tiles)
        best = max(tiles, key=lambda m: m.confidence)
        out.append(best.model_copy(update={"box": PBox(x=bx0, y=by0, width=bx1 - bx0, height=by1 - by0), "method": "tiled"}))
    return out


def _on_grid(matches: list[AssetMatch], anchor: AssetMatch, w: int, h: int) -> list[AssetMatch]:
    """Sightings on the gapless grid of cell w x h through `anchor`."""
    return [m for m in matches if _on_lattice(m.box.x - anchor.box.x, w) and _on_lattice(m.box.y - anchor.box.y, h)]


def inside_tiled(matches: list[AssetMatch]) -> list[AssetMatch]:
    """Drop sightings lying inside a tiled background of the same asset."""
    tiled = [m for m in matches if m.method == "tiled"]
    out = []
    for m in matches:
        if m.method != "tiled" and any(t.asset == m.asset and within(m.box, t.box) for t in tiled):
            continue
        out.append(m)
    return out


def within(a: PBox, b: PBox, slack: int = 4) -> bool:
    return a.x >= b.x - slack and a.y >= b.y - slack and a.x + a.width <= b.x + b.width + slack and a.y + a.height <= b.y + b.height + slack
