"""Where each asset file appears in the keyframes: coarse-to-fine multi-scale matching.

Coarse: normalised cross-correlation of the gray asset (transparent pixels filled with
its mean) against a 1/2, 1/4 or 1/8 copy of the search area, over a geometric ladder of
display sizes; a mean-colour test drops most candidates cheaply. Fine: the scale is
climbed at half the coarse resolution, the place found at full resolution, and the
colours verified pixel by pixel (a transparent icon must also stand out from the page
around it). Small icons are also tried at the size of isolated blobs. Large pictures are
matched by central bands too (CSS object-fit / background cropping), their box grown to
the part of the picture that shows. A nearly uniform picture only counts as a tiled
background. Keyframes after the first are searched only inside their changed regions;
earlier matches elsewhere carry over. Searches run on a few threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from .types import AssetMatch, AssetReport, PBox

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}
SCALE_STEP = 1.25  # coarse ladder; refinement climbs in between
MIN_DISPLAY = 13  # px: the smallest display searched by sliding templates
MIN_CROP_DISPLAY = 64  # px: the smallest displayed crop band searched (small crops match any similar picture)
MIN_ICON = 7  # px: the smallest icon matched from proposals
MAX_ICON = 96
COARSE_THRESHOLD = 0.62
FINE_THRESHOLD = 0.78
CROP_THRESHOLD = 0.88  # also for opaque pictures shrunk below MIN_PHOTO_SCALE (blurred detail matches loosely)
MIN_PHOTO_SCALE = 0.2
THIN_FRACTION = 0.3  # solid share under which an icon is line art (its colour check tolerates 1 px shifts)
COLOUR_TOLERANCE = 38.0  # difference of mean BGR colours (line art, flat icons)
PIXEL_TOLERANCE = 30.0  # mean absolute BGR error per pixel of a true sighting (codec + resampling noise)
PICTURE_TOLERANCE = 20.0  # the same for opaque pictures of 2000 px and more
MIN_CONTRAST = 30.0  # BGR levels a transparent icon's solid colour must differ from the page around it
LOW_TEXTURE = 8.0  # gray spread under which an opaque asset counts only as a tiled background
MAX_CANDIDATES = 48  # coarse peaks per scale
MAX_CHOSEN = 64  # places refined per asset, crop variant and search rectangle
MAX_MISSES = 6  # candidates in a row that fail verification before an asset's search stops
TILE_SPACING = 1.2  # lattice spacing / tile size up to which sightings count as one tiled background


@dataclass
class LoadedAsset:
    """An asset decoded to BGR plus an alpha mask (None when opaque).

    Transparent margins are trimmed for matching; `trim` (x, y, full width, full height)
    maps a match back to the box of the whole file as displayed.
    """

    name: str
    bgr: np.ndarray
    mask: np.ndarray | None
    trim: tuple[int, int, int, int] = (0, 0, 0, 0)
    alpha: np.ndarray | None = None  # 0..1 opacity (trimmed like bgr) when the file has transparency

    def full_box(self, x: float, y: float, scale: float) -> PBox:
        """Box of the whole (untrimmed) file for a trimmed match at (x, y) and scale."""
        tx, ty, fw, fh = self.trim
        if fw == 0:
            fw, fh = self.size
        return PBox(x=int(round(x - tx * scale)), y=int(round(y - ty * scale)), width=int(round(fw * scale)), height=int(round(fh * scale)))

    @property
    def size(self) -> tuple[int, int]:
        return self.bgr.shape[1], self.bgr.shape[0]

    @cached_property
    def low_texture(self) -> bool:
        """An opaque, nearly uniform picture: it matches any flat area, so a sighting
        counts only as part of a tiled background."""
        return self.mask is None and float(cv2.cvtColor(self.bgr, cv2.COLOR_BGR2GRAY).std()) < LOW_TEXTURE


def load_asset(path: Path) -> LoadedAsset | str:
    """Decode an image file; a reason string when it is not a readable raster image."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return f"not a raster image ({path.suffix or 'no extension'})"
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        try:
            from PIL import Image

            with Image.open(path) as im:
                img = cv2.cvtColor(np.asarray(im.convert("RGBA")), cv2.COLOR_RGBA2BGRA)
        except Exception as e:  # noqa: BLE001 - any decoder failure means "unreadable"
            return f"cannot decode: {type(e).__name__}"
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.dtype != np.uint8:
        img = cv2.convertScaleAbs(img, alpha=255.0 / max(1.0, float(img.max())))
    mask = None
    soft = None
    trim = (0, 0, img.shape[1], img.shape[0])
    if img.shape[2] == 4:
        alpha = img[..., 3]
        img = img[..., :3]
        if (alpha < 250).mean() > 0.01:
            mask = (alpha >= 128).astype(np.uint8) * 255
            ys, xs = np.nonzero(mask)
            if len(xs) == 0:
                return "fully transparent"
            x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
            img, mask = img[y0:y1, x0:x1], mask[y0:y1, x0:x1]  # trim transparent margins
            soft = alpha[y0:y1, x0:x1].astype(np.float32) / 255.0
            trim = (int(x0), int(y0), trim[2], trim[3])
    if min(img.shape[:2]) < 4:
        return "too small"
    return LoadedAsset(path.name, np.ascontiguousarray(img), mask, trim, soft)


