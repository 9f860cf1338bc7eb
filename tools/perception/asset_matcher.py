"""Coarse-to-fine multi-scale matching of one asset inside search rectangles of a keyframe."""

from __future__ import annotations

from typing import Literal, NamedTuple

import cv2
import numpy as np

from .asset_correlation import SearchRegion, correlation_peaks, match_ncc
from .asset_load import LoadedAsset
from .asset_sources import Focus
from .asset_template import Template, scaled_template
from .asset_verify import (
    PIXEL_TOLERANCE,
    colour_ok,
    flat_ok,
    mean_colour_ok,
    on_background,
    palette_ok,
    picture_tolerance,
    row_tinted_error,
    tinted_ok,
)
from .types import AssetMatch, PBox

SCALE_STEP = 1.25  # coarse ladder; refinement climbs in between
MIN_DISPLAY = 13  # px: the smallest display searched by sliding templates
MIN_CROP_DISPLAY = 64  # px: the smallest displayed crop band searched (small crops match any similar picture)
MIN_ICON = 7  # px: the smallest icon matched from proposals
MAX_ICON = 96
ICON_THRESHOLD = 0.5  # shape score an icon blob needs before its pixels are checked
NEIGHBOUR_GAIN = 0.15  # the most a 1 px change of an icon's display size is expected to add to its shape score
ICON_VERIFIED = 4  # display sizes of one blob whose pixels are checked, best shape score first
ICON_SIZE_SLACK = 1.3  # display sizes tried for an icon blob: its estimate divided or multiplied by this
COARSE_THRESHOLD = 0.58
FINE_THRESHOLD = 0.78
CROP_THRESHOLD = 0.88  # also for opaque pictures shrunk below MIN_PHOTO_SCALE (blurred detail matches loosely)
MIN_PHOTO_SCALE = 0.2
MAX_CANDIDATES = 48  # coarse peaks per scale
MAX_CHOSEN = 64  # places refined per asset, crop variant and search rectangle
MAX_MISSES = 6  # candidates in a row that fail verification before an asset's search stops
REGION_STATS_BYTES = 96 << 20  # memory for the window statistics of search regions, per process


class Candidate(NamedTuple):
    """A coarse peak: the template of `crop` (None: the whole asset) at `scale`, placed at x, y
    with display size w, h (full-res px), found at pyramid `level`."""

    score: float
    scale: float
    crop: PBox | None
    x: int
    y: int
    w: int
    h: int
    level: int


