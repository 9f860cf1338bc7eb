"""Rebuild one recorded state as positioned DOM: OCR text as real text, matched assets as images."""

from __future__ import annotations

import asyncio
import html as html_lib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from pydantic import BaseModel, Field

from iwr.benchmark.task import Box, Resolution
from iwr.graphs import AssetSighting

if TYPE_CHECKING:
    from iwr.tools.ocr import OcrCache

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


def _ocr_cache() -> "OcrCache":
    from iwr.tools.ocr import OcrCache

    root = Path(os.environ.get("IWR_CACHE_DIR", Path.home() / ".cache" / "iwr"))
    return OcrCache(root / "ocr")


async def layout_state(image_path: Path, keyframe: int, resolution: Resolution, sightings: list[AssetSighting]) -> StateLayout:
    """OCR the state image and place its text lines and the assets seen in it."""
    from iwr.tools.ocr import ocr_text

    result = await asyncio.to_thread(ocr_text, image_path, _ocr_cache())
    pixels = np.asarray(Image.open(image_path).convert("RGB"))
    scale = resolution.width / pixels.shape[1]
    texts: list[TextItem] = []
    for line in result.lines:
        x, y, w, h = line.box
        crop = pixels[int(y) : int(y + h) + 1, int(x) : int(x + w) + 1]
        if not line.text.strip() or crop.size == 0:
            continue
        texts.append(
            TextItem(
                text=line.text,
                box=Box(x=x * scale, y=y * scale, width=w * scale, height=h * scale),
                color=_hex(text_colour(crop)),
                font_px=max(8.0, h * scale * 0.78),
            )
        )
    images = [ImageItem(asset=s.asset, box=s.box) for s in sightings if s.keyframe == keyframe]
    return StateLayout(
        keyframe=keyframe,
        width=resolution.width,
        height=resolution.height,
        background=_hex(dominant_colour(pixels[::4, ::4])),
        texts=texts,
        images=images,
    )


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
