"""Where each asset file appears in the keyframes: coarse-to-fine multi-scale matching.

Coarse: normalised cross-correlation of the gray asset (transparent pixels filled with
its mean) against a 1/2, 1/4 or 1/8 copy of the search area, over a geometric ladder of
display sizes; a mean-colour test drops most candidates cheaply. Fine: the scale is
climbed at half the coarse resolution, the place found at full resolution, and the
colours verified pixel by pixel (a transparent icon, composited over the page next to
it, must reproduce the pixels far better than the bare page does). Transparent assets are
scaled whole, as the browser does, then cut to their drawn part. Small icons are also
tried at every whole-pixel size near that of isolated blobs (the icon or its badge).
Large pictures are matched by central bands too (CSS object-fit / background cropping),
their box grown to the part of the picture that shows; a picture behind a translucent
layer (a gradient over a hero) is verified through a fitted tint. A nearly uniform
picture only counts as a background tiled at its own size. Keyframes after the first
are searched only where no earlier keyframe showed the same pixels; elsewhere sightings
carry over, also where only a translucent layer (a modal's backdrop) came in front, or
moved by the page's scroll (clipped to the viewport; `asset_sources`, `asset_motion`).
Tiled backgrounds are in `asset_tiles`, the cells of sprite sheets in `asset_sprites`. A
child process (`asset_worker`) searches the first keyframe while the video is still being
decoded, then shares the other searches.

Modules: `asset_load` (files), `asset_template` (scaled templates), `asset_correlation`
(NCC), `asset_verify` (colour checks), `asset_matcher` (one asset in one keyframe),
`asset_search` (all keyframes, in either process); this one runs a recording's search.
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path

import cv2
import numpy as np

from .asset_correlation import SearchRegion, pyramid
from .asset_load import LoadedAsset, load_asset
from .asset_matcher import AssetMatcher, nms
from .asset_search import Searcher, SearchResult, search_assets
from .asset_sources import Basis, plan_bases
from .asset_sprites import SpriteFinder
from .asset_tiles import inside_tiled, merge_tiles
from .asset_worker import AssetWorker
from .types import AssetMatch, AssetReport, PBox

__all__ = ["AssetMatcher", "AssetSearch", "LoadedAsset", "SearchRegion", "SearchResult", "Searcher", "load_asset", "match_assets",
           "pyramid", "search_assets"]

SAME_PLACE_AREA_RATIO = 4.0  # boxes of two assets this close in area compete for one place
SAME_PLACE_OVERLAP = 0.6  # share of the smaller box covered by the larger one


class AssetSearch:
    """Asset matching for one recording, begun before its keyframes are known.

    The first keyframe is the page's first stable state: `first_state` hands it to the
    child process as soon as the video scan has seen it, so it is searched while the rest
    of the video is being decoded. `finish` searches the other keyframes: this process
    and the child take the assets one at a time, the slowest on the first keyframe first.
    """

    def __init__(self, asset_paths: list[Path], workers: int = 2, worker: AssetWorker | None = None) -> None:
        self.reports: list[AssetReport] = []
        self.assets: list[LoadedAsset] = []
        for p in asset_paths:
            a = load_asset(p)
            if isinstance(a, str):
                self.reports.append(AssetReport(asset=p.name, readable=False, error=a))
            else:
                self.assets.append(a)
                self.reports.append(AssetReport(asset=p.name, width=a.size[0], height=a.size[1]))
        split = workers >= 2 and len(self.assets) >= 2
        if worker is not None and not split:
            worker.close()  # nothing to share
        self.worker = (worker or AssetWorker()) if split else None
        self._first: np.ndarray | None = None

    def first_state(self, image: np.ndarray) -> None:
        """The page's first stable frame (keyframe 0): searched now by the child process."""
        if self.worker is not None and self._first is None:
            self._first = image
            H, W = image.shape[:2]
            self.worker.submit(self.assets, [image], [Basis((), (PBox(x=0, y=0, width=W, height=H),))])

    def finish(self, frames: list[np.ndarray], changed: list[list[PBox] | None]) -> list[AssetReport]:
        """Sightings of every asset in every keyframe (see `match_assets`)."""
        try:
            if frames and self.assets:
                self._collect(frames, changed)
            return self.reports
        finally:
            self.close()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()

    def _collect(self, frames: list[np.ndarray], changed: list[list[PBox] | None]) -> None:
        levels = [pyramid(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)) for f in frames]
        found = self._search(frames, plan_bases(levels, changed), levels)
        sprites = SpriteFinder(self.assets)
        if sprites:  # the cells of sprite sheets, which the whole-file search cannot find
            for k, frame in enumerate(frames):
                found.setdefault(k, []).extend(sprites.find(frame, k))
        low_texture = {a.name for a in self.assets if a.low_texture}
        by_name: dict[str, list[AssetMatch]] = {a.name: [] for a in self.assets}
        for k in range(len(frames)):
            candidates = sorted(found.get(k, []),
                                key=lambda m: (m.asset, m.box.as_tuple()))  # the same order however the search was split
            current = inside_tiled(merge_tiles(nms(_across_assets(candidates), 0.5)))
            for m in current:
                if m.method == "tiled" or m.asset not in low_texture:
                    by_name[m.asset].append(m)
        for r in self.reports:
            if r.readable:
                r.matches = by_name.get(r.asset, [])

    def _search(self, frames: list[np.ndarray], bases: list[Basis],
                levels: list[dict[int, np.ndarray]]) -> dict[int, list[AssetMatch]]:
        """`search_assets` over all keyframes, shared with the child when there is one
        (the result does not depend on the split)."""
        if self.worker is None:
            return Searcher(frames, bases, levels=levels).run(self.assets).found
        if self._first is None:  # the scan did not report its first state
            self.first_state(frames[0])
        first = self.worker.result()
        seed = {0: first.found.get(0, [])}
        todo = deque(sorted(self.assets, key=lambda a: (-first.seconds.get(a.name, 0.0), a.name)))  # the longest first
        lock = threading.Lock()
        results: list[SearchResult] = []

        def next_asset() -> LoadedAsset | None:
            with lock:
                return todo.popleft() if todo else None

        failed: list[BaseException] = []

        worker = self.worker  # not None (above); the closure below needs it as a local

        def feed_worker() -> None:  # one asset at a time: both processes finish at about the same time
            first_request = True
            try:
                while (asset := next_asset()) is not None:
                    if first_request:
                        worker.submit([asset], frames, bases, seed)
                        first_request = False
                    else:
                        worker.submit([asset])
                    results.append(worker.result())
            except BaseException as e:  # noqa: BLE001 - raised again below, not lost with the thread
                failed.append(e)

        feeder = threading.Thread(target=feed_worker, daemon=True)
        feeder.start()
        searcher = Searcher(frames, bases, seed, levels=levels)
        while (asset := next_asset()) is not None:
            results.append(searcher.run([asset]))
        feeder.join()
        if failed:
            raise failed[0]
        out: dict[int, list[AssetMatch]] = {}
        for r in results:
            for k, found in r.found.items():
                out.setdefault(k, []).extend(found)
        return out


