"""Asset files decoded for matching: BGR pixels, opacity, trimmed transparent margins."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from .types import PBox

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}
LOW_TEXTURE = 8.0  # gray spread under which an opaque asset counts only as a tiled background


class Trim(NamedTuple):
    """Where the trimmed pixels sit in the file (x, y) and the file's whole size."""

    x: int
    y: int
    full_width: int
    full_height: int


NO_TRIM = Trim(0, 0, 0, 0)  # not set: the file's size is the asset's


@dataclass
class LoadedAsset:
    """An asset decoded to BGR plus an alpha mask (None when opaque).

    Transparent margins are trimmed for matching; `trim` maps a match back to the box of the whole file as displayed.
    """

    name: str
    bgr: np.ndarray
    mask: np.ndarray | None
    trim: Trim = NO_TRIM
    alpha: np.ndarray | None = None  # 0..1 opacity (trimmed like bgr) when the file has transparency
    untrimmed: tuple[np.ndarray, np.ndarray] | None = None  # whole file (BGR, 0..1 opacity) when margins were trimmed
    reduced_copies: dict[int, tuple[np.ndarray, np.ndarray | None]] = field(default_factory=dict, repr=False, compare=False)

    def full_box(self, x: float, y: float, scale: float) -> PBox:
        """Box of the whole (untrimmed) file for a trimmed match at (x, y) and scale."""
        tx, ty, fw, fh = self.trim
        if fw == 0:
            fw, fh = self.size
        return PBox(x=int(round(x - tx * scale)), y=int(round(y - ty * scale)), width=int(round(fw * scale)),
                    height=int(round(fh * scale)))

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
    trim = Trim(0, 0, img.shape[1], img.shape[0])
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
            trim = Trim(int(x0), int(y0), trim.full_width, trim.full_height)
    if min(img.shape[:2]) < 4:
        return "too small"
    return LoadedAsset(path.name, np.ascontiguousarray(img), mask, trim, soft, whole)
