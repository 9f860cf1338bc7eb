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
Tiled backgrounds are in `asset_tiles`. A child process (`asset_worker`) searches the
first keyframe while the video is still being decoded, then shares the other searches.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from .asset_worker import AssetWorker
from .asset_motion import MIN_TINT_GAIN, tint_fit
from .asset_sources import Basis, Focus, carry_over, plan_bases, search_rects, touches
from .asset_tiles import inside_tiled, merge_tiles, tiled_background, within
from .types import AssetMatch, AssetReport, PBox

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}
SCALE_STEP = 1.25  # coarse ladder; refinement climbs in between
MIN_DISPLAY = 13  # px: the smallest display searched by sliding templates
MIN_CROP_DISPLAY = 64  # px: the smallest displayed crop band searched (small crops match any similar picture)
MIN_ICON = 7  # px: the smallest icon matched from proposals
MAX_ICON = 96
ICON_THRESHOLD = 0.5  # shape score an icon blob needs before its pixels are checked
NEIGHBOUR_GAIN = 0.15  # the most a 1 px change of an icon's display size is expected to add to its shape score
ICON_VERIFIED = 4  # display sizes of one blob whose pixels are checked, best shape score first
PLAIN_PAGE_SPREAD = 12.0  # BGR spread of the page right around an icon accepted on a weak shape score
MIN_ICON_PIXELS = 20  # drawn pixels a transparent icon needs as evidence
ICON_SIZE_SLACK = 1.3  # display sizes tried for an icon blob: its estimate divided or multiplied by this
COARSE_THRESHOLD = 0.58
FINE_THRESHOLD = 0.78
CROP_THRESHOLD = 0.88  # also for opaque pictures shrunk below MIN_PHOTO_SCALE (blurred detail matches loosely)
MIN_PHOTO_SCALE = 0.2
THIN_FRACTION = 0.3  # solid share under which an icon is line art (its colour check tolerates 1 px shifts)
COLOUR_TOLERANCE = 38.0  # difference of mean BGR colours (line art, flat icons)
PIXEL_TOLERANCE = 30.0  # mean absolute BGR error per pixel of a true sighting (codec + resampling noise)
PICTURE_TOLERANCE = 20.0  # the same for opaque pictures of 2000 px and more
ICON_TOLERANCE = 28.0  # mean absolute BGR error of an icon composited over its page (edges blur when shrunk)
EXPLAINED = 0.45  # an icon's error at most this share of the bare page's error there
MIN_CONTRAST = 30.0  # BGR levels a transparent icon's solid colour must differ from the page around it
LOW_TEXTURE = 8.0  # gray spread under which an opaque asset counts only as a tiled background
MAX_CANDIDATES = 48  # coarse peaks per scale
MAX_CHOSEN = 64  # places refined per asset, crop variant and search rectangle
MAX_MISSES = 6  # candidates in a row that fail verification before an asset's search stops
TINT_BANDS = 4  # horizontal bands fitted separately (gradient layers)
MIN_TINT_AREA = 6000  # px: pictures smaller than this are not verified through a tint
REGION_STATS_BYTES = 96 << 20  # memory for the window statistics of search regions, per process
SAME_PLACE_AREA_RATIO = 4.0  # boxes of two assets this close in area compete for one place
SAME_PLACE_OVERLAP = 0.6  # share of the smaller box covered by the larger one


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
    untrimmed: tuple[np.ndarray, np.ndarray] | None = None  # whole file (BGR, 0..1 opacity) when margins were trimmed
    reduced_copies: dict[int, tuple[np.ndarray, np.ndarray | None]] = field(default_factory=dict, repr=False, compare=False)

    def full_box(self, x: float, y: float, scale: float) -> PBox:
        """Box of the whole (untrimmed) file for a trimmed match at (x, y) and scale."""
        tx, ty, fw, fh = self.trim
        if fw == 0:
            fw, fh = self.size
        return PBox(x=int(round(x - tx * scale)), y=int(round(y - ty * scale)), width=int(round(fw * scale)), height=int(round(fh * scale)))

    @property
    def size(self) -> tuple[int, int]:
        return self.bgr.shape[1], self.bgr.shape[0]

    def reduced(self, factor: int) -> tuple[np.ndarray, np.ndarray | None]:
        """BGR and opacity reduced by a power of two (area average), cached: shrinking a
        large picture to a small template starts from the nearest reduced copy."""
        if factor <= 1:
            return self.bgr, self.alpha
        cache = self.reduced_copies
        if factor not in cache:
            bgr, alpha = self.reduced(factor // 2)
            size = (max(1, bgr.shape[1] // 2), max(1, bgr.shape[0] // 2))
            cache[factor] = (cv2.resize(bgr, size, interpolation=cv2.INTER_AREA),
                             cv2.resize(alpha, size, interpolation=cv2.INTER_AREA) if alpha is not None else None)
        return cache[factor]

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
    whole = None
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
            whole = (np.ascontiguousarray(img), alpha.astype(np.float32) / 255.0)
            img, mask = img[y0:y1, x0:x1], mask[y0:y1, x0:x1]  # trim transparent margins
            soft = whole[1][y0:y1, x0:x1]
            trim = (int(x0), int(y0), trim[2], trim[3])
    if min(img.shape[:2]) < 4:
        return "too small"
    return LoadedAsset(path.name, np.ascontiguousarray(img), mask, trim, soft, whole)


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
    offset: tuple[int, int] | None = None  # where the template sits in the whole displayed file (trimmed assets)
    palette: tuple[np.ndarray, int] | None = None  # main solid colour and how many pixels have it (lazily)

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

    @cached_property
    def gray_std(self) -> float:
        """Spread of `gray` (a flat template cannot be correlated)."""
        return float(self.gray.std())

    @cached_property
    def solid(self) -> tuple[np.ndarray, np.ndarray]:
        """The fully opaque pixels, and their interior (without the 1 px rim)."""
        solid = self.alpha >= 0.9 if self.alpha is not None else np.ones(self.bgr.shape[:2], bool)
        return solid, _interior(solid)

    @cached_property
    def layers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """For a transparent template: the page right around the shape (or all clear
        pixels when that is too thin), the inked pixels, their opacities, and how many
        pixels are at least half opaque."""
        a = self.alpha
        assert a is not None
        shape = (a >= 0.5).astype(np.uint8)
        clear = a < 0.1
        ring = clear & (cv2.dilate(shape, np.ones((5, 5), np.uint8)) > 0)
        if int(ring.sum()) < 4:
            ring = clear
        inked = a >= 0.1
        return ring, inked, a[inked], int(shape.sum())

    @cached_property
    def ink(self) -> tuple[np.ndarray, np.ndarray, int, float, float]:
        """The gray drawn shape of a transparent template: gray, shape mask, and the count,
        sum and sum of squares of its gray levels (for the spread of composites)."""
        g = cv2.cvtColor(self.bgr, cv2.COLOR_BGR2GRAY)
        shape = self.mask > 0 if self.mask is not None else np.ones(g.shape, bool)
        v = g[shape].astype(np.float64)
        return g, shape, int(v.size), float(v.sum()), float((v * v).sum())


def _scaled(asset: LoadedAsset, s: float, crop: tuple[int, int, int, int] | None = None) -> _Template:
    if crop is None and asset.untrimmed is not None:
        return _scaled_whole(asset, s)
    cx, cy, cw, ch = crop if crop is not None else (0, 0, *asset.size)
    w, h = max(1, int(round(cw * s))), max(1, int(round(ch * s)))
    f = 1
    while f < 8 and s * f * 2 <= 1.0 and min(cw, ch) // (f * 2) >= 2 * max(1, min(w, h)):  # a reduced copy still twice as large
        f *= 2
    bgr, alpha = asset.reduced(f)
    bgr = bgr[cy // f:(cy + ch) // f, cx // f:(cx + cw) // f]
    alpha = alpha[cy // f:(cy + ch) // f, cx // f:(cx + cw) // f] if alpha is not None else None
    mask = asset.mask[cy:cy + ch, cx:cx + cw] if asset.mask is not None else None
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    b = cv2.resize(bgr, (w, h), interpolation=interp)
    g = cv2.cvtColor(b, cv2.COLOR_BGR2GRAY)
    m = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST) if mask is not None else None
    opaque = m if m is not None and cv2.countNonZero(m) else None  # None: every pixel
    gray_mean, gray_std = cv2.meanStdDev(g, mask=opaque)
    mean = cv2.mean(b, mask=opaque)
    if opaque is not None:
        g = g.copy()
        g[m == 0] = int(gray_mean[0, 0])  # the mean of the opaque pixels, where transparent
    a = cv2.resize(alpha, (w, h), interpolation=interp) if alpha is not None else None
    return _Template(g, m, b, s, crop, float(gray_std[0, 0]), (float(mean[0]), float(mean[1]), float(mean[2])), a)


def _scaled_whole(asset: LoadedAsset, s: float) -> _Template:
    """A trimmed asset scaled as the browser does: the whole file resized, then its
    opaque part cut out on the display's pixel grid (no sub-pixel shift)."""
    bgr, alpha = asset.untrimmed  # type: ignore[misc]
    tx, ty, fw, fh = asset.trim
    w, h = asset.size
    dw, dh = max(1, int(round(fw * s))), max(1, int(round(fh * s)))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    a = cv2.resize(alpha, (dw, dh), interpolation=interp)
    pre = cv2.resize(bgr.astype(np.float32) * alpha[..., None], (dw, dh), interpolation=interp)  # premultiplied:
    b = np.clip(pre / np.maximum(a, 1e-3)[..., None], 0, 255).astype(np.uint8)  # transparent pixels do not bleed in
    x0, y0 = min(dw - 1, int(np.floor(tx * s))), min(dh - 1, int(np.floor(ty * s)))
    x1, y1 = max(x0 + 1, min(dw, int(np.ceil((tx + w) * s)))), max(y0 + 1, min(dh, int(np.ceil((ty + h) * s))))
    b, a = np.ascontiguousarray(b[y0:y1, x0:x1]), np.ascontiguousarray(a[y0:y1, x0:x1])
    m = (a >= 0.5).astype(np.uint8) * 255
    if not m.any():
        m[a >= a.max()] = 255
    g = cv2.cvtColor(b, cv2.COLOR_BGR2GRAY)
    opaque = m > 0
    std = float(g[opaque].std())
    mean = b[opaque].astype(np.float32).mean(axis=0)
    g = g.copy()
    g[~opaque] = int(g[opaque].mean())
    return _Template(g, m, b, s, None, std, (float(mean[0]), float(mean[1]), float(mean[2])), a, (x0, y0))


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


def _ncc(image: np.ndarray, tpl: np.ndarray, mask: np.ndarray | None, textured: bool | None = None) -> np.ndarray:
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
            np.divide(1.0, np.sqrt(var, where=var > 0.01 * n, out=np.zeros_like(var)), out=inv, where=var > 0.01 * n, casting="unsafe")
            self._windows[th, tw] = (w1.astype(np.float32), inv)
        return self._windows[th, tw]

    def ncc(self, tpl: np.ndarray) -> np.ndarray:
        """Equal to cv2.matchTemplate(pixels, tpl, TM_CCOEFF_NORMED) for a textured template."""
        th, tw = tpl.shape
        stats = self._window_stats(th, tw)
        if stats is None:
            return _ncc(self.pixels, tpl, None)
        w1, inv = stats
        t = tpl.astype(np.float32)
        mean = float(t.mean())
        norm = float(np.sqrt(((t - mean) ** 2).sum()))
        corr = cv2.matchTemplate(self.pixels, tpl, cv2.TM_CCORR)
        return cv2.multiply(cv2.scaleAdd(w1, -mean, corr), inv, scale=1.0 / max(norm, 1e-6))


def _on_background(win: np.ndarray, tpl: _Template, pad: int = 2) -> tuple[float, tuple[int, int]]:
    """NCC of the template composited over the window's border colour, with a margin."""
    g, shape, m, s1, s2 = tpl.ink
    h, w = g.shape[0] + 2 * pad, g.shape[1] + 2 * pad
    if h > win.shape[0] or w > win.shape[1]:
        return -1.0, (0, 0)
    bg = int(_median(np.concatenate([win[0], win[-1], win[:, 0], win[:, -1]])))
    n = h * w
    mean = (s1 + (n - m) * bg) / n
    if (s2 + (n - m) * bg * bg) / n - mean * mean < 4.0:  # the composite is flat (spread under 2 levels)
        return -1.0, (0, 0)
    comp = cv2.copyMakeBorder(np.where(shape, g, bg).astype(np.uint8), pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=bg)
    res = cv2.matchTemplate(win, comp, cv2.TM_CCOEFF_NORMED)
    res[~np.isfinite(res)] = -1.0
    _, score, _, (lx, ly) = cv2.minMaxLoc(res)
    return float(score), (lx + pad, ly + pad)


def _median(values: np.ndarray) -> float:
    """np.median of a 1-D array, without its overhead."""
    n = values.size
    k = n // 2
    if n % 2:
        return float(np.partition(values, k)[k])
    part = np.partition(values, (k - 1, k))
    return (float(part[k - 1]) + float(part[k])) / 2


def _colour_ok(patch: np.ndarray, tpl: _Template, clean: bool = False) -> bool:
    """Pixel by pixel colour agreement of the patch with the template.

    Opaque templates and filled shapes: the mean absolute BGR error over their (solid)
    pixels must stay within codec and resampling noise. Line art (few solid pixels, where
    anti-aliased edges dominate): the opacity-weighted mean colours, the template first
    composited over the patch's border colour.
    """
    if patch.shape[:2] != tpl.bgr.shape[:2]:
        return False
    if tpl.alpha is None:  # chroma subsampling errors sit on edges: large pictures average them away
        return _pixel_error(patch, tpl.bgr, None) <= _picture_tolerance(tpl)
    solid, core = tpl.solid
    if not _explains(patch, tpl, clean):
        return False
    if float(solid.mean()) >= THIN_FRACTION:
        return _pixel_error(patch, tpl.bgr, core) <= PIXEL_TOLERANCE
    return True


def _explains(patch: np.ndarray, tpl: _Template, clean: bool = False) -> bool:
    """A transparent icon composited over the page colour next to it must reproduce the
    patch pixel by pixel, clearly better than the bare page does (no icon there).
    `clean`: the page right around the shape must also be plain."""
    ring, inked, w, drawn = tpl.layers  # w: the solid core counts more than soft edges
    if drawn < MIN_ICON_PIXELS:
        return False  # too few pixels to tell an icon from a glyph
    enough_ring = int(ring.sum()) >= 4
    if clean and (not enough_ring or float(patch[ring].astype(np.float32).std(axis=0).mean()) > PLAIN_PAGE_SPREAD):
        return False
    if enough_ring:
        bg = np.median(patch[ring].astype(np.float32), axis=0)
    else:
        bg = np.median(np.concatenate([patch[0], patch[-1], patch[:, 0], patch[:, -1]]).astype(np.float32), axis=0)
    p = patch.astype(np.float32)[inked]
    err_icon = float((np.abs(p - tpl.over(bg)[inked]).mean(axis=1) * w).sum() / w.sum())
    err_page = float((np.abs(p - bg).mean(axis=1) * w).sum() / w.sum())
    contrast = float((np.abs(tpl.bgr[inked].astype(np.float32) - bg).max(axis=1) * w).sum() / w.sum())
    if contrast < MIN_CONTRAST:
        return False  # the icon does not stand out from the page around it: no evidence
    return err_icon <= ICON_TOLERANCE and err_icon <= EXPLAINED * err_page


def _picture_tolerance(tpl: _Template) -> float:
    return PICTURE_TOLERANCE if tpl.bgr.shape[0] * tpl.bgr.shape[1] >= 2000 else PIXEL_TOLERANCE


def _tinted_ok(picture: np.ndarray, patch: np.ndarray, tolerance: float) -> bool:
    """The patch is the picture behind a translucent layer (one gain, a colour offset; a
    gradient layer: fitted per horizontal band). Only large pictures: small ones fit anything."""
    h = picture.shape[0]
    if picture.shape[0] * picture.shape[1] < MIN_TINT_AREA or h < 4:
        return False
    bands = max(1, min(TINT_BANDS, h // 8))
    fits = [tint_fit(picture[i * h // bands:(i + 1) * h // bands], patch[i * h // bands:(i + 1) * h // bands]) for i in range(bands)]
    if any(f is None for f in fits):
        return False
    return all(MIN_TINT_GAIN <= f[0] <= 1.1 for f in fits) and float(np.mean([f[1] for f in fits])) <= tolerance / 2  # type: ignore[index]


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
    if float(d.mean()) <= COLOUR_TOLERANCE:
        return True
    if patch.shape[:2] != bgr.shape[:2] or patch.shape[0] * patch.shape[1] < MIN_TINT_AREA:
        return False
    fit = tint_fit(bgr[::4, ::4], patch[::4, ::4])  # behind a translucent layer?
    return fit is not None and MIN_TINT_GAIN <= fit[0] <= 1.1 and fit[1] <= COLOUR_TOLERANCE


def _palette_ok(patch: np.ndarray, tpl: _Template) -> bool:
    """A cheap screen: the icon's main colour covers a fair share of the pixels in the blob
    that it would cover if the icon were there."""
    if tpl.palette is None:
        solid = tpl.solid[0]
        if not solid.any():
            return True
        main = np.median(tpl.bgr[solid].astype(np.float32), axis=0)
        tpl.palette = (main, int((np.abs(tpl.bgr[solid].astype(np.float32) - main).mean(axis=1) <= COLOUR_TOLERANCE).sum()))
    main, expected = tpl.palette
    near = cv2.absdiff(np.ascontiguousarray(patch), (float(main[0]), float(main[1]), float(main[2]), 0.0))  # |a - b| per channel
    present = int(np.count_nonzero(near.reshape(-1, 3).sum(axis=1, dtype=np.int32) <= 3 * COLOUR_TOLERANCE))
    return present >= 0.3 * expected


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


def _flat_ok(patch: np.ndarray, tpl: _Template, clean: bool = False) -> bool:
    """For a flat template, the patch must be flat too, with the same colour."""
    sel = tpl.solid[1]
    if not sel.any():
        return False
    return bool(float(cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY)[sel].std()) < 12) and _colour_ok(patch, tpl, clean)


class AssetMatcher:
    """Matches assets against keyframe images, restricted to search rectangles."""

    def __init__(self, frame_size: tuple[int, int]) -> None:
        self.W, self.H = frame_size
        self._cache: dict[tuple[str, float, tuple[int, int, int, int] | None], _Template] = {}
        self._regions: dict[tuple[int, int, tuple[int, int, int, int]], SearchRegion] = {}
        self._stats_budget = [REGION_STATS_BYTES]

    def _region(self, level_image: np.ndarray, level: int, rect: tuple[int, int, int, int], pixels: np.ndarray) -> SearchRegion:
        """A search region of a pyramid level, cached: every template searched there shares
        its window statistics."""
        key = (id(level_image), level, rect)
        if key not in self._regions:
            self._regions[key] = SearchRegion(pixels, self._stats_budget)
        return self._regions[key]

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

    def match(self, asset: LoadedAsset, frame: np.ndarray, gray_levels: dict[int, np.ndarray], rect: tuple[int, int, int, int], keyframe: int,
              focus: Focus | None = None) -> list[AssetMatch]:
        """Matches of one asset inside rect (x, y, w, h) of a BGR keyframe; with `focus`,
        only places that overlap one of its boxes (what is new there)."""
        variants: list[tuple[int, int, int, int] | None] = [None, *crop_variants(asset)]
        found: list[AssetMatch] = []
        for crop in variants:
            candidates = [c for s in self.scales(asset, crop) for c in self._coarse(asset, s, crop, gray_levels, rect)]
            if focus is not None:
                candidates = [c for c, hit in zip(candidates, focus.hits([c[3:7] for c in candidates])) if hit]
            candidates.sort(key=lambda c: (-round(c[0], 2), -c[5] * c[6]))  # on a tie the larger display explains more
            chosen = _one_per_place(candidates, 0.3, MAX_CHOSEN)
            misses = 0  # repeated icons verify one after another; stop after a run of failures
            for score, s, crop_, x, y, cw, ch, level in chosen:
                if misses >= MAX_MISSES and not asset.low_texture:  # a tile's coarse peaks tie everywhere
                    break
                if crop_ is not None and any(touches(m.box, (x, y, 1, 1)) for m in found):
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
        """Small displays: compare the asset, sized to each blob proposal, with that blob.
        A blob is either the icon's drawn part or its whole element (a badge behind it)."""
        aw, ah = asset.size
        fw, fh = asset.trim[2] or aw, asset.trim[3] or ah
        found = []
        for x, y, w, h in proposals:
            scales = [(w / bw + h / bh) / 2 for bw, bh in {(aw, ah), (fw, fh)}
                      if 0.08 <= w / bw <= 3.0 and abs((w / bw) / (h / bh) - 1) <= 0.25 and max(fw * w / bw, fh * h / bh) <= MAX_ICON]
            if not scales:
                continue
            patch = frame[y:y + h, x:x + w]
            if patch.size == 0:
                continue
            if not _palette_ok(patch, self.template(asset, scales[0], None)):
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
        fw = asset.trim[2] or asset.size[0]
        d0s = [fw * s for s in scales]
        lo, hi = max(MIN_ICON, int(np.floor(min(d0s) / ICON_SIZE_SLACK))), int(np.ceil(max(d0s) * ICON_SIZE_SLACK))
        scores: dict[int, tuple[float, _Template, int, int] | None] = {}

        def score(d: int) -> tuple[float, _Template, int, int] | None:
            if d not in scores:
                scores[d] = self._score_at(asset, d / fw, None, gray, 1, cx, cy, 2) if lo <= d <= hi else None
            return scores[d]

        for d in range(lo, hi + 1, 2):  # every other size, then the neighbours of the best
            score(d)
        for d in sorted((d for d in scores if scores[d] is not None), key=lambda d: -scores[d][0])[:2]:  # type: ignore[index]
            if scores[d][0] < ICON_THRESHOLD - NEIGHBOUR_GAIN:  # type: ignore[index]
                break  # a 1 px size change cannot lift a score this low to the threshold
            score(d - 1)
            score(d + 1)
        scored = sorted((r for r in scores.values() if r is not None), key=lambda r: -r[0])
        for best in scored[:ICON_VERIFIED]:  # small icons score low on shape alone: the pixel check decides
            if best[0] < ICON_THRESHOLD:
                break
            m = self._accept(asset, best, None, frame, keyframe)
            if m is not None:
                return m
        return None

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
        gray_tpl, spread = tpl.gray, tpl.gray_std
        if tpl.alpha is not None and small.size:  # transparent parts show the page behind
            gray_tpl = tpl.gray_over(float(np.median(small[::4, ::4])))
            spread = float(gray_tpl.std())
        if spread < 2.0:
            res = 1.0 - cv2.matchTemplate(small, gray_tpl, cv2.TM_SQDIFF_NORMED)
        else:
            res = self._region(gray_levels[level], level, rect, small).ncc(gray_tpl)
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
        return self._accept(asset, best, crop, frame, keyframe)

    def _accept(self, asset: LoadedAsset, best: tuple[float, _Template, int, int], crop: tuple[int, int, int, int] | None,
                frame: np.ndarray, keyframe: int) -> AssetMatch | None:
        """Verify the colours at a scored placement (or 1 px beside it); the match when they agree."""
        score, tpl, bx, by = best
        th, tw = tpl.gray.shape
        check = _flat_ok if tpl.gray_std < 2.0 else _colour_ok
        shifts = (0, -1, 1)  # the peak may sit 1 px off where edges are soft
        near = [(bx + dx, by + dy) for dy in shifts for dx in shifts if bx + dx >= 0 and by + dy >= 0]
        clean = crop is None and score < FINE_THRESHOLD  # a weak shape score: the icon must sit on a plain page
        place = next(((x, y) for x, y in near if check(frame[y:y + th, x:x + tw], tpl, clean)), None)
        if place is None and tpl.alpha is None and _tinted_ok(tpl.bgr, frame[by:by + th, bx:bx + tw], _picture_tolerance(tpl)):
            place = (bx, by)  # the picture behind a translucent layer
        if place is None:
            return None
        bx, by = place
        if crop is not None:
            box = self._visible_extent(asset, tpl.scale, crop, frame, bx, by)
            method = "crop"
        else:
            box = _displayed_box(asset, tpl, bx, by)
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
                _, s2, _, loc2 = cv2.minMaxLoc(_ncc(win, tpl.gray, tpl.mask, textured=True))
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
        cx0, cy0 = bx - x0, by - y0
        cx1 = min(x1 - x0, cx0 + int(crop[2] * scale))
        cy1 = min(y1 - y0, cy0 + int(crop[3] * scale))
        shown, own = frame[y0:y1, x0:x1], pic[y0 - fy:y1 - fy, x0 - fx:x1 - fx]
        err = cv2.absdiff(shown, own).mean(axis=2)
        if float(err[cy0:cy1, cx0:cx1].mean()) > PIXEL_TOLERANCE:  # behind a translucent layer
            err = _row_tinted_error(own, shown, cx0, cx1)
        rows = err[:, cx0:cx1].mean(axis=1) <= 1.5 * PIXEL_TOLERANCE
        top, bottom = _grow(rows, cy0, cy1)
        cols = err[top:bottom, :].mean(axis=0) <= 1.5 * PIXEL_TOLERANCE
        left, right = _grow(cols, cx0, cx1)
        return PBox(x=x0 + left, y=y0 + top, width=right - left, height=bottom - top)


def _row_tinted_error(picture: np.ndarray, shown: np.ndarray, c0: int, c1: int) -> np.ndarray:
    """Per-pixel error after fitting, row by row over columns [c0, c1), a gain and colour
    offset (a translucent gradient layer in front of a picture)."""
    b = picture.astype(np.float32)
    a = shown.astype(np.float32)
    bm, am = b[:, c0:c1].mean(axis=1, keepdims=True), a[:, c0:c1].mean(axis=1, keepdims=True)
    bc, ac = b[:, c0:c1] - bm, a[:, c0:c1] - am
    g = (bc * ac).sum(axis=(1, 2)) / np.maximum((bc * bc).sum(axis=(1, 2)), 1e-3)
    g = np.clip(g, MIN_TINT_GAIN, 1.1)[:, None, None]
    return np.abs((a - am) - g * (b - bm)).mean(axis=2)


def _displayed_box(asset: LoadedAsset, tpl: _Template, x: int, y: int) -> PBox:
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


@dataclass
class SearchResult:
    """Fresh and carried sightings per keyframe of the assets searched, and the seconds
    each asset took (to share the next search out evenly)."""

    found: dict[int, list[AssetMatch]]
    seconds: dict[str, float]


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
            self.worker.submit(self.assets, [image], [Basis((), ((0, 0, W, H),))])

    def finish(self, frames: list[np.ndarray], changed: list[list[tuple[int, int, int, int]] | None]) -> list[AssetReport]:
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

    def _collect(self, frames: list[np.ndarray], changed: list[list[tuple[int, int, int, int]] | None]) -> None:
        levels = [pyramid(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)) for f in frames]
        found = self._search(frames, plan_bases(levels, changed), levels)
        low_texture = {a.name for a in self.assets if a.low_texture}
        by_name: dict[str, list[AssetMatch]] = {a.name: [] for a in self.assets}
        for k in range(len(frames)):
            candidates = sorted(found.get(k, []), key=lambda m: (m.asset, m.box.as_tuple()))  # the same order however the search was split
            current = inside_tiled(merge_tiles(nms(_across_assets(candidates), 0.5)))
            for m in current:
                if m.method == "tiled" or m.asset not in low_texture:
                    by_name[m.asset].append(m)
        for r in self.reports:
            if r.readable:
                r.matches = by_name.get(r.asset, [])

    def _search(self, frames: list[np.ndarray], bases: list[Basis], levels: list[dict[int, np.ndarray]]) -> dict[int, list[AssetMatch]]:
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

        def feed_worker() -> None:  # one asset at a time: both processes finish at about the same time
            first_request = True
            try:
                while (asset := next_asset()) is not None:
                    if first_request:
                        self.worker.submit([asset], frames, bases, seed)  # type: ignore[union-attr]
                        first_request = False
                    else:
                        self.worker.submit([asset])  # type: ignore[union-attr]
                    results.append(self.worker.result())  # type: ignore[union-attr]
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


def match_assets(asset_paths: list[Path], frames: list[np.ndarray], changed: list[list[tuple[int, int, int, int]] | None],
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
        self._proposals: dict[tuple[int, tuple[int, int, int, int]], list[tuple[int, int, int, int]]] = {}
        self._regions: dict[int, tuple[list[tuple[int, int, int, int]], Focus]] = {}  # per keyframe, shared by the assets

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

    def _where(self, k: int, again: list[tuple[int, int, int, int]]) -> tuple[list[tuple[int, int, int, int]], Focus]:
        """Rectangles to search in keyframe k and the boxes a sighting must overlap."""
        novel = self.bases[k].novel
        if k not in self._regions:
            self._regions[k] = (search_rects(novel, self.W, self.H), Focus(novel, self.W, self.H))
        rects, focus = self._regions[k]
        if again:
            return search_rects([*rects, *again], self.W, self.H), Focus([*novel, *again], self.W, self.H)
        return rects, focus

    def _search(self, asset: LoadedAsset, k: int, rect: tuple[int, int, int, int], focus: Focus) -> list[AssetMatch]:
        found = self.matcher.match(asset, self.frames[k], self.levels[k], rect, k, focus)
        if min(asset.size) <= MAX_ICON:
            if (k, rect) not in self._proposals:
                self._proposals[k, rect] = icon_proposals(self.levels[k][1], rect)
            blobs = self._proposals[k, rect]
            found += self.matcher.match_icons(asset, self.frames[k], self.levels[k][1], [b for b, hit in zip(blobs, focus.hits(blobs)) if hit], k)
        return found


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

