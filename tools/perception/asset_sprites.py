"""Sprite sheets: one image file holding many small pictures (icons) that the page shows one
at a time, each through an element of the picture's size (CSS background-position). The
whole file never appears, so the whole-file search cannot find it; its cells are found
instead, at the size the file has (scale 1), and reported as sightings of the sheet at the
box of the cell as drawn.

A transparent file is a sheet when its opaque pixels fall apart into several separate
pictures spread over two or more rows and columns. A cell is the picture's square of a
regular grid from the file's corner when one holds each picture in a square of its own (an
icon set), else it reaches halfway to the neighbouring pictures (the element that shows
it is cut out of the sheet around it). The keyframe is
cut into small isolated blobs (morphological gradient); a blob of about a cell's inked size
is compared with the cells of about that size by shape first (normalised correlation of
the contrast against the cell's opacity, at every place near the blob), then by colour: the cell composited over the blob's
surroundings must reproduce the patch, far better than the bare surroundings do. Sheets
that share their shapes in other colours (one icon set per theme colour) are told apart by
that colour check. Blob results are cached by their pixels, so a blob seen again (the same
icon in the next keyframe, or moved by a scroll) costs a hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import cv2
import numpy as np

from .asset_load import LoadedAsset
from .types import AssetMatch, PBox

MIN_CELLS = 6  # separate pictures in a file before it counts as a sheet
MIN_INK = 2  # px: a cell's inked box is at least this wide and high (a dot matches anything) ...
MIN_INK_LONG = 5  # ... and this long one way (a dash)
MIN_INK_PIXELS = 10  # opaque pixels a cell needs
MAX_CELL_SHARE = 0.25  # a cell covers at most this share of the file's area
OPAQUE = 0.5  # opacity counted as ink
GRADIENT = 24  # gray step that outlines a blob in the keyframe
SIZE_SLACK = 1  # px a blob's inked size may differ from the cell's
SHIFT = 2  # px searched around the blob's place
SHAPE_MIN = 0.8  # shape correlation a cell needs before its colours are checked
VISIBLE_INK = 0.25  # share of a cell's ink that must show (the rest cut by the frame's edge)
SHAPE_CANDIDATES = 3  # best shapes per blob checked by colour
COLOUR_RMS = 36.0  # BGR rms error of the composited cell over the patch
BARE_RATIO = 0.35  # its error at most this share of the bare surroundings' error


@dataclass
class Cell:
    """One picture of a sheet: its inked pixels and where it is drawn relative to them."""

    sheet: str
    bgr: np.ndarray  # float32, the inked box and a pixel around it
    alpha: np.ndarray  # float32 0..1, the same box
    offset: tuple[int, int]  # cell origin minus that box's origin
    size: tuple[int, int]  # cell width, height
    ink: tuple[int, int]  # inked width, height
    origin: tuple[int, int]  # the cell's place in the file


@dataclass
class Shape:
    """Cells of one opacity pattern (the same icon in sheets of other colours)."""

    alpha: np.ndarray
    cells: list[Cell] = field(default_factory=list)

    @property
    def ink_size(self) -> tuple[int, int]:
        return self.cells[0].ink

    @cached_property
    def colours(self) -> np.ndarray:
        """The cells' pixels premultiplied by opacity, stacked: (cells, height, width, 3)."""
        return np.stack([c.bgr * self.alpha[..., None] for c in self.cells])


def _whole(asset: LoadedAsset) -> tuple[np.ndarray, np.ndarray] | None:
    """The file's BGR and opacity, untrimmed; None when it is opaque."""
    if asset.untrimmed is not None:
        return asset.untrimmed
    if asset.alpha is not None:
        return asset.bgr, asset.alpha
    return None


def _extents(boxes: np.ndarray, axis: int) -> np.ndarray:
    """Per box (rows of x0, y0, x1, y1), how far its cell reaches on both sides along one
    axis: half the gap to the nearest box that overlaps it across the axis, the nearer
    side (pictures sit centred in their cells; beyond an empty cell the gap says nothing),
    at most about twice the sheet's typical reach."""
    lo, hi = boxes[:, axis], boxes[:, axis + 2]
    c0, c1 = boxes[:, 1 - axis], boxes[:, 3 - axis]
    across = (c1[None, :] > c0[:, None]) & (c0[None, :] < c1[:, None])
    np.fill_diagonal(across, False)
    gap_before = np.where(across & (hi[None, :] <= lo[:, None]), lo[:, None] - hi[None, :], np.inf).min(axis=1)
    gap_after = np.where(across & (lo[None, :] >= hi[:, None]), lo[None, :] - hi[:, None], np.inf).min(axis=1)
    reach = np.minimum(gap_before, gap_after) // 2
    known = np.concatenate([gap_before[np.isfinite(gap_before)], gap_after[np.isfinite(gap_after)]]) // 2
    typical = float(np.median(known)) if len(known) else 0.0
    return np.minimum(np.where(np.isfinite(reach), reach, typical), 2 * typical + 1).astype(int)


