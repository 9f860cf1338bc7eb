"""Image and text similarity for the judge's visual scores; no downloaded weights needed.

`structural_similarity(a, b)` in [0, 1] combines two terms:
- SSIM (Gaussian window 11, sigma 1.5) of both images as grayscale, resized to the
  reference's aspect at 512 px wide (fine layout and text-block structure), clipped to
  [0, 1], weight 0.7;
- colour-histogram intersection (HSV, 16x4x4 bins, normalised), weight 0.3: catches
  palette changes that SSIM on grayscale misses.
`text_similarity(a, b)` = 1 - Levenshtein(a, b) / max(len) on lower-cased text (paper).
`changed_regions(a, b)` = boxes where two same-size images differ.
`load_image` keeps the last few decoded images (keyed by path, size and mtime) so the
judge decodes each screenshot and checkpoint once; `remember(path, img)` primes it with an
image the caller already decoded. `crop_similarity` compares two image regions (look
grounding).
`DinoScorer(weights)` is an opt-in DINOv2 CLS cosine similarity; it needs torch and
transformers and a local weights folder given by the user (nothing is downloaded).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np

from ..core.change import IMAGE_CHANGE, change_boxes, changed_mask
from ..core.geometry import PixelBox

SSIM_WIDTH = 512
SSIM_WEIGHT = 0.7
HIST_WEIGHT = 0.3


DECODED_CACHE_BYTES = 160 * 2**20  # decoded images kept: ~60 of 1280x720 (2.7 MB each)
_decoded: OrderedDict[tuple[str, int, int], np.ndarray] = OrderedDict()
_decoded_lock = threading.Lock()


def _file_key(path: Path | str) -> tuple[str, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.path.abspath(path), st.st_size, st.st_mtime_ns)


def remember(path: Path | str, img: np.ndarray) -> None:
    """Record the decoded content of the file at `path` (just written by the caller)."""
    key = _file_key(path)
    if key is None:
        return
    img.flags.writeable = False  # shared: callers must not modify cached images
    with _decoded_lock:
        _decoded[key] = img
        _decoded.move_to_end(key)
        total = sum(v.nbytes for v in _decoded.values())
        while total > DECODED_CACHE_BYTES and len(_decoded) > 1:
            total -= _decoded.popitem(last=False)[1].nbytes


def load_image(path: Path | str) -> np.ndarray:
    """Read an image as BGR uint8 (alpha dropped; read-only, possibly shared from the cache of
    recently decoded files); raises FileNotFoundError."""
    key = _file_key(path)
    if key is not None:
        with _decoded_lock:
            hit = _decoded.get(key)
            if hit is not None:
                _decoded.move_to_end(key)
                return hit
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"cannot read image {path}")
    if key is not None:
        remember(path, img)
    return img


def decode_png(data: bytes) -> np.ndarray | None:
    """Decode image bytes as BGR uint8 (None when they are not an image)."""
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def _as_image(img: np.ndarray | Path | str) -> np.ndarray:
    return img if isinstance(img, np.ndarray) else load_image(img)


def text_similarity(a: str, b: str) -> float:
    """1 - Levenshtein distance / longer length, lower-cased; two empty texts give 1."""
    from rapidfuzz.distance import Levenshtein

    a, b = (a or "").lower(), (b or "").lower()
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    return 1.0 - Levenshtein.distance(a, b) / longest


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda x: cv2.GaussianBlur(x, (11, 11), 1.5)  # noqa: E731
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a * mu_a
    var_b = blur(b * b) - mu_b * mu_b
    cov = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))


def _histogram(img: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [16, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
    total = hist.sum()
    return hist / total if total > 0 else hist


def _common_size(reference: np.ndarray, width: int = SSIM_WIDTH) -> tuple[int, int]:
    h, w = reference.shape[:2]
    width = min(width, w)
    return width, max(1, round(h * width / w))


def structural_similarity(candidate: np.ndarray | Path | str, reference: np.ndarray | Path | str) -> float:
    """0.7 SSIM(grayscale, 512 px wide) + 0.3 HSV histogram intersection, in [0, 1]."""
    cand, ref = _as_image(candidate), _as_image(reference)
    size = _common_size(ref)
    cand_s = cv2.resize(cand, size, interpolation=cv2.INTER_AREA)
    ref_s = cv2.resize(ref, size, interpolation=cv2.INTER_AREA)
    ssim = _ssim(cv2.cvtColor(cand_s, cv2.COLOR_BGR2GRAY), cv2.cvtColor(ref_s, cv2.COLOR_BGR2GRAY))
    hist = float(np.minimum(_histogram(cand_s), _histogram(ref_s)).sum())
    score = SSIM_WEIGHT * max(0.0, min(1.0, ssim)) + HIST_WEIGHT * max(0.0, min(1.0, hist))
    return float(max(0.0, min(1.0, score)))


def _diff_mask(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return changed_mask(a, b, IMAGE_CHANGE)


def changed_fraction(a: np.ndarray | Path | str, b: np.ndarray | Path | str) -> float:
    """Fraction of pixels that differ between two images (b resized to a when needed)."""
    mask = _diff_mask(_as_image(a), _as_image(b))
    return float(mask.mean()) if mask.size else 0.0


Region = PixelBox  # a changed region in the first image's pixel coordinates


def changed_regions(a: np.ndarray | Path | str, b: np.ndarray | Path | str, min_area: int = 16,
                    merge_px: int = 8) -> list[Region]:
    """Boxes where `a` and `b` differ (nearby changes merged by a dilation of `merge_px`)."""
    boxes = change_boxes(_diff_mask(_as_image(a), _as_image(b)), (merge_px, merge_px), min_area=min_area)
    return sorted(boxes, key=lambda r: -r.area)


def change_overlap(reference_before: np.ndarray | Path | str, reference_after: np.ndarray | Path | str,
                   candidate_before: np.ndarray | Path | str, candidate_after: np.ndarray | Path | str) -> float | None:
    """Share of the reference's changed area (coarse 32x18 grid) where the candidate changed too.

    None when the reference did not change. Images are compared on a coarse grid so that
    small layout offsets between implementations still overlap.
    """
    grid = (32, 18)
    ref = _diff_mask(_as_image(reference_before), _as_image(reference_after)).astype(np.float32)
    cand = _diff_mask(_as_image(candidate_before), _as_image(candidate_after)).astype(np.float32)
    ref_g = cv2.resize(ref, grid, interpolation=cv2.INTER_AREA) > 0.002
    cand_g = cv2.resize(cand, grid, interpolation=cv2.INTER_AREA) > 0.002
    if not ref_g.any():
        return None
    return float((ref_g & cand_g).sum() / ref_g.sum())


class DinoScorer:
    """DINOv2 CLS-embedding cosine similarity, clipped to [0, 1]; opt-in with local weights."""

    def __init__(self, weights: Path) -> None:
        weights = Path(weights)
        if not weights.exists():
            raise FileNotFoundError(f"DINOv2 weights not found at {weights}")
        try:
            import torch
            from transformers import AutoImageProcessor, AutoModel
        except ImportError as e:  # pragma: no cover - depends on optional packages
            raise RuntimeError("the DINO score needs torch and transformers installed (pip install torch transformers)") from e
        self._torch = torch
        self._processor = AutoImageProcessor.from_pretrained(str(weights), local_files_only=True)
        self._model = AutoModel.from_pretrained(str(weights), local_files_only=True).eval()

    def _embed(self, path: Path | str) -> object:
        from PIL import Image

        with Image.open(path) as im:
            inputs = self._processor(images=im.convert("RGB"), return_tensors="pt")
        with self._torch.no_grad():
            return self._model(**inputs).last_hidden_state[:, 0]

    def similarity(self, candidate: Path | str, reference: Path | str) -> float:
        a, b = self._embed(candidate), self._embed(reference)
        cos = float(self._torch.nn.functional.cosine_similarity(a, b).item())
        return max(0.0, min(1.0, cos))


LOOK_SIDE = 32  # regions are compared at this longer side (cheap, tolerant of small offsets)


def _crop(img: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray | None:
    """The part of `img` inside box (x, y, w, h), clipped to the image; None when empty or
    mostly outside (under half the box visible)."""
    x, y, w, h = box
    if w < 2 or h < 2:
        return None
    x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
    x1, y1 = min(img.shape[1], int(round(x + w))), min(img.shape[0], int(round(y + h)))
    if x1 - x0 < 2 or y1 - y0 < 2 or (x1 - x0) * (y1 - y0) < 0.5 * w * h:
        return None
    return img[y0:y1, x0:x1]


def crop_similarity(a: np.ndarray, a_box: tuple[float, float, float, float],
                    b: np.ndarray, b_box: tuple[float, float, float, float]) -> float | None:
    """How alike two image regions look, in [0, 1] (None when a region is not in its image).

    0.5 appearance (normalised cross-correlation of the grey regions resized to the first's
    aspect at `LOOK_SIDE` px, or their mean absolute difference when one is flat) + 0.3 mean
    colour closeness + 0.2 size agreement of the boxes.
    """
    ca, cb = _crop(a, a_box), _crop(b, b_box)
    if ca is None or cb is None:
        return None
    h, w = ca.shape[:2]
    scale = LOOK_SIDE / max(h, w)
    size = (max(4, round(w * scale)), max(4, round(h * scale)))
    ra = cv2.resize(ca, size, interpolation=cv2.INTER_AREA)
    rb = cv2.resize(cb, size, interpolation=cv2.INTER_AREA)
    ga = cv2.cvtColor(ra, cv2.COLOR_BGR2GRAY).astype(np.float32)
    gb = cv2.cvtColor(rb, cv2.COLOR_BGR2GRAY).astype(np.float32)
    if ga.std() > 2.0 and gb.std() > 2.0:
        appearance = max(0.0, float(cv2.matchTemplate(ga, gb, cv2.TM_CCOEFF_NORMED)[0, 0]))
    else:
        appearance = max(0.0, 1.0 - float(np.abs(ga - gb).mean()) / 64.0)
    colour_gap = float(np.linalg.norm(ra.reshape(-1, 3).mean(0) - rb.reshape(-1, 3).mean(0)))
    colour = float(np.exp(-colour_gap / 40.0))
    aw, ah, bw, bh = a_box[2], a_box[3], b_box[2], b_box[3]
    shape = min(aw, bw) / max(aw, bw) * min(ah, bh) / max(ah, bh)
    return float(min(1.0, 0.5 * appearance + 0.3 * colour + 0.2 * shape))
