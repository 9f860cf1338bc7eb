"""Rebuild one recorded state as positioned DOM: OCR text as real text, matched assets as images."""

from __future__ import annotations

import asyncio
import html as html_lib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from pydantic import BaseModel, Field

from iwr.benchmark.task import Box, Resolution
from iwr.core.cache_files import cache_dir
from iwr.core.change import TEXT_CHANGE, change_boxes, changed_mask
from iwr.core.geometry import PixelBox, merge_boxes
from iwr.graphs import AssetSighting

if TYPE_CHECKING:
    from iwr.tools.ocr import OcrCache, OcrLine

STATE_CSS = (
    ".state { position: absolute; left: 0; top: 0; overflow: hidden; }\n"
    ".state .t { position: absolute; white-space: nowrap; line-height: 1; font-family: 'DejaVu Sans', Arial, sans-serif; }\n"
    ".state img { position: absolute; }"
)


class TextItem(BaseModel):
    """A line of text at a box, with its colour and font size (CSS pixels)."""

    text: str
    box: Box
    color: str
    font_px: float


class ImageItem(BaseModel):
    """An asset drawn at a box."""

    asset: str
    box: Box


class StateLayout(BaseModel):
    """One state of the page as positioned items."""

    keyframe: int
    width: int
    height: int
    background: str
    texts: list[TextItem] = Field(default_factory=list)
    images: list[ImageItem] = Field(default_factory=list)


