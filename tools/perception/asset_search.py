"""The search of one recording's keyframes for assets, one asset after another: sightings carried
over where the pixels were shown before, fresh searches where they are new. Runs in this
process and in the child process (`asset_worker`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from .asset_correlation import pyramid
from .asset_load import LoadedAsset
from .asset_matcher import MAX_ICON, MIN_ICON, AssetMatcher, nms
from .asset_sources import Basis, Focus, carry_over, search_rects
from .asset_tiles import tiled_background, within
from .types import AssetMatch, PBox


@dataclass
class SearchResult:
    """Fresh and carried sightings per keyframe of the assets searched, and the seconds
    each asset took (to share the next search out evenly)."""

    found: dict[int, list[AssetMatch]]
    seconds: dict[str, float]


def search_assets(assets: list[LoadedAsset], frames: list[np.ndarray], bases: list[Basis],
                  seed: dict[int, list[AssetMatch]] | None = None) -> SearchResult:
    """Sightings of each asset per keyframe (see `Searcher`)."""
    return Searcher(frames, bases, seed).run(assets)


class Searcher:
    """Searches assets in the keyframes of one recording, one asset after another.

    Each asset's sightings are carried over from a keyframe's sources where they show it
    unchanged, and searched afresh in its novel regions (and around carried sightings
    that border them). Tiled backgrounds are searched over the whole frame. `seed`:
    sightings of all assets in keyframe 0, already searched.
    """

    def __init__(self, frames: list[np.ndarray], bases: list[Basis], seed: dict[int, list[AssetMatch]] | None = None,
                 levels: list[dict[int, np.ndarray]] | None = None) -> None:
        self.frames, self.bases, self.seed = frames, bases, seed
        self.H, self.W = frames[0].shape[:2] if frames else (0, 0)
        self.matcher = AssetMatcher((self.W, self.H))
        self.levels = levels if levels is not None else [pyramid(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)) for f in frames]
        self._proposals: dict[tuple[int, PBox], list[PBox]] = {}
        self._regions: dict[int, tuple[list[PBox], Focus]] = {}  # per keyframe, shared by the assets

    def run(self, assets: list[LoadedAsset]) -> SearchResult:
        out: dict[int, list[AssetMatch]] = {}
        seconds: dict[str, float] = {}
        for asset in assets:
            started = time.perf_counter()
            for k, found in self._chain(asset).items():
                out.setdefault(k, []).extend(found)
            seconds[asset.name] = time.perf_counter() - started
        return SearchResult(out, seconds)

    def _chain(self, asset: LoadedAsset) -> dict[int, list[AssetMatch]]:
        chain: dict[int, list[AssetMatch]] = {}
        for k, basis in enumerate(self.bases):
            if k == 0 and self.seed is not None:
                chain[0] = [m for m in self.seed.get(0, []) if m.asset == asset.name]
                continue
            carried, again = carry_over(chain, basis, k, self.frames, MIN_ICON)
            if asset.low_texture:  # a faint pattern: only a repeated background is evidence
                tiled = tiled_background(asset, self.frames[k], self.levels[k], k) if basis.novel else None
                fresh = [tiled] if tiled is not None else []
            else:
                rects, focus = self._where(k, again)
                fresh = [m for rect in rects for m in self._search(asset, k, rect, focus)]
            fresh = nms(fresh, 0.3)
            carried = [c for c in carried if not any(within(c.box, m.box) for m in fresh)]  # seen whole again
            chain[k] = nms(fresh + carried, 0.5)
        return chain

    def _where(self, k: int, again: list[PBox]) -> tuple[list[PBox], Focus]:
        """Rectangles to search in keyframe k and the boxes a sighting must overlap."""
        novel = self.bases[k].novel
        if k not in self._regions:
            self._regions[k] = (search_rects(novel, self.W, self.H), Focus(novel, self.W, self.H))
        rects, focus = self._regions[k]
        if again:
            return search_rects([*rects, *again], self.W, self.H), Focus([*novel, *again], self.W, self.H)
        return rects, focus

    def _search(self, asset: LoadedAsset, k: int, rect: PBox, focus: Focus) -> list[AssetMatch]:
        found = self.matcher.match(asset, self.frames[k], self.levels[k], rect, k, focus)
        if min(asset.size) <= MAX_ICON:
            if (k, rect) not in self._proposals:
                self._proposals[k, rect] = icon_proposals(self.levels[k][1], rect)
            blobs = self._proposals[k, rect]
            found += self.matcher.match_icons(asset, self.frames[k], self.levels[k][1],
                                              [b for b, hit in zip(blobs, focus.hits(blobs), strict=True) if hit], k)
        return found


def icon_proposals(gray: np.ndarray, rect: PBox) -> list[PBox]:
    """Boxes of small isolated blobs of detail (icons sit on flatter backgrounds)."""
    rx, ry, rw, rh = rect.as_tuple()
    roi = gray[ry:ry + rh, rx:rx + rw]
    grad = cv2.morphologyEx(roi, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    edges = (grad > 18).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, h, _ = (int(v) for v in stats[i])
        if MIN_ICON + 2 <= w <= MAX_ICON and MIN_ICON + 2 <= h <= MAX_ICON:
            out.append(PBox(x=rx + x + 1, y=ry + y + 1, width=w - 2, height=h - 2))  # the gradient widens blobs by 1 px
    return out