def match_assets(asset_paths: list[Path], frames: list[np.ndarray], changed: list[list[PBox] | None],
                 workers: int = 2, worker: AssetWorker | None = None) -> list[AssetReport]:
    """Sightings of every asset in every keyframe.

    `changed[k]` lists the rectangles of keyframe k that differ from keyframe k-1 (None:
    unknown). Each keyframe is searched only where no earlier keyframe showed the same
    pixels (`asset_sources`); elsewhere sightings carry over. With `workers` >= 2 a child
    process searches part of the assets (much of the search is Python between OpenCV
    calls: threads would share one core); pass a `worker` started earlier to hide its
    start-up.
    """
    return AssetSearch(asset_paths, workers, worker).finish(frames, changed)


def _across_assets(matches: list[AssetMatch]) -> list[AssetMatch]:
    """Where two assets claim the same place, keep the better match."""
    kept: list[AssetMatch] = []
    for m in sorted(matches, key=lambda m: (m.method != "template", -m.confidence)):
        if not any(_same_place(m.box, k.box) for k in kept):
            kept.append(m)
    return kept


def _same_place(a: PBox, b: PBox) -> bool:
    """Two boxes of about one size that mostly overlap (an icon on a picture is not that)."""
    small, large = sorted((a.area, b.area))
    if small <= 0 or large > SAME_PLACE_AREA_RATIO * small:
        return False
    iw = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
    ih = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
    return iw > 0 and ih > 0 and iw * ih >= SAME_PLACE_OVERLAP * small
