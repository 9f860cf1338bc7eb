"""Event details: which character changes are typed text; the pointer tracker's learned look;
which pixel changes are codec noise."""

from __future__ import annotations

import numpy as np

from iwr.core.geometry import PixelBox
from iwr.tools.perception.events import _text_run
from iwr.tools.perception.pointer import LEARN_HITS, PointerTracker, template_bank


def _b(x: int, y: int, w: int, h: int) -> PixelBox:
    return PixelBox(x=x, y=y, width=w, height=h)


def test_typed_text_stops_at_a_word_sized_gap_and_stays_on_its_line() -> None:
    seed = [_b(100, 50, 9, 14), _b(110, 50, 9, 14)]  # the growing characters
    others = [
        _b(120, 50, 9, 14), _b(131, 50, 9, 14),  # more of the word, next to the pointer
        _b(146, 50, 9, 14),  # after a space
        _b(260, 50, 10, 14),  # a clear button far right in the field
        _b(100, 20, 30, 12),  # the field's label above, restyled on focus
        _b(150, 38, 40, 40),  # a click ring
    ]
    run = _text_run(seed, seed + others, line=40)
    assert _b(146, 50, 9, 14) in run and _b(131, 50, 9, 14) in run
    assert _b(260, 50, 10, 14) not in run and _b(100, 20, 30, 12) not in run and _b(150, 38, 40, 40) not in run


def test_pointer_tracker_keeps_to_the_learned_cursor_look() -> None:
    bank = template_bank()
    arrow = next(t for t in bank if t.name == "arrow-dark" and t.scale == 1.35)
    frame = np.full((120, 160), 200, np.uint8)
    h, w = arrow.image.shape
    patch = frame[40:40 + h, 60:60 + w]
    patch[arrow.mask > 0] = arrow.image[arrow.mask > 0]
    tracker = PointerTracker()
    assert len(tracker._ordered()) == len(bank)
    for _ in range(LEARN_HITS):
        hit = tracker.find(frame, _b(55, 35, w + 10, h + 10))
        assert hit is not None and abs(hit.x - (60 + arrow.hotspot[0])) <= 1
    looks = {(t.name.split("-")[-1], t.scale) for t in tracker._ordered()}
    assert looks == {("dark", 1.35)}


def test_a_pulsing_thin_strip_along_an_edge_is_codec_noise_but_a_faint_panel_is_a_change() -> None:
    from iwr.tools.perception.scan import change_mask, strong_blobs

    page = np.full((120, 320, 3), 245, np.uint8)
    page[:60] = 41  # a dark display above a light area: a sharp horizontal edge at y = 60
    pulsed = page.copy()
    pulsed[60, 20:300] = 219  # the encoder re-draws the edge 26 levels darker for a frame
    assert strong_blobs(change_mask(page, pulsed), page, pulsed) == []

    faint = page.copy()
    faint[80:110, 40:200] = 219  # the same small difference over a real area (a hover tint)
    blobs = strong_blobs(change_mask(page, faint), page, faint)
    assert len(blobs) == 1 and blobs[0].w >= 150 and blobs[0].h >= 25