def _grid(boxes: np.ndarray, W: int, H: int) -> tuple[int, int] | None:
    """The pitch of a regular grid of cells from the file's corner that holds each picture
    (rows of x0, y0, x1, y1) in a cell of its own: per axis the smallest that does and
    divides the file's size (else the smallest that does)."""
    pitch = []
    for axis, size in ((0, W), (1, H)):
        lo, hi = boxes[:, axis], boxes[:, axis + 2] - 1
        fits = [p for p in range(int((hi - lo).max()) + 1, size // 2 + 1) if bool((lo // p == hi // p).all())]
        if not fits:
            return None
        pitch.append(next((p for p in fits if size % p == 0), fits[0]))
    cells = {(int(x) // pitch[0], int(y) // pitch[1]) for x, y in boxes[:, :2]}
    return (pitch[0], pitch[1]) if len(cells) == len(boxes) else None


def _layout(alpha: np.ndarray) -> list[tuple[PBox, PBox]]:
    """The (inked box, cell box) of each picture of a sheet's opacity; empty when the file
    is not a sheet."""
    H, W = alpha.shape
    ink = (alpha >= OPAQUE).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(ink, np.ones((3, 3), np.uint8)), connectivity=8)
    boxes: list[PBox] = []
    for i in range(1, n):
        x, y, w, h, _ = (int(v) for v in stats[i])
        # the dilation grew the blob by one pixel: cut back to the inked pixels
        ys, xs = np.nonzero(ink[y:y + h, x:x + w])
        if len(xs) < MIN_INK_PIXELS:
            continue
        box = PBox(x=x + int(xs.min()), y=y + int(ys.min()), width=int(xs.max() - xs.min()) + 1,
                   height=int(ys.max() - ys.min()) + 1)
        if min(box.width, box.height) < MIN_INK or max(box.width, box.height) < MIN_INK_LONG or box.area > MAX_CELL_SHARE * W * H:
            continue
        boxes.append(box)
    rows = {b.y // max(1, b.height) for b in boxes}
    cols = {b.x // max(1, b.width) for b in boxes}
    if len(boxes) < MIN_CELLS or len(rows) < 2 or len(cols) < 2:
        return []
    arr = np.array([[b.x, b.y, b.right, b.bottom] for b in boxes], dtype=np.int64)
    grid = _grid(arr, W, H)
    if grid is not None:
        px, py = grid
        return [(b, PBox(x=b.x // px * px, y=b.y // py * py, width=px, height=py)) for b in boxes]
    xr, yr = _extents(arr.astype(np.float64), 0), _extents(arr.astype(np.float64), 1)
    out = []
    for b, rx, ry in zip(boxes, xr, yr, strict=True):
        left, up = min(int(rx), b.x), min(int(ry), b.y)
        right, down = min(int(rx), W - b.right), min(int(ry), H - b.bottom)
        out.append((b, PBox(x=b.x - left, y=b.y - up, width=b.width + left + right, height=b.height + up + down)))
    return out


def sheet_cells(asset: LoadedAsset, layouts: dict[bytes, list[tuple[PBox, PBox]]] | None = None) -> list[Cell]:
    """The cells of a sprite sheet; empty when the file is not one. `layouts` caches the
    layout by opacity (sheets of one icon set in other colours share it)."""
    whole = _whole(asset)
    if whole is None:
        return []
    bgr, alpha = whole
    key = hashlib.blake2b((alpha >= OPAQUE).tobytes() + bytes(str(alpha.shape), "ascii"), digest_size=16).digest()
    layouts = {} if layouts is None else layouts
    if key not in layouts:
        layouts[key] = _layout(alpha)
    H, W = alpha.shape
    out = []
    for b, c in layouts[key]:
        # the picture with a pixel of its surroundings (a plain bar has a shape only against them)
        x0, y0, x1, y1 = max(0, b.x - 1), max(0, b.y - 1), min(W, b.right + 1), min(H, b.bottom + 1)
        out.append(Cell(sheet=asset.name, bgr=bgr[y0:y1, x0:x1].astype(np.float32), alpha=alpha[y0:y1, x0:x1].astype(np.float32),
                        offset=(c.x - x0, c.y - y0), size=(c.width, c.height), ink=(b.width, b.height),
                        origin=(c.x, c.y)))
    return out


def _shapes(cells: list[Cell]) -> list[Shape]:
    by_pattern: dict[bytes, Shape] = {}
    for c in cells:
        key = hashlib.blake2b(np.round(c.alpha * 8).astype(np.uint8).tobytes() + bytes(str(c.alpha.shape), "ascii"),
                              digest_size=16).digest()
        if key not in by_pattern:
            by_pattern[key] = Shape(alpha=c.alpha)
        by_pattern[key].cells.append(c)
    return list(by_pattern.values())


class SpriteFinder:
    """Finds the cells of the sprite sheets among `assets` in keyframes."""

    def __init__(self, assets: list[LoadedAsset]) -> None:
        layouts: dict[bytes, list[tuple[PBox, PBox]]] = {}
        self.shapes = _shapes([c for a in assets for c in sheet_cells(a, layouts)])
        self.sheets = sorted({c.sheet for s in self.shapes for c in s.cells})
        self._by_size: dict[tuple[int, int], list[Shape]] = {}
        for s in self.shapes:
            self._by_size.setdefault(s.ink_size, []).append(s)
        sizes = [s.ink_size for s in self.shapes]
        self._min = (min((w for w, _ in sizes), default=0), min((h for _, h in sizes), default=0))
        self._max = (max((w for w, _ in sizes), default=0), max((h for _, h in sizes), default=0))
        self._cache: dict[bytes, tuple[Cell, int, int, float] | None] = {}
        self._near_cache: dict[tuple[int, int, tuple[bool, bool]], list[tuple[tuple[int, int], list[Shape], np.ndarray]]] = {}

    def __bool__(self) -> bool:
        return bool(self.shapes)

    def find(self, frame: np.ndarray, keyframe: int) -> list[AssetMatch]:
        """Sightings of sheet cells in one keyframe (BGR). A blob at the frame's edge may be
        a cell cut by it: compared by its visible part, its box clipped to the frame."""
        if not self.shapes:
            return []
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        edges = (cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) >= GRADIENT).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
        H, W = gray.shape
        m = SHIFT + 1
        pad = m + max(self._max) + SIZE_SLACK + 1  # room for the part of a cut cell beyond the frame
        padded = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        inside = cv2.copyMakeBorder(np.ones((H, W), np.uint8), pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
        out = []
        for i in range(1, n):
            x, y, w, h, _ = (int(v) for v in stats[i])
            cut_x, cut_y = (x == 0, x + w == W), (y == 0, y + h == H)
            # the gradient outlines the ink one pixel outside it (not beyond the frame)
            iw, ih = w - 2 + sum(cut_x), h - 2 + sum(cut_y)
            if not (self._min[0] - SIZE_SLACK <= iw and self._min[1] - SIZE_SLACK <= ih
                    and (any(cut_x) or iw <= self._max[0] + SIZE_SLACK) and (any(cut_y) or ih <= self._max[1] + SIZE_SLACK)):
                continue
            ix, iy = x + 1 - cut_x[0], y + 1 - cut_y[0]
            x0 = ix - m - (pad - m) * cut_x[0]
            y0 = iy - m - (pad - m) * cut_y[0]
            x1 = ix + iw + m + (pad - m) * cut_x[1]
            y1 = iy + ih + m + (pad - m) * cut_y[1]
            patch = padded[y0 + pad:y1 + pad, x0 + pad:x1 + pad]
            valid = inside[y0 + pad:y1 + pad, x0 + pad:x1 + pad]
            cut = (any(cut_x), any(cut_y))
            key = patch.tobytes() + valid.tobytes() + bytes(str(patch.shape), "ascii")
            if key not in self._cache:
                self._cache[key] = self._identify(patch, valid, iw, ih, cut)
            hit = self._cache[key]
            if hit is None:
                continue
            cell, dx, dy, err = hit
            bx, by = x0 + dx + cell.offset[0], y0 + dy + cell.offset[1]
            cx0, cy0 = max(0, bx), max(0, by)
            cx1, cy1 = min(W, bx + cell.size[0]), min(H, by + cell.size[1])
            if cx1 <= cx0 or cy1 <= cy0:
                continue
            shown = PBox(x=cell.origin[0] + cx0 - bx, y=cell.origin[1] + cy0 - by, width=cx1 - cx0, height=cy1 - cy0)
            out.append(AssetMatch(asset=cell.sheet, keyframe=keyframe, box=PBox(x=cx0, y=cy0, width=cx1 - cx0, height=cy1 - cy0),
                                  scale=1.0, confidence=round(1.0 - err / COLOUR_RMS, 3), method="sprite", cell=shown))
        return out

    def _near(self, iw: int, ih: int, cut: tuple[bool, bool]) -> list[tuple[tuple[int, int], list[Shape], np.ndarray]]:
        """Shapes of about an inked size (any larger size along an axis the frame cuts), grouped by
        the size of their opacity box, with their opacity as rows."""
        if (iw, ih, cut) not in self._near_cache:
            def fits(size: int, seen: int, axis_cut: bool) -> bool:
                return size >= seen - SIZE_SLACK if axis_cut else abs(size - seen) <= SIZE_SLACK

            by_box: dict[tuple[int, int], list[Shape]] = {}  # grouped by the size of their opacity box
            for (tw, th), shapes in self._by_size.items():
                if fits(tw, iw, cut[0]) and fits(th, ih, cut[1]):
                    for shape in shapes:
                        by_box.setdefault((shape.alpha.shape[1], shape.alpha.shape[0]), []).append(shape)
            self._near_cache[(iw, ih, cut)] = [(size, shapes, np.stack([s.alpha.ravel() for s in shapes]))
                                               for size, shapes in by_box.items()]
        return self._near_cache[(iw, ih, cut)]

    def _identify(self, patch: np.ndarray, valid: np.ndarray, iw: int, ih: int,
                  cut: tuple[bool, bool]) -> tuple[Cell, int, int, float] | None:
        """The cell a blob's patch shows (its place in the patch and its colour error), if any.
        `valid`: the patch's pixels inside the frame (1)."""
        groups = self._near(iw, ih, cut)
        if not groups:
            return None
        pf = patch.astype(np.float32)
        vf = valid.astype(np.float32)
        ring = np.concatenate([pf[0], pf[-1], pf[:, 0], pf[:, -1]])
        ring_ok = np.concatenate([valid[0], valid[-1], valid[:, 0], valid[:, -1]]) > 0
        if not ring_ok.any():
            return None
        bg = np.median(ring[ring_ok], axis=0)
        contrast = np.abs(pf - bg).sum(axis=2) * vf
        ranked: list[tuple[float, Shape, int, int]] = []
        for (tw, th), shapes, alphas in groups:
            if th > pf.shape[0] or tw > pf.shape[1]:
                continue
            ny, nx = pf.shape[0] - th + 1, pf.shape[1] - tw + 1
            c = np.lib.stride_tricks.sliding_window_view(contrast, (th, tw)).reshape(ny * nx, th * tw)
            v = np.lib.stride_tricks.sliding_window_view(vf, (th, tw)).reshape(ny * nx, th * tw)
            # the contrast's correlation with each opacity over the visible pixels of each place
            n = v.sum(axis=1, keepdims=True)
            sa, saa, sca = v @ alphas.T, v @ (alphas ** 2).T, c @ alphas.T
            sc, scc = c.sum(axis=1, keepdims=True), (c ** 2).sum(axis=1, keepdims=True)
            n = np.maximum(n, 1.0)
            cov = sca - sc * sa / n
            var = np.maximum(saa - sa ** 2 / n, 0) * np.maximum(scc - sc ** 2 / n, 0)
            corr = np.where(var > 1e-9, cov / np.sqrt(np.maximum(var, 1e-9)), -1.0)
            # at least half of the cell's ink shows
            corr[sa < VISIBLE_INK * alphas.sum(axis=1)[None, :]] = -1.0
            where = corr.argmax(axis=0)
            for j, shape in enumerate(shapes):
                ranked.append((float(corr[where[j], j]), shape, int(where[j] % nx), int(where[j] // nx)))
        ranked.sort(key=lambda r: -r[0])
        best: tuple[Cell, int, int, float] | None = None
        for score, shape, dx, dy in ranked[:SHAPE_CANDIDATES]:
            if score < SHAPE_MIN:
                break
            th, tw = shape.alpha.shape
            window = pf[dy:dy + th, dx:dx + tw]
            seen = vf[dy:dy + th, dx:dx + tw][None, ..., None]
            count = 3 * float(seen.sum())
            bare = float(np.sqrt((((window - bg) ** 2) * seen[0]).sum() / count))
            # every colour of this shape composited over the surroundings, at once
            templ = shape.colours + (1 - shape.alpha)[None, ..., None] * bg
            errs = np.sqrt((((templ - window[None]) ** 2) * seen).sum(axis=(1, 2, 3)) / count)
            k = int(np.argmin(errs))
            err = float(errs[k])
            if err <= COLOUR_RMS and err <= BARE_RATIO * bare and (best is None or err < best[3]):
                best = (shape.cells[k], dx, dy, err)
        return best

__all__ = ["Cell", "SpriteFinder", "sheet_cells"]
