"""Colour checks of a placed template: does the patch of the keyframe show the asset's pixels?"""

from __future__ import annotations

import cv2
import numpy as np

from .asset_load import LoadedAsset
from .asset_motion import MIN_TINT_GAIN, tint_fit
from .asset_template import Template
from .types import PBox

PLAIN_PAGE_SPREAD = 12.0  # BGR spread of the page right around an icon accepted on a weak shape score
MIN_ICON_PIXELS = 20  # drawn pixels a transparent icon needs as evidence
THIN_FRACTION = 0.3  # solid share under which an icon is line art (its colour check tolerates 1 px shifts)
COLOUR_TOLERANCE = 38.0  # difference of mean BGR colours (line art, flat icons)
PIXEL_TOLERANCE = 30.0  # mean absolute BGR error per pixel of a true sighting (codec + resampling noise)
PICTURE_TOLERANCE = 20.0  # the same for opaque pictures of 2000 px and more
ICON_TOLERANCE = 28.0  # mean absolute BGR error of an icon composited over its page (edges blur when shrunk)
EXPLAINED = 0.45  # an icon's error at most this share of the bare page's error there
MIN_CONTRAST = 30.0  # BGR levels a transparent icon's solid colour must differ from the page around it
TINT_BANDS = 4  # horizontal bands fitted separately (gradient layers)
MIN_TINT_AREA = 6000  # px: pictures smaller than this are not verified through a tint


def on_background(win: np.ndarray, tpl: Template, pad: int = 2) -> tuple[float, tuple[int, int]]:
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


def colour_ok(patch: np.ndarray, tpl: Template, clean: bool = False) -> bool:
    """Pixel by pixel colour agreement of the patch with the template.

    Opaque templates and filled shapes: the mean absolute BGR error over their (solid)
    pixels must stay within codec and resampling noise. Line art (few solid pixels, where
    anti-aliased edges dominate): the opacity-weighted mean colours, the template first
    composited over the patch's border colour.
    """
    if patch.shape[:2] != tpl.bgr.shape[:2]:
        return False
    if tpl.alpha is None:  # chroma subsampling errors sit on edges: large pictures average them away
        return _pixel_error(patch, tpl.bgr, None) <= picture_tolerance(tpl)
    solid, core = tpl.solid
    if not _explains(patch, tpl, clean):
        return False
    if float(solid.mean()) >= THIN_FRACTION:
        return _pixel_error(patch, tpl.bgr, core) <= PIXEL_TOLERANCE
    return True


def _explains(patch: np.ndarray, tpl: Template, clean: bool = False) -> bool:
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


def picture_tolerance(tpl: Template) -> float:
    return PICTURE_TOLERANCE if tpl.bgr.shape[0] * tpl.bgr.shape[1] >= 2000 else PIXEL_TOLERANCE


def tinted_ok(picture: np.ndarray, patch: np.ndarray, tolerance: float) -> bool:
    """The patch is the picture behind a translucent layer (one gain, a colour offset; a
    gradient layer: fitted per horizontal band). Only large pictures: small ones fit anything."""
    h = picture.shape[0]
    if picture.shape[0] * picture.shape[1] < MIN_TINT_AREA or h < 4:
        return False
    bands = max(1, min(TINT_BANDS, h // 8))
    fits = [tint_fit(picture[i * h // bands:(i + 1) * h // bands],
                     patch[i * h // bands:(i + 1) * h // bands]) for i in range(bands)]
    good = [f for f in fits if f is not None]
    if len(good) < len(fits):
        return False
    return all(MIN_TINT_GAIN <= f[0] <= 1.1 for f in good) and float(np.mean([f[1] for f in good])) <= tolerance / 2


def mean_colour_ok(patch: np.ndarray, asset: LoadedAsset, crop: PBox | None) -> bool:
    """The mean colour of a (coarsely placed) patch is near that of the opaque picture
    (a mean barely moves when the placement is a few px off)."""
    if patch.size == 0:
        return False
    bgr = asset.bgr if crop is None else asset.bgr[crop.y:crop.bottom, crop.x:crop.right]
    d = np.abs(np.asarray(cv2.mean(patch)[:3]) - np.asarray(cv2.mean(bgr)[:3]))
    if float(d.mean()) <= COLOUR_TOLERANCE:
        return True
    if patch.shape[:2] != bgr.shape[:2] or patch.shape[0] * patch.shape[1] < MIN_TINT_AREA:
        return False
    fit = tint_fit(bgr[::4, ::4], patch[::4, ::4])  # behind a translucent layer?
    return fit is not None and MIN_TINT_GAIN <= fit[0] <= 1.1 and fit[1] <= COLOUR_TOLERANCE


def palette_ok(patch: np.ndarray, tpl: Template) -> bool:
    """A cheap screen: the icon's main colour covers a fair share of the pixels in the blob
    that it would cover if the icon were there."""
    if tpl.palette is None:
        solid = tpl.solid[0]
        if not solid.any():
            return True
        main = np.median(tpl.bgr[solid].astype(np.float32), axis=0)
        tpl.palette = (main, int((np.abs(tpl.bgr[solid].astype(np.float32) - main).mean(axis=1) <= COLOUR_TOLERANCE).sum()))
    main, expected = tpl.palette
    scalar = (float(main[0]), float(main[1]), float(main[2]), 0.0)
    # |a - b| per channel; cv2's stubs lack the Scalar overload
    near = cv2.absdiff(np.ascontiguousarray(patch), scalar)  # type: ignore[call-overload]
    present = int(np.count_nonzero(near.reshape(-1, 3).sum(axis=1, dtype=np.int32) <= 3 * COLOUR_TOLERANCE))
    return present >= 0.3 * expected


def _pixel_error(patch: np.ndarray, bgr: np.ndarray, where: np.ndarray | None) -> float:
    """Mean absolute BGR difference, over `where` (all pixels when None)."""
    d = cv2.absdiff(patch, bgr)
    if where is None:
        return float(d.mean())
    return float(d[where].mean()) if where.any() else 255.0


def flat_ok(patch: np.ndarray, tpl: Template, clean: bool = False) -> bool:
    """For a flat template, the patch must be flat too, with the same colour."""
    sel = tpl.solid[1]
    if not sel.any():
        return False
    return bool(float(cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY)[sel].std()) < 12) and colour_ok(patch, tpl, clean)


def row_tinted_error(picture: np.ndarray, shown: np.ndarray, c0: int, c1: int) -> np.ndarray:
    """Per-pixel error after fitting, row by row over columns [c0, c1), a gain and colour
    offset (a translucent gradient layer in front of a picture)."""
    b = picture.astype(np.float32)
    a = shown.astype(np.float32)
    bm, am = b[:, c0:c1].mean(axis=1, keepdims=True), a[:, c0:c1].mean(axis=1, keepdims=True)
    bc, ac = b[:, c0:c1] - bm, a[:, c0:c1] - am
    g = (bc * ac).sum(axis=(1, 2)) / np.maximum((bc * bc).sum(axis=(1, 2)), 1e-3)
    g = np.clip(g, MIN_TINT_GAIN, 1.1)[:, None, None]
    return np.abs((a - am) - g * (b - bm)).mean(axis=2)
