"""The recording as text, for models that take no images (and as an ablation for those that do).

Each shown state (a keyframe, or a 1 fps frame without perception) is OCR'd into text blocks
with their boxes, font size and colour, plus the assets matched in it. The first state is
listed whole; later states list only the blocks that appeared or went away, so the text stays
within a small model's context. When the model's context window is known, the whole prompt is
kept within it, less the room its answer needs: fewer blocks per state are listed until it fits.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from iwr.benchmark.task import Box, Resolution, TaskInputs
from iwr.core.geometry import union_all
from iwr.graphs import AssetSighting
from iwr.tools.llm import ImagePart, LLMGateway, Message, TextPart
from iwr.tools.llm.vision import context_tokens

from .layout import StateLayout, TextItem, layout_states, text_blocks

PREAMBLE = (
    "No images are attached: the recording is given as text. Each image named above is described "
    "below by what OCR and image matching found in it: text blocks as \"text\" x,y widthxheight "
    "in CSS pixels, font size and colour; assets as name x,y widthxheight. "
    "Later images list only what changed from the image before (+ appeared, - went away)."
)
NONE_TEXT = "(none)"
MAX_BLOCKS = 40  # per state: more is cut (and said so)
BLOCK_CAPS = (MAX_BLOCKS, 20, 10, 5, 2, 0)  # tried in turn until the prompt fits the model's context
CHARS_PER_TOKEN = 1.3  # fewest characters per token seen on these prompts (1.35-1.67 with Qwen2.5's
# tokenizer: boxes and numbers tokenize densely), so a budget in characters stays under the tokens


def prompt_budget_chars(gateway: LLMGateway) -> int | None:
    """How many characters a prompt may have so it and the answer fit the model's context
    (half of it kept for the answer when the output cap is larger); None when the window is unknown."""
    s = gateway.settings
    tokens = context_tokens(s.model, s.api_base)
    if tokens is None:
        return None
    return int((tokens - min(s.max_tokens, tokens // 2)) * CHARS_PER_TOKEN)


def _box(b: Box) -> str:
    return f"{b.x:.0f},{b.y:.0f} {b.width:.0f}x{b.height:.0f}"


class ShownBlock(NamedTuple):
    """A text block or an asset of a state: what it says (or names), where, and its line."""

    key: str
    box: Box
    font_px: float
    line: str


def shown_blocks(state: StateLayout) -> list[ShownBlock]:
    """One per text block (its lines joined by ' / ') and per asset, top to bottom."""
    out: list[ShownBlock] = []
    for block in text_blocks(state.texts):
        items: list[TextItem] = [state.texts[i] for i in block]
        text, box = " / ".join(t.text for t in items), union_all([t.box for t in items])
        out.append(ShownBlock(text, box, items[0].font_px,
                              f'"{text}" {_box(box)} {items[0].font_px:.0f}px {items[0].color}'))
    out += [ShownBlock(f"asset {im.asset}", im.box, 0.0, f"asset {im.asset} {_box(im.box)}") for im in state.images]
    return out


def _same(a: ShownBlock, b: ShownBlock) -> bool:
    """The same block read twice: same text, each edge within half a line (at least 4 px) of the
    other's. OCR reads an unchanged label a few pixels, a point size and a shade apart from one
    frame to the next; listing that as gone and back says nothing and costs a small model's context."""
    if a.key != b.key:
        return False
    tol = max(4.0, 0.5 * max(a.font_px, b.font_px))
    edges = ((a.box.x, b.box.x), (a.box.y, b.box.y), (a.box.right, b.box.right), (a.box.bottom, b.box.bottom))
    return all(abs(u - v) <= tol for u, v in edges)


def _cut(lines: list[str], prefix: str, cap: int) -> list[str]:
    shown = [f"  {prefix}{line}" for line in lines[:cap]]
    if len(lines) > cap:
        shown.append(f"  ... {len(lines) - cap} more blocks not shown")
    return shown


