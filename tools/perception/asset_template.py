"""An asset scaled to one display size (and crop): the template the matcher correlates and verifies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from .asset_load import LoadedAsset
from .types import PBox


@dataclass
class Template:
    gray: np.ndarray  # mean-filled where transparent
    mask: np.ndarray | None
    bgr: np.ndarray
    scale: float
    crop: PBox | None  # the crop inside the asset at scale 1
    std: float = 0.0  # gray spread over the opaque pixels
    mean_bgr: tuple[float, float, float] = (0.0, 0.0, 0.0)
    alpha: np.ndarray | None = None  # 0..1 opacity at this scale
    offset: tuple[int, int] | None = None  # where the template sits in the whole displayed file (trimmed assets)
    palette: tuple[np.ndarray, int] | None = None  # main solid colour and how many pixels have it (lazily)

    def over(self, bg: np.ndarray | float | tuple[float, float, float]) -> np.ndarray:
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


def scaled_template(asset: LoadedAsset, s: float, crop: PBox | None = None) -> Template:
    """The asset (or its `crop`, in file pixels) at display scale `s`."""
    if crop is None and asset.untrimmed is not None:
        return _scaled_whole(asset, asset.untrimmed, s)
    cx, cy, cw, ch = crop.as_tuple() if crop is not None else (0, 0, *asset.size)
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
    return Template(g, m, b, s, crop, float(gray_std[0, 0]), (float(mean[0]), float(mean[1]), float(mean[2])), a)


def _scaled_whole(asset: LoadedAsset, untrimmed: tuple[np.ndarray, np.ndarray], s: float) -> Template:
    """A trimmed asset scaled as the browser does: the whole file (`untrimmed`: BGR and
    opacity) resized, then its opaque part cut out on the display's pixel grid (no sub-pixel shift)."""
    bgr, alpha = untrimmed
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
    return Template(g, m, b, s, None, std, (float(mean[0]), float(mean[1]), float(mean[2])), a, (x0, y0))


def _interior(solid: np.ndarray) -> np.ndarray:
    """A solid mask without its 1 px rim (edges blend with the page and shift sub-pixel),
    unless too little would remain."""
    inner = cv2.erode(solid.astype(np.uint8), np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    return inner if int(inner.sum()) >= max(9, 0.3 * int(solid.sum())) else solid
