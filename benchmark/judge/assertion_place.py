"""Named values at the place the reference wrote them, read on the screens (issue 19, class 2).

Counting tokens passes a value written in the wrong place when the same value is on screen
elsewhere: a capture credited to the other player leaves '0' and '1' on screen either way.
The order rule needs the values in reading order, which whole-screen OCR may not give: two
one-digit counts side by side are read glued ('01') or not at all.

So, on recorded checkpoints (not a video's keyframes, whose cursor moves; not a scroll step,
which moves every place), each place where the reference's screen changed at the step is
read on its own: OCR of that region, padded by a third of its height, at twice its size.
Where the reference's read after the step holds a named number or quoted text more often
than its read before, the place took that value at this step. The candidate is compared
there only when its screenshot before the step is, at that place, the reference's (the same
pixels: the same layout and state, so the place means the same on both pages) and its
screenshot after differs from the reference's there. Then its read after the step must hold
the value as often; a read with other letters or digits (another value) fails the step. An
unreadable place, or a candidate that differs there already before the step, is no evidence:
another layout puts its values elsewhere, which the text rules judge.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from pydantic import BaseModel

from ...core.change import IMAGE_CHANGE, changed_share
from ...core.geometry import PixelBox
from ...tools.ocr import OcrCache, ocr_text
from .assertion_context import AssertionContext
from .assertion_tokens import count_phrase, named_tokens

PAD_SHARE = 1 / 3  # of a place's height, around it: the value's glyphs whole, not its neighbours'
MIN_PAD = 3  # px
READ_SCALE = 2  # small text (a one-digit count) is read at twice its size ...
READ_SIDE = 1280  # ... up to the OCR's detection size (a longer side is shrunk to it)
MIN_HEIGHT = 8  # px once scaled: thinner than any text line (a rule, a border)
SAME_PIXELS = 0.02  # share of a place's pixels that may differ between two screens showing the same there
MAX_PLACE_SHARE = 0.05  # of the screen: a place is a value's line or cell, not a panel or a page


class PlaceRead(BaseModel):
    """A named value the reference wrote at one place, and what each screen reads there."""

    token: str
    box: PixelBox
    reference_before: str
    reference_after: str
    candidate_after: str


class PlaceCheck(BaseModel):
    """The places where the reference wrote a named value that the candidate's could be compared with."""

    compared: list[PlaceRead] = []
    wrong: list[PlaceRead] = []

    @property
    def ok(self) -> bool:
        return not self.wrong

    @property
    def reason(self) -> str:
        w = self.wrong[0]
        return (f"where the reference's screen shows '{w.token}' after this step (read '{w.reference_after}' at "
                f"{w.box.x},{w.box.y}), the candidate's shows '{w.candidate_after}'")


def _crop(image: np.ndarray, box: PixelBox) -> np.ndarray:
    return image[box.y:box.bottom, box.x:box.right]


def _scale(box: PixelBox) -> float:
    """The scale a place is read at, 0 when it is too thin to hold text at the OCR's size."""
    scale = min(READ_SCALE, READ_SIDE / max(box.width, box.height))
    return scale if box.height * scale >= MIN_HEIGHT else 0.0


def _read(image: np.ndarray, box: PixelBox, cache: OcrCache | None) -> str:
    """The text of one place of a screen (at `_scale`)."""
    scale = _scale(box)
    crop = cv2.resize(_crop(image, box), None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return ocr_text(crop, cache).text


def _same(a: np.ndarray, b: np.ndarray, box: PixelBox) -> bool:
    return changed_share(_crop(a, box), _crop(b, box), IMAGE_CHANGE) <= SAME_PIXELS


def _screens(ctx: AssertionContext) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The reference's and the candidate's screens before and after the step, all of one size."""
    from ...tools.image_metrics import load_image

    paths = (ctx.reference_before, ctx.reference_after, ctx.candidate_before, ctx.candidate_after)
    if any(p is None or not Path(p).is_file() for p in paths):
        return None
    rb, ra, cb, ca = (load_image(p) for p in paths if p is not None)
    return (rb, ra, cb, ca) if rb.shape == ra.shape == cb.shape == ca.shape else None


def place_check(ctx: AssertionContext, cache: OcrCache | None = None) -> PlaceCheck | None:
    """The place rule (module docstring); None when it has nothing to read (no named number or
    quoted text, a video keyframe or scroll step, screenshots missing or of other sizes)."""
    from ...tools.image_metrics import changed_regions

    if ctx.expected_change is not None or ctx.action_type == "Scroll":
        return None
    names = [t.text for t in named_tokens(ctx.assertion) if t.kind in ("quoted", "number")]
    screens = _screens(ctx) if names else None
    if screens is None:
        return None
    rb, ra, cb, ca = screens
    height, width = rb.shape[:2]
    check = PlaceCheck()
    for region in changed_regions(rb, ra):
        box = region.grown_within(max(MIN_PAD, round(region.height * PAD_SHARE)), width, height)
        if region.area > MAX_PLACE_SHARE * width * height or not _scale(box):
            continue
        if not _same(rb, cb, box) or _same(ra, ca, box):
            continue  # another state or layout there before the step, or the reference's pixels after it
        after = _read(ra, box, cache)
        wrote = [n for n in names if count_phrase(after, n)]
        if not wrote:
            continue
        before = _read(rb, box, cache)
        wrote = [n for n in wrote if count_phrase(after, n) > count_phrase(before, n)]
        if not wrote:
            continue
        cand = _read(ca, box, cache)
        for name in wrote:
            read = PlaceRead(token=name, box=region, reference_before=before, reference_after=after, candidate_after=cand)
            check.compared.append(read)
            if any(c.isalnum() for c in cand) and count_phrase(cand, name) < count_phrase(after, name):
                check.wrong.append(read)
    return check