def describe_states(states: list[StateLayout], titles: list[str], cap: int = MAX_BLOCKS) -> str:
    """The states as text: the first whole, each later one as its changes from the one before."""
    out: list[str] = []
    previous: list[ShownBlock] | None = None
    for state, title in zip(states, titles, strict=False):  # the titles are the caller's: a state without one is left out
        blocks = shown_blocks(state)
        if previous is None:
            out.append(f"{title} (background {state.background}):")
            out += _cut([b.line for b in blocks], "", cap) or ["  (no text found)"]
        else:
            added = [b.line for b in blocks if not any(_same(b, p) for p in previous)]
            gone = [p.line for p in previous if not any(_same(p, b) for b in blocks)]
            out.append(f"{title}:" + ("" if added or gone else " no visible change"))
            out += _cut(added, "+ ", cap) + _cut(gone, "- ", cap)
        previous = blocks
    return "\n".join(out)


async def states_text(paths: list[Path], titles: list[str], resolution: Resolution,
                      sightings: list[list[AssetSighting]] | None = None, max_chars: int | None = None) -> str:
    """OCR and describe the images at `paths` (a preamble, then one entry per image), in at most
    `max_chars` characters: fewer blocks per state until it fits, then cut."""
    if not paths:
        return ""
    states = await layout_states(paths, resolution, sightings or [[] for _ in paths])
    text = PREAMBLE + "\n\n" + describe_states(states, titles)
    if max_chars is None:
        return text
    for cap in BLOCK_CAPS:
        text = PREAMBLE + "\n\n" + describe_states(states, titles, cap)
        if len(text) <= max_chars:
            return text
    note = "\n(the rest is cut: the model's context is full)"
    return text[: max(0, max_chars - len(note))] + note if max_chars > len(note) else ""


def sightings_by_state(keyframes: list[int], sightings: list[AssetSighting]) -> list[list[AssetSighting]]:
    """The asset sightings of each listed keyframe, in the order of `keyframes`."""
    return [[s for s in sightings if s.keyframe == k] for k in keyframes]


def user_message(text: str, sheets: list[Path], frames: list[Path]) -> list[Message]:
    parts: list[TextPart | ImagePart] = [TextPart(text=text)]
    parts += [ImagePart(path=p, kind="contact_sheet") for p in sheets]
    parts += [ImagePart(path=p, kind="frame") for p in frames]
    return [Message(role="user", content=parts)]


async def compose(prompt: str, sheets: list[Path], frames: list[Path], listing: str, inputs: TaskInputs, text_inputs: bool,
                  sightings: list[list[AssetSighting]] | None = None, max_chars: int | None = None) -> list[Message]:
    """The user message: the prompt with its images, or (text inputs) with the images described as
    text, the whole within `max_chars` when given (the model's context less its answer's room)."""
    if not text_inputs:
        return user_message(prompt, sheets, frames)
    titles = [line.removeprefix("- ") for line in listing.splitlines()] if listing != NONE_TEXT else []
    titles += [f"image {i + 1}" for i in range(len(titles), len(frames))]
    room = None if max_chars is None else max_chars - len(prompt) - 2
    text = await states_text(frames, titles, inputs.resolution, sightings, room)
    head, sep, tail = prompt.rpartition("\n\nAnswer")  # the description before the closing instruction
    body = f"{head}\n\n{text}{sep}{tail}" if sep and text else prompt + (f"\n\n{text}" if text else "")
    return [Message(role="user", content=body)]


class ModelRole:
    """A role that asks a model: its gateway, and whether it gets the images or the text view."""

    gateway: LLMGateway
    text_inputs: bool

    def _budget(self) -> int | None:
        """The prompt's size limit in characters with text inputs (None: images, or an unknown window)."""
        return prompt_budget_chars(self.gateway) if self.text_inputs else None