@dataclass
class _Template:
    gray: np.ndarray  # mean-filled where transparent
    mask: np.ndarray | None
    bgr: np.ndarray
    scale: float
    crop: tuple[int, int, int, int] | None  # (x, y, w, h) of the crop inside the asset at scale 1
    std: float = 0.0  # gray spread over the opaque pixels
    mean_bgr: tuple[float, float, float] = (0.0, 0.0, 0.0)
    alpha: np.ndarray | None = None  # 0..1 opacity at this scale

    def over(self, bg: np.ndarray | float) -> np.ndarray:
        """The template's BGR composited over a background colour (float32)."""
        b = self.bgr.astype(np.float32)
        if self.alpha is None:
            return b
        a = self.alpha[..., None]
        return b * a + np.asarray(bg, np.float32) * (1.0 - a)

    def gray_over(self, bg: float) -> np.ndarray:
        """Gray template composited over a flat background level (uint8)."""
        return cv2.cvtColor(np.clip(self.over((bg, bg, bg)), 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY)


def _scaled(asset: LoadedAsset, s: float, crop: tuple[int, int, int, int] | None = None) -> _Template:
    bgr, mask, alpha = asset.bgr, asset.mask, asset.alpha
    if crop is not None:
        x, y, w, h = crop
        bgr = bgr[y:y + h, x:x + w]
        mask = mask[y:y + h, x:x + w] if mask is not None else None
        alpha = alpha[y:y + h, x:x + w] if alpha is not None else None
    w, h = max(1, int(round(bgr.shape[1] * s))), max(1, int(round(bgr.shape[0] * s)))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    b = cv2.resize(bgr, (w, h), interpolation=interp)
    g = cv2.cvtColor(b, cv2.COLOR_BGR2GRAY)
    m = None
    if mask is not None:
        m = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
        if m.any():
            g = g.copy()
            g[m == 0] = int(g[m > 0].mean())
    opaque = (m > 0) if m is not None and m.any() else np.ones(g.shape, bool)
    gray_all = cv2.cvtColor(b, cv2.COLOR_BGR2GRAY)
    mean = b[opaque].astype(np.float32).mean(axis=0)
    a = cv2.resize(alpha, (w, h), interpolation=interp) if alpha is not None else None
    return _Template(g, m, b, s, crop, float(gray_all[opaque].std()), (float(mean[0]), float(mean[1]), float(mean[2])), a)


def _peaks(res: np.ndarray, threshold: float, limit: int, radius: tuple[int, int]) -> list[tuple[float, int, int]]:
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


def _ncc(image: np.ndarray, tpl: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    if mask is not None and float(tpl[mask > 0].std()) >= 2.0:
        res = cv2.matchTemplate(image, tpl, cv2.TM_CCOEFF_NORMED, mask=mask)
    else:
        res = cv2.matchTemplate(image, tpl, cv2.TM_CCOEFF_NORMED)
    res[~np.isfinite(res)] = -1.0
    return res


def _on_background(win: np.ndarray, tpl: _Template, pad: int = 2) -> tuple[float, tuple[int, int]]:
    """NCC of the template composited over the window's border colour, with a margin."""
    border = np.concatenate([win[0], win[-1], win[:, 0], win[:, -1]])
    bg = int(np.median(border))
    g = cv2.cvtColor(tpl.bgr, cv2.COLOR_BGR2GRAY)
    comp = np.where(tpl.mask > 0, g, bg).astype(np.uint8)
    comp = cv2.copyMakeBorder(comp, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=bg)
    if comp.shape[0] > win.shape[0] or comp.shape[1] > win.shape[1] or float(comp.std()) < 2.0:
        return -1.0, (0, 0)
    res = cv2.matchTemplate(win, comp, cv2.TM_CCOEFF_NORMED)
    res[~np.isfinite(res)] = -1.0
    _, score, _, (lx, ly) = cv2.minMaxLoc(res)
    return float(score), (lx + pad, ly + pad)


def _colour_ok(patch: np.ndarray, tpl: _Template) -> bool:
    """Pixel by pixel colour agreement of the patch with the template.

    Opaque templates and filled shapes: the mean absolute BGR error over their (solid)
    pixels must stay within codec and resampling noise. Line art (few solid pixels, where
    anti-aliased edges dominate): the opacity-weighted mean colours, the template first
    composited over the patch's border colour.
    """
    if patch.shape[:2] != tpl.bgr.shape[:2]:
        return False
    if tpl.alpha is None:  # chroma subsampling errors sit on edges: large pictures average them away
        return _pixel_error(patch, tpl.bgr, None) <= (PICTURE_TOLERANCE if tpl.bgr.shape[0] * tpl.bgr.shape[1] >= 2000 else PIXEL_TOLERANCE)
    solid = tpl.alpha >= 0.9
    border = np.concatenate([patch[0], patch[-1], patch[:, 0], patch[:, -1]]).astype(np.float32)
    if float(solid.mean()) >= THIN_FRACTION:
        clear = tpl.alpha < 0.1  # where the page shows through
        around = patch[clear].astype(np.float32) if int(clear.sum()) >= 4 else border
        if solid.any() and float(np.abs(tpl.bgr[solid].mean(axis=0) - np.median(around, axis=0)).max()) < MIN_CONTRAST:
            return False  # the shape does not stand out from the page around it: no evidence
        return _pixel_error(patch, tpl.bgr, _interior(solid)) <= PIXEL_TOLERANCE
    diff = patch.astype(np.float32) - tpl.over(np.median(border, axis=0))
    wgt = tpl.alpha[..., None]
    if float(wgt.sum()) < 1.0:
        return False
    return float(np.abs((diff * wgt).sum(axis=(0, 1)) / float(wgt.sum())).mean()) <= COLOUR_TOLERANCE


def _one_per_place(candidates: list[tuple[float, float, tuple[int, int, int, int] | None, int, int, int, int, int]],
                   iou: float, limit: int) -> list[tuple[float, float, tuple[int, int, int, int] | None, int, int, int, int, int]]:
    """Greedy suppression of coarse candidates (already sorted best first): one per place."""
    boxes = np.zeros((limit, 4), np.float64)
    chosen: list[tuple[float, float, tuple[int, int, int, int] | None, int, int, int, int, int]] = []
    for c in candidates:
        x, y, w, h = c[3], c[4], c[5], c[6]
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


def _mean_colour_ok(patch: np.ndarray, asset: LoadedAsset, crop: tuple[int, int, int, int] | None) -> bool:
    """The mean colour of a (coarsely placed) patch is near that of the opaque picture
    (a mean barely moves when the placement is a few px off)."""
    if patch.size == 0:
        return False
    bgr = asset.bgr if crop is None else asset.bgr[crop[1]:crop[1] + crop[3], crop[0]:crop[0] + crop[2]]
    d = np.abs(np.asarray(cv2.mean(patch)[:3]) - np.asarray(cv2.mean(bgr)[:3]))
    return float(d.mean()) <= COLOUR_TOLERANCE


def _interior(solid: np.ndarray) -> np.ndarray:
    """A solid mask without its 1 px rim (edges blend with the page and shift sub-pixel),
    unless too little would remain."""
    inner = cv2.erode(solid.astype(np.uint8), np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    return inner if int(inner.sum()) >= max(9, 0.3 * int(solid.sum())) else solid


def _pixel_error(patch: np.ndarray, bgr: np.ndarray, where: np.ndarray | None) -> float:
    """Mean absolute BGR difference, over `where` (all pixels when None)."""
    d = cv2.absdiff(patch, bgr)
    if where is None:
        return float(d.mean())
    return float(d[where].mean()) if where.any() else 255.0


def _flat_ok(patch: np.ndarray, tpl: _Template) -> bool:
    """For a flat template, the patch must be flat too, with the same colour."""
    sel = _interior(tpl.alpha >= 0.9) if tpl.alpha is not None else np.ones(tpl.bgr.shape[:2], bool)
    if not sel.any():
        return False
    return bool(float(cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY)[sel].std()) < 12) and _colour_ok(patch, tpl)


class AssetMatcher:
    """Matches assets against keyframe images, restricted to search rectangles."""

    def __init__(self, frame_size: tuple[int, int]) -> None:
        self.W, self.H = frame_size
        self._cache: dict[tuple[str, float, tuple[int, int, int, int] | None], _Template] = {}

    def scales(self, asset: LoadedAsset, crop: tuple[int, int, int, int] | None) -> list[float]:
        """Display scales searched: a geometric ladder through 1, the (cropped) picture
        between MIN_DISPLAY px (the file's size) and the frame size."""
        w, h = asset.size
        fw, fh = asset.trim[2] or w, asset.trim[3] or h  # the element shows the whole file, margins included
        lo = max(MIN_DISPLAY / min(fw, fh), 0.08)
        cw, ch = (crop[2], crop[3]) if crop else (w, h)
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

    def template(self, asset: LoadedAsset, s: float, crop: tuple[int, int, int, int] | None) -> _Template:
        """A scaled template, cached per (asset, scale, crop)."""
        key = (asset.name, round(s, 4), crop)
        tpl = self._cache.get(key)
        if tpl is None:
            tpl = self._cache[key] = _scaled(asset, s, crop)
        return tpl

    def match(self, asset: LoadedAsset, frame: np.ndarray, gray_levels: dict[int, np.ndarray], rect: tuple[int, int, int, int], keyframe: int) -> list[AssetMatch]:
        """Matches of one asset inside rect (x, y, w, h) of a BGR keyframe."""
        w, h = asset.size
        variants: list[tuple[int, int, int, int] | None] = [None, *crop_variants(asset)]
        found: list[AssetMatch] = []
        for crop in variants:
            candidates = [c for s in self.scales(asset, crop) for c in self._coarse(asset, s, crop, gray_levels, rect)]
            candidates.sort(key=lambda c: (-round(c[0], 2), -c[5] * c[6]))  # on a tie the larger display explains more
            chosen = _one_per_place(candidates, 0.3, MAX_CHOSEN)
            misses = 0  # repeated icons verify one after another; stop after a run of failures
            for score, s, crop_, x, y, cw, ch, level in chosen:
                if misses >= MAX_MISSES and not asset.low_texture:  # a tile's coarse peaks tie everywhere
                    break
                if crop_ is not None and any(_touches(m.box, (x, y, 1, 1)) for m in found):
                    continue  # the whole picture was found there already
                if asset.mask is None and not _mean_colour_ok(frame[y:y + ch, x:x + cw], asset, crop_):
                    misses += 1
                    continue  # a cheap rejection before the costly refinement
                m = self._refine(asset, s, crop_, frame, gray_levels, x, y, level, keyframe)
                misses = 0 if m is not None else misses + 1
                if m is not None:
                    found.append(m)
        return nms(found, 0.3)

    def match_icons(self, asset: LoadedAsset, frame: np.ndarray, gray: np.ndarray, proposals: list[tuple[int, int, int, int]], keyframe: int) -> list[AssetMatch]:
        """Small displays: compare the asset, sized to each blob proposal, with that blob."""
        aw, ah = asset.size
        found = []
        for x, y, w, h in proposals:
            sx, sy = w / aw, h / ah
            if not 0.08 <= sx <= 3.0 or abs(sx / sy - 1) > 0.25 or max(aw * sx, ah * sy) > MAX_ICON:
                continue
            s = (sx + sy) / 2
            tpl = self.template(asset, s, None)
            patch = frame[y:y + h, x:x + w]
            if patch.size == 0:
                continue
            if tpl.std < 12:  # a flat icon: its colour must be in the blob
                dist = np.abs(patch.reshape(-1, 3).astype(np.float32) - np.array(tpl.mean_bgr, np.float32)).mean(axis=1)
                if float(dist.min()) > COLOUR_TOLERANCE:
                    continue
            m = self._refine(asset, s, None, frame, {1: gray}, int(round(x + w / 2 - aw * s / 2)), int(round(y + h / 2 - ah * s / 2)), 1, keyframe)
            if m is not None:
                found.append(m)
        return found

    def _coarse(self, asset: LoadedAsset, s: float, crop: tuple[int, int, int, int] | None,
                gray_levels: dict[int, np.ndarray], rect: tuple[int, int, int, int]) -> list[tuple[float, float, tuple[int, int, int, int] | None, int, int, int, int, int]]:
        """Coarse peaks: (score, scale, crop, x, y, w, h, level) in full-res px."""
        cw = (crop[2] if crop else asset.size[0]) * s
        ch = (crop[3] if crop else asset.size[1]) * s
        rx, ry, rw, rh = rect
        if cw > rw or ch > rh or min(cw, ch) < (MIN_CROP_DISPLAY if crop else MIN_DISPLAY * 0.8):
            return []
        level = coarse_level(min(cw, ch))
        tpl = self.template(asset, s / level, crop)
        if min(tpl.gray.shape) < 5:
            return []
        small = gray_levels[level][ry // level:(ry + rh) // level, rx // level:(rx + rw) // level]
        if tpl.gray.shape[0] > small.shape[0] or tpl.gray.shape[1] > small.shape[1]:
            return []
        gray_tpl = tpl.gray
        if tpl.alpha is not None and small.size:  # transparent parts show the page behind
            gray_tpl = tpl.gray_over(float(np.median(small[::4, ::4])))
        if float(gray_tpl.std()) < 2.0:
            res = 1.0 - cv2.matchTemplate(small, gray_tpl, cv2.TM_SQDIFF_NORMED)
        else:
            res = _ncc(small, gray_tpl, None)
        peaks = _peaks(res, COARSE_THRESHOLD, MAX_CANDIDATES, (tpl.gray.shape[1] // 2, tpl.gray.shape[0] // 2))
        return [(sc, s, crop, rx + px * level, ry + py * level, int(cw), int(ch), level) for sc, px, py in peaks]

    def _refine(self, asset: LoadedAsset, s: float, crop: tuple[int, int, int, int] | None, frame: np.ndarray,
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
        score, tpl, bx, by = best
        th, tw = tpl.gray.shape
        check = _flat_ok if float(tpl.gray.std()) < 2.0 else _colour_ok
        shifts = (0, -1, 1)  # the peak may sit 1 px off where edges are soft
        near = [(bx + dx, by + dy) for dy in shifts for dx in shifts if bx + dx >= 0 and by + dy >= 0]
        ok = [(x, y) for x, y in near if check(frame[y:y + th, x:x + tw], tpl)]
        if not ok:
            return None
        bx, by = ok[0]
        if crop is not None:
            box = self._visible_extent(asset, tpl.scale, crop, frame, bx, by)
            method = "crop"
        else:
            box = asset.full_box(bx, by, tpl.scale)
            method = "template"
        conf = score if method == "template" else score * 0.9
        return AssetMatch(asset=asset.name, keyframe=keyframe, box=box, scale=round(tpl.scale, 3), confidence=round(conf, 3), method=method)

    def _score_at(self, asset: LoadedAsset, s: float, crop: tuple[int, int, int, int] | None, gray: np.ndarray,
                  level: int, cx: float, cy: float, pad: int) -> tuple[float, _Template, int, int] | None:
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
            score, (lx, ly) = _on_background(win, tpl)
            if tpl.std >= 2.0:
                _, s2, _, loc2 = cv2.minMaxLoc(_ncc(win, tpl.gray, tpl.mask))
                if s2 > score:
                    score, (lx, ly) = s2, loc2
        elif tpl.std < 2.0:
            _, score, _, (lx, ly) = cv2.minMaxLoc(1.0 - cv2.matchTemplate(win, tpl.gray, cv2.TM_SQDIFF_NORMED))
        else:
            _, score, _, (lx, ly) = cv2.minMaxLoc(_ncc(win, tpl.gray, None))
        return (float(score), tpl, (x0 + lx) * level, (y0 + ly) * level)

    def _visible_extent(self, asset: LoadedAsset, scale: float, crop: tuple[int, int, int, int], frame: np.ndarray,
                        bx: int, by: int) -> PBox:
        """The part of the whole picture that is shown: from the matched crop, rows and
        columns are added outwards while they still agree with the picture (CSS cropping,
        the frame edge and panels in front end it)."""
        pic = self.template(asset, scale, None).bgr
        ph, pw = pic.shape[:2]
        fx, fy = int(round(bx - crop[0] * scale)), int(round(by - crop[1] * scale))
        x0, y0 = max(0, fx), max(0, fy)
        x1, y1 = min(self.W, fx + pw), min(self.H, fy + ph)
        err = cv2.absdiff(frame[y0:y1, x0:x1], pic[y0 - fy:y1 - fy, x0 - fx:x1 - fx]).mean(axis=2)
        cx0, cy0 = bx - x0, by - y0
        cx1 = min(x1 - x0, cx0 + int(crop[2] * scale))
        cy1 = min(y1 - y0, cy0 + int(crop[3] * scale))
        rows = err[:, cx0:cx1].mean(axis=1) <= 1.5 * PIXEL_TOLERANCE
        top, bottom = _grow(rows, cy0, cy1)
        cols = err[top:bottom, :].mean(axis=0) <= 1.5 * PIXEL_TOLERANCE
        left, right = _grow(cols, cx0, cx1)
        return PBox(x=x0 + left, y=y0 + top, width=right - left, height=bottom - top)


def _grow(good: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """Extend [lo, hi) over neighbouring True entries of `good`."""
    while lo > 0 and good[lo - 1]:
        lo -= 1
    while hi < len(good) and good[hi]:
        hi += 1
    return lo, hi


def crop_variants(asset: LoadedAsset) -> list[tuple[int, int, int, int]]:
    """Parts of a large opaque picture that stay visible when CSS crops it (object-fit:
    cover, background-size: cover): a wide central band (the box is wider than the
    picture) and a tall one (the box is taller). (x, y, w, h) in file pixels."""
    w, h = asset.size
    if asset.mask is not None or w < 120 or h < 90:
        return []
    wide = (w // 10, int(h * 0.35), w - 2 * (w // 10), h - 2 * int(h * 0.35))
    tall = (int(w * 0.35), h // 10, w - 2 * int(w * 0.35), h - 2 * (h // 10))
    return [wide, tall]


def coarse_level(display: float) -> int:
    """Pyramid level for the coarse search: templates keep at least ~11 px."""
    return 8 if display >= 96 else 4 if display >= 48 else 2


def icon_proposals(gray: np.ndarray, rect: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """Boxes of small isolated blobs of detail (icons sit on flatter backgrounds)."""
    rx, ry, rw, rh = rect
    roi = gray[ry:ry + rh, rx:rx + rw]
    grad = cv2.morphologyEx(roi, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    edges = (grad > 18).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, h, _ = (int(v) for v in stats[i])
        if MIN_ICON + 2 <= w <= MAX_ICON and MIN_ICON + 2 <= h <= MAX_ICON:
            out.append((rx + x + 1, ry + y + 1, w - 2, h - 2))  # the gradient widens blobs by 1 px
    return out


def nms(matches: list[AssetMatch], iou: float) -> list[AssetMatch]:
    """Keep the most confident of overlapping matches (IoU above `iou`)."""
    kept: list[AssetMatch] = []
    for m in sorted(matches, key=lambda m: (m.method != "template", -round(m.confidence, 2), -m.box.area)):
        if all(m.keyframe != k.keyframe or m.box.iou(k.box) <= iou for k in kept):
            kept.append(m)
    return kept


def pyramid(gray: np.ndarray) -> dict[int, np.ndarray]:
    """Copies at full, 1/2, 1/4 and 1/8 resolution, keyed by the reduction factor."""
    out = {1: gray}
    for level in (2, 4, 8):
        prev = out[level // 2]
        out[level] = cv2.resize(prev, (max(1, prev.shape[1] // 2), max(1, prev.shape[0] // 2)), interpolation=cv2.INTER_AREA)
    return out


def match_assets(asset_paths: list[Path], frames: list[np.ndarray], changed: list[list[tuple[int, int, int, int]] | None],
                 workers: int = 2) -> list[AssetReport]:
    """Sightings of every asset in every keyframe.

    `changed[k]` lists the rectangles of keyframe k that differ from keyframe k-1 (None:
    search everything). Matches of k-1 that do not touch a changed rectangle carry over.
    The searches (keyframe x rectangle x asset) run on `workers` threads (OpenCV releases
    the GIL).
    """
    reports: list[AssetReport] = []
    loaded: list[LoadedAsset] = []
    for p in asset_paths:
        a = load_asset(p)
        if isinstance(a, str):
            reports.append(AssetReport(asset=p.name, readable=False, error=a))
        else:
            loaded.append(a)
            reports.append(AssetReport(asset=p.name, width=a.size[0], height=a.size[1]))
    if not frames or not loaded:
        return reports
    H, W = frames[0].shape[:2]
    matcher = AssetMatcher((W, H))
    low_texture = {a.name for a in loaded if a.low_texture}
    plans = []
    for k, frame in enumerate(frames):
        rects = [(0, 0, W, H)] if k == 0 or changed[k] is None else _search_rects(changed[k] or [], W, H)
        plans.append((pyramid(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)), rects))

    def search(k: int, rect: tuple[int, int, int, int], asset: LoadedAsset, proposals: list[tuple[int, int, int, int]]) -> list[AssetMatch]:
        levels = plans[k][0]
        found = matcher.match(asset, frames[k], levels, rect, k)
        if min(asset.size) <= MAX_ICON:
            found += matcher.match_icons(asset, frames[k], levels[1], proposals, k)
        return found

    jobs = [(k, rect, a, proposals) for k, (levels, rects) in enumerate(plans) for rect in rects
            for proposals in [icon_proposals(levels[1], rect)] for a in loaded]
    jobs.sort(key=lambda j: -j[1][2] * j[1][3])  # big searches first: threads finish together
    if workers <= 1:
        results = [(j[0], search(*j)) for j in jobs]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda j: (j[0], search(*j)), jobs))
    fresh_by_k: dict[int, list[AssetMatch]] = {}
    for k, found in results:
        fresh_by_k.setdefault(k, []).extend(found)
    by_name: dict[str, list[AssetMatch]] = {a.name: [] for a in loaded}
    previous: list[AssetMatch] = []
    for k, (_, rects) in enumerate(plans):
        gone = rects if k == 0 or changed[k] is None else (changed[k] or [])  # what really changed, unpadded
        current = [m.model_copy(update={"keyframe": k}) for m in previous if not any(_touches(m.box, r) for r in gone)]
        current = _inside_tiled(_merge_tiles(nms(current + _across_assets(fresh_by_k.get(k, [])), 0.5)))
        current = [m for m in current if m.method == "tiled" or m.asset not in low_texture]
        for m in current:
            by_name[m.asset].append(m)
        previous = current
    for r in reports:
        if r.readable:
            r.matches = by_name.get(r.asset, [])
    return reports


def _lattice_period(values: list[int], size: int) -> int | None:
    """The most common spacing between neighbouring values, when it is about one tile
    size (a few stray sightings off the lattice do not change it)."""
    vs = sorted(set(values))
    gaps = [b - a for a, b in zip(vs, vs[1:]) if b - a > size // 3]
    if not gaps:
        return None
    p = max(gaps, key=lambda g: (sum(abs(g - o) <= 2 for o in gaps), -g))
    return p if 0.8 * size <= p <= TILE_SPACING * size else None


def _on_lattice(d: int, period: int | None, tol: int = 3) -> bool:
    if period is None:
        return abs(d) <= tol
    r = abs(d) % period
    return min(r, period - r) <= tol


def _merge_tiles(matches: list[AssetMatch], min_tiles: int = 4) -> list[AssetMatch]:
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
        def on(anchor: AssetMatch) -> list[AssetMatch]:
            return [m for m in same if _on_lattice(m.box.x - anchor.box.x, px) and _on_lattice(m.box.y - anchor.box.y, py)]

        tiles = max((on(a) for a in same), key=len)  # the lattice most sightings sit on
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


def _inside_tiled(matches: list[AssetMatch]) -> list[AssetMatch]:
    """Drop sightings lying inside a tiled background of the same asset."""
    tiled = [m for m in matches if m.method == "tiled"]
    out = []
    for m in matches:
        if m.method != "tiled" and any(t.asset == m.asset and _inside(m.box, t.box) for t in tiled):
            continue
        out.append(m)
    return out


def _inside(a: PBox, b: PBox, slack: int = 4) -> bool:
    return a.x >= b.x - slack and a.y >= b.y - slack and a.x + a.width <= b.x + b.width + slack and a.y + a.height <= b.y + b.height + slack


def _across_assets(matches: list[AssetMatch]) -> list[AssetMatch]:
    """Where two assets claim the same place, keep the better match."""
    kept: list[AssetMatch] = []
    for m in sorted(matches, key=lambda m: (m.method != "template", -m.confidence)):
        if all(m.box.iou(k.box) <= 0.5 for k in kept):
            kept.append(m)
    return kept


def _search_rects(rects: list[tuple[int, int, int, int]], W: int, H: int, pad: int = 24) -> list[tuple[int, int, int, int]]:
    """Changed rectangles, padded and merged when close (fewer, larger searches)."""
    from .events import merge_boxes

    out = []
    for x, y, w, h in merge_boxes(rects, 2 * pad):
        x0, y0 = max(0, x - pad), max(0, y - pad)
        out.append((x0, y0, min(W, x + w + pad) - x0, min(H, y + h + pad) - y0))
    return out


def _touches(box: PBox, rect: tuple[int, int, int, int]) -> bool:
    x, y, w, h = rect
    return box.x < x + w and x < box.x + box.width and box.y < y + h and y < box.y + box.height
