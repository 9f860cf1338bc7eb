"""What visibly changed between two stable frames of a recording: where, how much, which text.

`visible_change(before, after)` compares two keyframes (or checkpoints) with the project's
change detection (`tools.image_metrics.changed_regions` / `changed_fraction`) and reads both
whole frames with the one OCR entry (`tools.ocr.ocr_text`, cached by content, so a keyframe
shared by two steps is read once). The text lines that touch a changed region are the
change's text: a line on both sides at the same place with other words "changed", a line
only after "appeared", a line only before "disappeared". The result is a typed statement
(`VisibleChange`) that a judge can check on a candidate page and a coder can read
(`describe`). OCR's detection misses a line now and then, so a line read on one side only is
read again on the other side, at its place: when the same text is there, it did not change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ..image_metrics import Region, changed_fraction, changed_regions, load_image
from ..ocr import OcrCache, OcrLine, ocr_text
from .types import PBox

MAX_REGIONS = 24  # regions kept in a statement (largest first; a typed field is small); the fraction covers them all
MAX_DESCRIBED = 6  # text changes named in `describe`
POINTER_REACH = (12, 6, 40, 42)  # left and up of the hotspot, width, height (an arrow or a hand, with margin)
MIN_LINE_SCORE = 0.75  # OCR confidence below which a line is not read (icons and glyphs read as '00', 'D', '+')
TextChangeKind = Literal["appeared", "disappeared", "changed"]


class TextChange(BaseModel):
    """One line of text that appeared, disappeared or changed, and where (after-frame box, or
    before-frame box for a disappeared line)."""

    kind: TextChangeKind
    before: str = ""
    after: str = ""
    box: PBox


class VisibleChange(BaseModel):
    """What changed on screen between two states of a recording."""

    changed_fraction: float = 0.0  # share of the screen's pixels that changed
    regions: list[PBox] = Field(default_factory=list)  # where, largest first
    texts: list[TextChange] = Field(default_factory=list)
    unread: list[str] = Field(default_factory=list)  # lines not read: under the pointer or unsure (either frame)
    width: int = 0  # size of the frames compared
    height: int = 0

    @property
    def changed(self) -> bool:
        return self.changed_fraction > 0.0

    def scaled(self, factor: float) -> VisibleChange:
        """The same statement with boxes scaled (video pixels -> page pixels)."""

        def box(b: PBox) -> PBox:
            return PBox(x=round(b.x * factor), y=round(b.y * factor), width=round(b.width * factor),
                        height=round(b.height * factor))

        return self.model_copy(update={
            "regions": [box(r) for r in self.regions],
            "texts": [t.model_copy(update={"box": box(t.box)}) for t in self.texts],
            "width": round(self.width * factor), "height": round(self.height * factor),
        })

    def describe(self) -> str:
        """One sentence a coder (or an LLM asserter) can read."""
        if not self.changed:
            return "Nothing visible changes."
        parts = [_say(t) for t in self.texts[:MAX_DESCRIBED]]
        more = len(self.texts) - MAX_DESCRIBED
        if more > 0:
            parts.append(f"{more} more text change(s)")
        where = ""
        if self.regions:
            b = self.regions[0]
            where = f" around ({b.x}, {b.y}, {b.width}x{b.height})"
        share = f"{self.changed_fraction:.0%}" if self.changed_fraction >= 0.01 else "under 1%"
        text = "; ".join(parts) if parts else "no text changes"
        return f"{text[0].upper()}{text[1:]}; {share} of the screen changes{where}."


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _say(t: TextChange) -> str:
    at = f" at ({t.box.x}, {t.box.y})"
    if t.kind == "appeared":
        return f"'{_clip(t.after)}' appears{at}"
    if t.kind == "disappeared":
        return f"'{_clip(t.before)}' disappears{at}"
    return f"'{_clip(t.before)}' changes to '{_clip(t.after)}'{at}"


def _box(line: OcrLine) -> PBox:
    b = line.box
    return PBox(x=round(b.x), y=round(b.y), width=max(1, round(b.width)), height=max(1, round(b.height)))


def _same_place(a: PBox, b: PBox) -> bool:
    """Two line boxes share the same line of the screen: they overlap horizontally and
    their vertical centres lie within each other's height."""
    ay, by = a.y + a.height / 2, b.y + b.height / 2
    return (a.x < b.x + b.width and b.x < a.x + a.width
            and abs(ay - by) <= max(a.height, b.height) / 2)


MEANINGFUL_MARKS = set("-+.,:%$€£/×÷=()#@&!?")  # the rest ('·', '•', '|', quotes) is decoration OCR reads or drops at will


_LEADING_ZEROS = re.compile(r"(?<![\d.,])0+(?=\d)")  # '010' -> '10'; '0.5', '1,050' and '0' kept


def _squeezed(text: str) -> str:
    """A line as compared across frames: no spacing, no decorative marks, lower case, numbers
    by value (a display's leading zeros, read on one side and not the other, are no change)."""
    return "".join(c for c in _LEADING_ZEROS.sub("", text.lower()) if c.isalnum() or c in MEANINGFUL_MARKS)


