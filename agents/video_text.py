"""The recording as text, for models that take no images (and as an ablation for those that do).

Each shown state (a keyframe, or a 1 fps frame without perception) is OCR'd into text blocks
with their boxes, font size and colour, plus the assets matched in it. The first state is
listed whole; later states list only the blocks that appeared or went away, so the text stays
within a small model's context.
"""

from __future__ import annotations

from pathlib import Path

from iwr.benchmark.task import Box, Resolution
from iwr.graphs import AssetSighting

from .layout import StateLayout, TextItem, layout_states, text_blocks

PREAMBLE = (
    "No images are attached: the recording is given as text. Each image named above is described "
    "below by what OCR and image matching found in it: text blocks as \"text\" x,y widthxheight "
    "in CSS pixels, font size and colour; assets as name x,y widthxheight. "
    "Later images list only what changed from the image before (+ appeared, - went away)."
)
MAX_BLOCKS = 40  # per state: more is cut (and said so)


def _box(b: Box) -> str:
    return f"{b.x:.0f},{b.y:.0f} {b.width:.0f}x{b.height:.0f}"


def _union(boxes: list[Box]) -> Box:
    x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
    x1, y1 = max(b.x + b.width for b in boxes), max(b.y + b.height for b in boxes)
    return Box(x=x0, y=y0, width=x1 - x0, height=y1 - y0)


def block_lines(state: StateLayout) -> list[str]:
    """One line per text block (its lines joined by ' / ') and per asset, top to bottom."""
    out: list[str] = []
    for block in text_blocks(state.texts):
        items: list[TextItem] = [state.texts[i] for i in block]
        text = " / ".join(t.text for t in items)
        out.append(f'"{text}" {_box(_union([t.box for t in items]))} {items[0].font_px:.0f}px {items[0].color}')
    out += [f"asset {im.asset} {_box(im.box)}" for im in state.images]
    return out


def _cut(lines: list[str], prefix: str) -> list[str]:
    shown = [f"  {prefix}{line}" for line in lines[:MAX_BLOCKS]]
    if len(lines) > MAX_BLOCKS:
        shown.append(f"  ... {len(lines) - MAX_BLOCKS} more blocks not shown")
    return shown


def describe_states(states: list[StateLayout], titles: list[str]) -> str:
    """The states as text: the first whole, each later one as its changes from the one before."""
    out: list[str] = []
    previous: list[str] | None = None
    for state, title in zip(states, titles, strict=False):  # the titles are the caller's: a state without one is left out
        lines = block_lines(state)
        if previous is None:
            out.append(f"{title} (background {state.background}):")
            out += _cut(lines, "") or ["  (no text found)"]
        else:
            added = [line for line in lines if line not in previous]
            gone = [line for line in previous if line not in lines]
            out.append(f"{title}:" + ("" if added or gone else " no visible change"))
            out += _cut(added, "+ ") + _cut(gone, "- ")
        previous = lines
    return "\n".join(out)


async def states_text(paths: list[Path], titles: list[str], resolution: Resolution,
                      sightings: list[list[AssetSighting]] | None = None) -> str:
    """OCR and describe the images at `paths` (a preamble, then one entry per image)."""
    if not paths:
        return ""
    states = await layout_states(paths, resolution, sightings or [[] for _ in paths])
    return PREAMBLE + "\n\n" + describe_states(states, titles)


def sightings_by_state(keyframes: list[int], sightings: list[AssetSighting]) -> list[list[AssetSighting]]:
    """The asset sightings of each listed keyframe, in the order of `keyframes`."""
    return [[s for s in sightings if s.keyframe == k] for k in keyframes]