class AssetMatcher:
    """Matches assets against keyframe images, restricted to search rectangles."""

    def __init__(self, frame_size: tuple[int, int]) -> None:
        self.W, self.H = frame_size
        self._cache: dict[tuple[str, float, PBox | None], Template] = {}
        self._regions: dict[tuple[int, int, PBox], SearchRegion] = {}
        self._stats_budget = [REGION_STATS_BYTES]

    def _region(self, level_image: np.ndarray, level: int, rect: PBox, pixels: np.ndarray) -> SearchRegion:
        """A search region of a pyramid level, cached: every template searched there shares
        its window statistics."""
        key = (id(level_image), level, rect)
        if key not in self._regions:
            self._regions[key] = SearchRegion(pixels, self._stats_budget)
        return self._regions[key]

    def scales(self, asset: LoadedAsset, crop: PBox | None) -> list[float]:
        """Display scales searched: a geometric ladder through 1, the (cropped) picture
        between MIN_DISPLAY px (the file's size) and the frame size."""
        w, h = asset.size
        fw, fh = asset.trim.full_width or w, asset.trim.full_height or h  # the element shows the whole file, margins included
        lo = max(MIN_DISPLAY / min(fw, fh), 0.08)
        cw, ch = (crop.width, crop.height) if crop else (w, h)
        hi = min(2.0, self.W / cw, self.H / ch)
        out, s = [], 1.0
        while s >= lo:
            out.append(s)
            s /= SCALE_STEP
        s = SCALE_STEP
        while s <= hi:
            out.append(s)
            s *= SCALE_STEP
        return sorted(x for x in out if lo <= x <= hi)

    def template(self, asset: LoadedAsset, s: float, crop: PBox | None) -> Template:
        """A scaled template, cached per (asset, scale, crop)."""
        key = (asset.name, round(s, 4), crop)
        tpl = self._cache.get(key)
        if tpl is None:
            tpl = self._cache[key] = scaled_template(asset, s, crop)
        return tpl

    def match(self, asset: LoadedAsset, frame: np.ndarray, gray_levels: dict[int, np.ndarray], rect: PBox,
              keyframe: int,
              focus: Focus | None = None) -> list[AssetMatch]:
        """Matches of one asset inside `rect` of a BGR keyframe; with `focus`,
        only places that overlap one of its boxes (what is new there)."""
        variants: list[PBox | None] = [None, *crop_variants(asset)]
        found: list[AssetMatch] = []
        for crop in variants:
            candidates = [c for s in self.scales(asset, crop) for c in self._coarse(asset, s, crop, gray_levels, rect)]
            if focus is not None:
                at = np.array([(c.x, c.y, c.w, c.h) for c in candidates], np.int64)
                candidates = [c for c, hit in zip(candidates, focus.hits_array(at), strict=True) if hit]
            candidates.sort(key=lambda c: (-round(c.score, 2), -c.w * c.h))  # on a tie the larger display explains more
            chosen = _one_per_place(candidates, 0.3, MAX_CHOSEN)
            misses = 0  # repeated icons verify one after another; stop after a run of failures
            for _score, s, crop_, x, y, cw, ch, level in chosen:
                if misses >= MAX_MISSES and not asset.low_texture:  # a tile's coarse peaks tie everywhere
                    break
                if crop_ is not None and any(m.box.overlaps(PBox(x=x, y=y, width=1, height=1)) for m in found):
                    continue  # the whole picture was found there already
                if asset.mask is None and not mean_colour_ok(frame[y:y + ch, x:x + cw], asset, crop_):
                    misses += 1
                    continue  # a cheap rejection before the costly refinement
                m = self._refine(asset, s, crop_, frame, gray_levels, x, y, level, keyframe)
                misses = 0 if m is not None else misses + 1
                if m is not None:
                    found.append(m)
        return nms(found, 0.3)

    def match_icons(self, asset: LoadedAsset, frame: np.ndarray, gray: np.ndarray, proposals: list[PBox],
                    keyframe: int) -> list[AssetMatch]:
        """Small displays: compare the asset, sized to each blob proposal, with that blob.
        A blob is either the icon's drawn part or its whole element (a badge behind it)."""
        aw, ah = asset.size
        fw, fh = asset.trim.full_width or aw, asset.trim.full_height or ah
        found = []
        for proposal in proposals:
            x, y, w, h = proposal.as_tuple()
            scales = [(w / bw + h / bh) / 2 for bw, bh in {(aw, ah), (fw, fh)}
                      if 0.08 <= w / bw <= 3.0 and abs((w / bw) / (h / bh) - 1) <= 0.25 and max(fw * w / bw, fh * h / bh) <= MAX_ICON]
            if not scales:
                continue
            patch = frame[y:y + h, x:x + w]
            if patch.size == 0:
                continue
            if not palette_ok(patch, self.template(asset, scales[0], None)):
                continue
            m = self._icon_at(asset, scales, frame, gray, x + w / 2, y + h / 2, keyframe)
            if m is not None:
                found.append(m)
        return found

    def _icon_at(self, asset: LoadedAsset, scales: list[float], frame: np.ndarray, gray: np.ndarray, cx: float, cy: float,
                 keyframe: int) -> AssetMatch | None:
        """An icon centred near (cx, cy), its scale about one of `scales`: whole-pixel display
        sizes within ICON_SIZE_SLACK of them are scored (a blob's extent misjudges soft
        edges), the best ones verified."""
        fw = asset.trim.full_width or asset.size[0]
        d0s = [fw * s for s in scales]
        lo, hi = max(MIN_ICON, int(np.floor(min(d0s) / ICON_SIZE_SLACK))), int(np.ceil(max(d0s) * ICON_SIZE_SLACK))
        scores: dict[int, tuple[float, Template, int, int] | None] = {}

        def score(d: int) -> tuple[float, Template, int, int] | None:
            if d not in scores:
                scores[d] = self._score_at(asset, d / fw, None, gray, 1, cx, cy, 2) if lo <= d <= hi else None
            return scores[d]

        for d in range(lo, hi + 1, 2):  # every other size, then the neighbours of the best
            score(d)
        best_two = sorted(((d, sc) for d, sc in scores.items() if sc is not None), key=lambda ds: -ds[1][0])[:2]
        for d, sc in best_two:
            if sc[0] < ICON_THRESHOLD - NEIGHBOUR_GAIN:
                break  # a 1 px size change cannot lift a score this low to the threshold
            score(d - 1)
            score(d + 1)
        scored = sorted((r for r in scores.values() if r is not None), key=lambda r: -r[0])
        # the sizes the blob itself measures come next: an icon drawn at a half-pixel offset
        # blurs, and its shape scores below sizes that fit the blur better
        measured = [r for d in sorted({int(np.floor(d0)) for d0 in d0s} | {int(np.ceil(d0)) for d0 in d0s})
                    if (r := score(d)) is not None and all(r is not q for q in scored[:ICON_VERIFIED])]
        for best in [*scored[:ICON_VERIFIED], *measured]:  # small icons score low on shape alone: the pixel check decides
            if best[0] < ICON_THRESHOLD:
                continue
            m = self._accept(asset, best, None, frame, keyframe)
            if m is not None:
                return m
        return None

    def _coarse(self, asset: LoadedAsset, s: float, crop: PBox | None,
                gray_levels: dict[int, np.ndarray], rect: PBox) -> list[Candidate]:
        """Coarse peaks in full-res px."""
        cw = (crop.width if crop else asset.size[0]) * s
        ch = (crop.height if crop else asset.size[1]) * s
        rx, ry, rw, rh = rect.as_tuple()
        if cw > rw or ch > rh or min(cw, ch) < (MIN_CROP_DISPLAY if crop else MIN_DISPLAY * 0.8):
            return []
        level = coarse_level(min(cw, ch))
        tpl = self.template(asset, s / level, crop)
        if min(tpl.gray.shape) < 5:
            return []
        small = gray_levels[level][ry // level:(ry + rh) // level, rx // level:(rx + rw) // level]
        if tpl.gray.shape[0] > small.shape[0] or tpl.gray.shape[1] > small.shape[1]:
            return []
        gray_tpl, spread = tpl.gray, tpl.gray_std
        if tpl.alpha is not None and small.size:  # transparent parts show the page behind
            gray_tpl = tpl.gray_over(float(np.median(small[::4, ::4])))
            spread = float(gray_tpl.std())
        if spread < 2.0:
            res = 1.0 - cv2.matchTemplate(small, gray_tpl, cv2.TM_SQDIFF_NORMED)
        else:
            res = self._region(gray_levels[level], level, rect, small).ncc(gray_tpl)
        peaks = correlation_peaks(res, COARSE_THRESHOLD, MAX_CANDIDATES, (tpl.gray.shape[1] // 2, tpl.gray.shape[0] // 2))
        return [Candidate(sc, s, crop, rx + px * level, ry + py * level, int(cw), int(ch), level) for sc, px, py in peaks]

    def _refine(self, asset: LoadedAsset, s: float, crop: PBox | None, frame: np.ndarray,
                gray_levels: dict[int, np.ndarray], x: int, y: int, level: int, keyframe: int) -> AssetMatch | None:
        """Climb the scale at half the coarse resolution, place at full resolution, verify
        the colours pixel by pixel."""
        r = max(1, level // 2)
        h0, w0 = self.template(asset, s, crop).gray.shape
        cx, cy = x + w0 / 2, y + h0 / 2  # scale about the candidate's centre
        best, k = self._score_at(asset, s, crop, gray_levels[r], r, cx, cy, 2 * level // r + 3), 1.0
        if best is None or best[0] < FINE_THRESHOLD - 0.2:
            return None
        for step in (1.04, 1 / 1.04):  # climb the scale while the score improves
            kk = k * step
            cand = self._score_at(asset, s * kk, crop, gray_levels[r], r, cx, cy, 2 * level // r + 3)
            while cand is not None and cand[0] > best[0] and abs(np.log(kk)) < 0.2:
                best, k = cand, kk
                kk = k * step
                cand = self._score_at(asset, s * kk, crop, gray_levels[r], r, cx, cy, 2 * level // r + 3)
        for kk in (k * 1.015, k / 1.015) if r == 1 else (k,):
            cand = self._score_at(asset, s * kk, crop, gray_levels[1], 1, cx, cy, 2 * r + 2)
            if cand is not None and (r > 1 or cand[0] > best[0]):
                best, k = cand, kk
        strict = crop is not None or (asset.mask is None and best is not None and best[1].scale < MIN_PHOTO_SCALE)
        if best is None or best[0] < (CROP_THRESHOLD if strict else FINE_THRESHOLD):
            return None
        return self._accept(asset, best, crop, frame, keyframe)

    def _accept(self, asset: LoadedAsset, best: tuple[float, Template, int, int], crop: PBox | None,
                frame: np.ndarray, keyframe: int) -> AssetMatch | None:
        """Verify the colours at a scored placement (or 1 px beside it); the match when they agree."""
        score, tpl, bx, by = best
        th, tw = tpl.gray.shape
        check = flat_ok if tpl.gray_std < 2.0 else colour_ok
        shifts = (0, -1, 1)  # the peak may sit 1 px off where edges are soft
        near = [(bx + dx, by + dy) for dy in shifts for dx in shifts if bx + dx >= 0 and by + dy >= 0]
        clean = crop is None and score < FINE_THRESHOLD  # a weak shape score: the icon must sit on a plain page
        place = next(((x, y) for x, y in near if check(frame[y:y + th, x:x + tw], tpl, clean)), None)
        if place is None and tpl.alpha is None and tinted_ok(tpl.bgr, frame[by:by + th, bx:bx + tw], picture_tolerance(tpl)):
            place = (bx, by)  # the picture behind a translucent layer
        if place is None:
            return None
        bx, by = place
        if crop is not None:
            box = self._visible_extent(asset, tpl.scale, crop, frame, bx, by)
            method: Literal["crop", "template"] = "crop"
        else:
            box = _displayed_box(asset, tpl, bx, by)
            method = "template"
        conf = score if method == "template" else score * 0.9
        return AssetMatch(asset=asset.name, keyframe=keyframe, box=box, scale=round(tpl.scale, 3), confidence=round(conf, 3),
                          method=method)

    def _score_at(self, asset: LoadedAsset, s: float, crop: PBox | None, gray: np.ndarray,
                  level: int, cx: float, cy: float, pad: int) -> tuple[float, Template, int, int] | None:
        """Best score of the template at display scale s, centred near (cx, cy) full-res,
        searched at pyramid `level` within `pad` px (of that level); position in full-res px."""
        tpl = self.template(asset, s / level, crop)
        th, tw = tpl.gray.shape
        if min(th, tw) < 4:
            return None
        H, W = gray.shape
        tx, ty = int(round(cx / level - tw / 2)), int(round(cy / level - th / 2))
        x0, y0 = max(0, tx - pad), max(0, ty - pad)
        x1, y1 = min(W, tx + tw + pad), min(H, ty + th + pad)
        win = gray[y0:y1, x0:x1]
        if win.shape[0] < th or win.shape[1] < tw:
            return None
        if tpl.mask is not None:  # the shape over the local background, plus the texture
            score, (lx, ly) = on_background(win, tpl)
            if tpl.std >= 2.0:
                _, s2, _, loc2 = cv2.minMaxLoc(match_ncc(win, tpl.gray, tpl.mask, textured=True))
                if s2 > score:
                    score, (lx, ly) = s2, loc2
        elif tpl.std < 2.0:
            _, score, _, (lx, ly) = cv2.minMaxLoc(1.0 - cv2.matchTemplate(win, tpl.gray, cv2.TM_SQDIFF_NORMED))
        else:
            _, score, _, (lx, ly) = cv2.minMaxLoc(match_ncc(win, tpl.gray, None))
        return (float(score), tpl, (x0 + lx) * level, (y0 + ly) * level)

    def _visible_extent(self, asset: LoadedAsset, scale: float, crop: PBox, frame: np.ndarray,
                        bx: int, by: int) -> PBox:
        """The part of the whole picture that is shown: from the matched crop, rows and
        columns are added outwards while they still agree with the picture (CSS cropping,
        the frame edge and panels in front end it)."""
        pic = self.template(asset, scale, None).bgr
        ph, pw = pic.shape[:2]
        fx, fy = int(round(bx - crop.x * scale)), int(round(by - crop.y * scale))
        x0, y0 = max(0, fx), max(0, fy)
        x1, y1 = min(self.W, fx + pw), min(self.H, fy + ph)
        cx0, cy0 = bx - x0, by - y0
        cx1 = min(x1 - x0, cx0 + int(crop.width * scale))
        cy1 = min(y1 - y0, cy0 + int(crop.height * scale))
        shown, own = frame[y0:y1, x0:x1], pic[y0 - fy:y1 - fy, x0 - fx:x1 - fx]
        err = cv2.absdiff(shown, own).mean(axis=2)
        if float(err[cy0:cy1, cx0:cx1].mean()) > PIXEL_TOLERANCE:  # behind a translucent layer
            err = row_tinted_error(own, shown, cx0, cx1)
        rows = err[:, cx0:cx1].mean(axis=1) <= 1.5 * PIXEL_TOLERANCE
        top, bottom = _grow(rows, cy0, cy1)
        cols = err[top:bottom, :].mean(axis=0) <= 1.5 * PIXEL_TOLERANCE
        left, right = _grow(cols, cx0, cx1)
        return PBox(x=x0 + left, y=y0 + top, width=right - left, height=bottom - top)


def _one_per_place(candidates: list[Candidate], iou: float, limit: int) -> list[Candidate]:
    """Greedy suppression of coarse candidates (already sorted best first): one per place."""
    boxes = np.zeros((limit, 4), np.float64)
    chosen: list[Candidate] = []
    for c in candidates:
        x, y, w, h = c.x, c.y, c.w, c.h
        if chosen:
            b = boxes[:len(chosen)]
            iw = np.minimum(x + w, b[:, 0] + b[:, 2]) - np.maximum(x, b[:, 0])
            ih = np.minimum(y + h, b[:, 1] + b[:, 3]) - np.maximum(y, b[:, 1])
            inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
            if bool((inter / (w * h + b[:, 2] * b[:, 3] - inter + 1e-9) >= iou).any()):
                continue
        boxes[len(chosen)] = (x, y, w, h)
        chosen.append(c)
        if len(chosen) >= limit:
            break
    return chosen


def _displayed_box(asset: LoadedAsset, tpl: Template, x: int, y: int) -> PBox:
    """Box of the whole displayed file for a template placed at (x, y)."""
    if tpl.offset is None:
        return asset.full_box(x, y, tpl.scale)
    _, _, fw, fh = asset.trim
    return PBox(x=x - tpl.offset[0], y=y - tpl.offset[1], width=int(round(fw * tpl.scale)), height=int(round(fh * tpl.scale)))


def _grow(good: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """Extend [lo, hi) over neighbouring True entries of `good`."""
    while lo > 0 and good[lo - 1]:
        lo -= 1
    while hi < len(good) and good[hi]:
        hi += 1
    return lo, hi


def crop_variants(asset: LoadedAsset) -> list[PBox]:
    """Parts of a large opaque picture that stay visible when CSS crops it (object-fit:
    cover, background-size: cover): a wide central band (the box is wider than the
    picture) and a tall one (the box is taller), in file pixels."""
    w, h = asset.size
    if asset.mask is not None or w < 120 or h < 90:
        return []
    wide = PBox(x=w // 10, y=int(h * 0.35), width=w - 2 * (w // 10), height=h - 2 * int(h * 0.35))
    tall = PBox(x=int(w * 0.35), y=h // 10, width=w - 2 * int(w * 0.35), height=h - 2 * (h // 10))
    return [wide, tall]


def coarse_level(display: float) -> int:
    """Pyramid level for the coarse search: templates keep at least ~11 px."""
    return 8 if display >= 96 else 4 if display >= 48 else 2


def nms(matches: list[AssetMatch], iou: float) -> list[AssetMatch]:
    """Keep the most confident of overlapping matches (IoU above `iou`)."""
    kept: list[AssetMatch] = []
    for m in sorted(matches, key=lambda m: (m.method != "template", -round(m.confidence, 2), -m.box.area)):
        if all(m.keyframe != k.keyframe or m.box.iou(k.box) <= iou for k in kept):
            kept.append(m)
    return kept