def text_changes(before: list[OcrLine], after: list[OcrLine], regions: list[Region],
                 hidden: Sequence[PBox] = ()) -> list[TextChange]:
    """Lines touching a changed region, paired by place: changed, appeared, disappeared.
    Lines touching a `hidden` box (the pointer: it covers and distorts what is under it) are
    read on neither side, nor is the place of a line OCR read with low confidence (an icon
    read as '00' on one side and '0' on the other is no text change)."""
    unsure = [_box(ln) for ln in (*before, *after) if ln.score < MIN_LINE_SCORE]

    def kept(line: OcrLine) -> bool:
        box = _box(line)
        return (bool(line.text.strip()) and any(box.overlaps(r) for r in regions)
                and not any(box.overlaps(h) for h in (*hidden, *unsure)))

    near_before = [ln for ln in before if kept(ln)]
    near_after = [ln for ln in after if kept(ln)]
    used: set[int] = set()
    out: list[TextChange] = []
    for a in near_after:
        box = _box(a)
        match = next((i for i, b in enumerate(near_before) if i not in used and _same_place(_box(b), box)), None)
        if match is None:
            out.append(TextChange(kind="appeared", after=a.text, box=box))
            continue
        used.add(match)
        old = near_before[match].text
        if _squeezed(old) != _squeezed(a.text):  # OCR spacing and separators ('9×8= 72' / '9 × 8 = 72') are no change
            out.append(TextChange(kind="changed", before=old, after=a.text, box=box))
    out += [TextChange(kind="disappeared", before=b.text, box=_box(b)) for i, b in enumerate(near_before) if i not in used]
    return sorted(out, key=lambda t: (t.box.y, t.box.x))


def row_text(frame: Path, box: PBox, cache: OcrCache | None = None) -> str:
    """The text on the row of `box` in `frame`, read again around it (a margin of its height):
    the lines on its row (`_same_place`), left to right, with a neighbour within the margin."""
    b, m = box, box.height
    place = PBox(x=b.x - m, y=b.y - m, width=b.width + 2 * m, height=b.height + 2 * m)
    read = ocr_text(load_image(frame), cache, place).lines  # the decoded frame visible_change already holds
    row = sorted((ln for ln in read if _same_place(_box(ln), b)), key=lambda ln: ln.box.x)
    return " ".join(ln.text for ln in row)


def read_on_other_side(change: TextChange, before: Path, after: Path, cache: OcrCache | None = None) -> bool:
    """A line that appeared (disappeared) reads the same in the frame before (after), read
    again at its place (`row_text`, as a board's next cell with its neighbour). The
    whole-frame OCR missed it there: nothing changed."""
    if change.kind == "changed":
        return False
    other, text = (before, change.after) if change.kind == "appeared" else (after, change.before)
    return bool(_squeezed(text)) and _squeezed(text) in _squeezed(row_text(other, change.box, cache))


def folded(text: str) -> str:
    """OCR'd text with compatibility forms folded: a digit drawn in a circle or full width is
    the digit ('\u2462' -> '3'), a ligature its letters."""
    return unicodedata.normalize("NFKC", text)


def glyphs(text: str) -> str:
    """A line's letters and digits as compared at one place of two screens read by the same
    OCR: `folded`, marks and spacing dropped (OCR reads a game tree's '1-2-3' as '1-23' on
    one screen and '-1-2 3' on another), lower case."""
    return "".join(c for c in folded(text).lower() if c.isalnum())


def shown_at_place(change: TextChange, before: Path, after: Path, cache: OcrCache | None = None) -> bool:
    """Another pair of screens of the same size (a candidate's step) shows this change at
    its place: read there (`row_text`), the row before holds the recorded line's `before`
    and the row after its `after` (`glyphs`), and the two rows differ."""
    was, now = glyphs(row_text(before, change.box, cache)), glyphs(row_text(after, change.box, cache))
    old, new = glyphs(change.before), glyphs(change.after)
    if was == now or not (old or new):
        return False
    if change.kind == "appeared":
        return new in now and new not in was
    if change.kind == "disappeared":
        return old in was and old not in now
    return old in was and new in now


def pointer_box(x: float, y: float) -> PBox:
    """Where a pointer with its hotspot at (x, y) may cover the screen (arrow, hand or I-beam)."""
    return PBox(x=round(x - POINTER_REACH[0]), y=round(y - POINTER_REACH[1]), width=POINTER_REACH[2], height=POINTER_REACH[3])


def visible_change(before: Path, after: Path, cache: OcrCache | None = None, hidden: Sequence[PBox] = ()) -> VisibleChange:
    """The statement of what changed from frame `before` to frame `after` (same size); text
    under the `hidden` boxes (the pointer in either frame) is not read."""
    image = load_image(before)
    height, width = image.shape[:2]
    fraction = changed_fraction(before, after)
    if fraction == 0.0:
        return VisibleChange(width=width, height=height)
    regions = changed_regions(before, after)
    lines = ocr_text(Path(before), cache).lines, ocr_text(Path(after), cache).lines
    texts = [t for t in text_changes(*lines, regions, hidden) if not read_on_other_side(t, before, after, cache)]
    unread = [ln.text for side in lines for ln in side
              if ln.score < MIN_LINE_SCORE or any(_box(ln).overlaps(h) for h in hidden)]
    boxes = [PBox(x=r.x, y=r.y, width=r.width, height=r.height) for r in regions[:MAX_REGIONS]]
    return VisibleChange(changed_fraction=round(fraction, 5), regions=boxes, texts=texts, unread=unread, width=width,
                         height=height)