def _hex(rgb: np.ndarray) -> str:
    r, g, b = (int(v) for v in rgb[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def dominant_colour(pixels: np.ndarray) -> np.ndarray:
    """The most frequent colour after coarse quantisation (steps of 16 per channel)."""
    flat = (pixels.reshape(-1, 3) // 16).astype(np.int32)
    codes = flat[:, 0] * 256 + flat[:, 1] * 16 + flat[:, 2]
    top = int(np.bincount(codes).argmax())
    return np.array([(top // 256) * 16 + 8, ((top // 16) % 16) * 16 + 8, (top % 16) * 16 + 8])


def text_colour(pixels: np.ndarray) -> np.ndarray:
    """The ink colour of a text box: the pixels farthest from the box's dominant colour."""
    flat = pixels.reshape(-1, 3).astype(np.float32)
    background = dominant_colour(pixels).astype(np.float32)
    distance = np.linalg.norm(flat - background, axis=1)
    far = flat[distance >= np.percentile(distance, 90)]
    return far.mean(axis=0) if len(far) else np.zeros(3)


def _ocr_cache() -> OcrCache:
    from iwr.tools.ocr import OcrCache

    return OcrCache(cache_dir() / "ocr")


def _text_items(result_lines: list[OcrLine], pixels: np.ndarray, scale: float, offset: tuple[int, int] = (0, 0)) -> list[TextItem]:
    """OCR lines (image pixels, relative to `offset`) as text items in CSS pixels."""
    items: list[TextItem] = []
    ox, oy = offset
    for line in result_lines:
        b = line.box.moved(ox, oy)
        x, y, w, h = b.x, b.y, b.width, b.height
        crop = pixels[int(y) : int(y + h) + 1, int(x) : int(x + w) + 1]
        if not line.text.strip() or crop.size == 0:
            continue
        items.append(
            TextItem(
                text=line.text,
                box=Box(x=x * scale, y=y * scale, width=w * scale, height=h * scale),
                color=_hex(text_colour(crop)),
                font_px=max(8.0, h * scale * 0.78),
            )
        )
    return items


def _similar(a: str, b: str, tolerance: int = 64) -> bool:
    """Two `#rrggbb` colours within `tolerance` on every channel."""
    return all(abs(int(a[k : k + 2], 16) - int(b[k : k + 2], 16)) <= tolerance for k in (1, 3, 5))


def text_blocks(texts: list[TextItem]) -> list[list[int]]:
    """Indices of the lines of each text block (a wrapped headline, a paragraph): lines
    stacked closely under each other, left- or centre-aligned, in a similar size and colour."""
    order = sorted(range(len(texts)), key=lambda i: (texts[i].box.y, texts[i].box.x))
    blocks: list[list[int]] = []
    for i in order:
        t = texts[i].box
        for block in reversed(blocks):
            last = texts[block[-1]].box
            h = max(last.height, t.height)
            gap = t.y - (last.y + last.height)
            aligned = abs(t.x - last.x) <= 0.6 * h or abs(t.center.x - last.center.x) <= 0.6 * h
            same_look = 0.8 <= t.height / max(last.height, 1.0) <= 1.25 and _similar(texts[i].color, texts[block[-1]].color)
            if -0.3 * h <= gap <= 0.9 * h and aligned and same_look:
                block.append(i)
                break
        else:
            blocks.append([i])
    blocks.sort(key=lambda b: (round(texts[b[0]].box.y / 8), texts[b[0]].box.x))
    return blocks


def reading_order(texts: list[TextItem]) -> list[TextItem]:
    """Texts block by block (so a wrapped line reads on in the DOM), blocks top to bottom."""
    return [texts[i] for block in text_blocks(texts) for i in block]


def _state(keyframe: int, resolution: Resolution, pixels: np.ndarray, texts: list[TextItem],
           images: list[ImageItem]) -> StateLayout:
    return StateLayout(
        keyframe=keyframe,
        width=resolution.width,
        height=resolution.height,
        background=_hex(dominant_colour(pixels[::4, ::4])),
        texts=texts,
        images=images,
    )


async def layout_state(image_path: Path, keyframe: int, resolution: Resolution, sightings: list[AssetSighting]) -> StateLayout:
    """OCR the state image and place its text lines and the assets seen in it."""
    from iwr.tools.ocr import ocr_text

    result = await asyncio.to_thread(ocr_text, image_path, _ocr_cache())
    pixels = np.asarray(Image.open(image_path).convert("RGB"))
    scale = resolution.width / pixels.shape[1]
    images = [ImageItem(asset=s.asset, box=s.box) for s in sightings if s.keyframe == keyframe]
    return _state(keyframe, resolution, pixels, reading_order(_text_items(result.lines, pixels, scale)), images)


FULL_OCR_CHANGE = 0.3  # changed share of pixels above which a state is OCR'd whole


def changed_boxes(before: np.ndarray, after: np.ndarray, *, threshold: int = TEXT_CHANGE,
                  min_pixels: int = 6) -> list[PixelBox] | None:
    """Boxes of the regions that differ between two same-sized RGB images;
    None when so much changed (or the sizes differ) that the whole image should be re-read."""

    if before.shape != after.shape:
        return None
    mask = changed_mask(before, after, threshold)
    if float(mask.mean()) > FULL_OCR_CHANGE:
        return None
    return change_boxes(mask, (9, 15), min_changed=min_pixels)


CROP_CONTEXT = 48  # px of context read around a changed region
FULL_READ_SHARE = 0.5  # crops covering more than this share of the image: read it whole


def _centre_in(box: Box, offset: tuple[int, int], region: Box, slack: float = 4.0) -> bool:
    """The centre of an OCR line box (relative to `offset`) lies in `region`."""
    return region.contains(box.moved(*offset).center, margin=slack)


def _regions_to_read(changed: list[Box], lines: list[Box]) -> list[Box]:
    """Changed boxes widened to every text line they touch, merged until no line is cut."""
    regions = merge_boxes(changed)
    while True:
        touched = [b for b in lines if any(b.overlaps(r) for r in regions)]
        merged = merge_boxes(regions + touched)
        if merged == regions:
            return regions
        regions = merged


SMALL_CROP = 160  # px: crops shorter than this are read at twice the size (small text)


async def _ocr_crop(pixels: np.ndarray, box: PixelBox, path: Path) -> list:
    """OCR lines of a crop, boxes relative to the crop; small crops are read enlarged."""
    from iwr.tools.ocr import ocr_text

    x, y, w, h = box.as_tuple()
    crop = Image.fromarray(pixels[y : y + h, x : x + w])
    factor = 2 if h < SMALL_CROP else 1
    if factor > 1:
        crop = crop.resize((w * factor, h * factor), Image.Resampling.LANCZOS)
    crop.save(path)
    result = await asyncio.to_thread(ocr_text, path, _ocr_cache())
    return [
        ln.model_copy(update={"box": ln.box.scaled(1 / factor)}) for ln in result.lines
    ]


async def _read_regions(path: Path, pixels: np.ndarray, regions: list[Box], scale: float) -> list[TextItem]:
    """Text items centred in `regions`, read from crops with context around them (detection
    is poor on tiny crops); nearby regions share one crop, and when the crops would cover
    much of the image it is read whole."""
    from iwr.tools.ocr import ocr_text

    height, width = pixels.shape[:2]

    def padded(r: Box) -> Box:
        x0, y0 = max(0.0, r.x - CROP_CONTEXT), max(0.0, r.y - CROP_CONTEXT)
        return Box(x=x0, y=y0, width=min(width, r.right + CROP_CONTEXT) - x0, height=min(height, r.bottom + CROP_CONTEXT) - y0)

    windows = merge_boxes([padded(r) for r in regions])
    if sum(w.area for w in windows) > FULL_READ_SHARE * width * height:
        result = await asyncio.to_thread(ocr_text, path, _ocr_cache())
        lines, origins = [result.lines], [(0, 0)]
    else:
        crop_dir = path.parent / "crops"
        crop_dir.mkdir(exist_ok=True)
        lines, origins = [], []
        for i, w in enumerate(windows):
            box = PixelBox(x=int(w.x), y=int(w.y), width=int(w.width), height=int(w.height))
            lines.append(await _ocr_crop(pixels, box, crop_dir / f"{path.stem}_{i}.png"))
            origins.append((box.x, box.y))
    items: list[TextItem] = []
    for found, origin in zip(lines, origins, strict=True):
        inside = [ln for ln in found if any(_centre_in(ln.box, origin, r) for r in regions)]
        items += _text_items(inside, pixels, scale, origin)
    return items


async def layout_states(image_paths: list[Path], resolution: Resolution,
                        sightings: list[list[AssetSighting]]) -> list[StateLayout]:
    """Lay out a sequence of states (ids 0..n-1), each OCR'd only where it differs from the
    one before: text lines untouched by a change are carried over, changed regions (widened
    to the lines they touch) are read again from crops. `sightings[k]` are state k's assets."""
    from iwr.tools.ocr import ocr_text

    states: list[StateLayout] = []
    prev_pixels: np.ndarray | None = None
    prev_texts: list[TextItem] = []
    for k, path in enumerate(image_paths):
        pixels = np.asarray(Image.open(path).convert("RGB"))
        scale = resolution.width / pixels.shape[1]
        boxes = changed_boxes(prev_pixels, pixels) if prev_pixels is not None else None
        if boxes is None:
            result = await asyncio.to_thread(ocr_text, path, _ocr_cache())
            texts = _text_items(result.lines, pixels, scale)
        else:
            line_boxes = [t.box.scaled(1 / scale) for t in prev_texts]
            regions = _regions_to_read([Box(x=b.x, y=b.y, width=b.width, height=b.height) for b in boxes], line_boxes)
            texts = [t for t, b in zip(prev_texts, line_boxes, strict=True) if not any(b.overlaps(r) for r in regions)]
            texts += await _read_regions(path, pixels, regions, scale)
        texts = reading_order(texts)
        images = [ImageItem(asset=s.asset, box=s.box) for s in sightings[k]] if k < len(sightings) else []
        states.append(_state(k, resolution, pixels, texts, images))
        prev_pixels, prev_texts = pixels, texts
    return states


def _style(box: Box) -> str:
    return f"left:{box.x:.0f}px;top:{box.y:.0f}px;width:{box.width:.0f}px;height:{box.height:.0f}px"


def state_div(state: StateLayout, *, visible: bool, extra: str = "", height: int | None = None) -> str:
    """The state as one absolutely positioned `<div class="state">` (hidden unless visible)."""
    items = [
        f'<img src="assets/{html_lib.escape(i.asset)}" alt="" style="{_style(i.box)}">' for i in state.images
    ] + [
        f'<div class="t" style="left:{t.box.x:.0f}px;top:{t.box.y:.0f}px;color:{t.color};font-size:{t.font_px:.0f}px">'
        f"{html_lib.escape(t.text)}</div>"
        for t in state.texts
    ]
    display = "block" if visible else "none"
    style = f"display:{display};width:{state.width}px;height:{height or state.height}px;background:{state.background}"
    return f'<div class="state" id="state-{state.keyframe}" style="{style}">\n' + "\n".join(items) + extra + "\n</div>"


def render_state(state: StateLayout, *, visible: bool) -> tuple[str, str]:
    """CSS and body HTML for a page showing one state."""
    return STATE_CSS, state_div(state, visible=visible)
