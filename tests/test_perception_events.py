"""Event details: which character changes are typed text; the pointer tracker's learned look;
which pixel changes are codec noise."""

from __future__ import annotations

import cv2
import numpy as np

from iwr.core.geometry import PixelBox
from iwr.tools.perception.events import MASK_DOT, _masked_typing, _text_run, _typing_boxes
from iwr.tools.perception.pointer import LEARN_HITS, PointerHit, PointerTracker, template_bank
from iwr.tools.perception.scan import Sample, StableRun
from iwr.tools.perception.types import ChangeRegion


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


def _at(x: float, y: float) -> PointerHit:
    return PointerHit(x=x, y=y, box=_b(int(x), int(y), 12, 18), shape="arrow", score=1.0, mask=np.ones((18, 12), np.uint8))


def _sample(i: int, changes: list[PixelBox], near: list[PixelBox] | None = None,
            ring: tuple[float, float] | None = None, pointer: PointerHit | None = None) -> Sample:
    return Sample(index=i, frame_no=i, time=i / 7.5, changes=changes, near=near or [], near_pointer=bool(near), ring=ring,
                  pointer=pointer)


def test_a_line_typed_into_a_text_area_taller_than_a_line_is_typing() -> None:
    area = _b(296, 202, 688, 86)  # a text area whose focus border changed too: taller than a text line at 720 px
    between = [_sample(0, [area])]
    between += [_sample(1 + i, [_b(316 + 10 * i, 218, 10, 12)]) for i in range(8)]  # one character a sample
    typed = _typing_boxes(between, [ChangeRegion(box=area)], 720)
    assert typed is not None and min(b.x for b in typed) == 316 and max(b.right for b in typed) == 396
    assert all(b.y == 218 for b in typed)
    # a tall panel whose lines change all at once is not typing
    panel = [_sample(0, [area]), _sample(1, [_b(300 + 40 * i, 220, 30, 14) for i in range(6)])]
    assert _typing_boxes(panel, [ChangeRegion(box=area)], 720) is None


def test_typing_right_after_the_click_that_focused_the_field_is_typing() -> None:
    field = _b(856, 78, 228, 38)
    rest = _at(972, 97)  # the pointer rests where it clicked, right of the field's text
    pressed = _b(962, 86, 22, 20)  # the click pressed something under the pointer
    between = [_sample(0, [pressed], near=[pressed], pointer=rest), _sample(1, [_b(892, 88, 36, 16)], pointer=rest)]
    for i, x in enumerate((900, 910, 918, 928)):
        char = _b(x, 92, 10, 12)
        ring = _b(944, 70, 56, 54)  # the click ring expands around the pointer meanwhile
        between.append(_sample(2 + i, [ring, char], near=[ring, char] if x > 905 else [ring], ring=(972, 97) if i < 2 else None,
                               pointer=rest))
    typed = _typing_boxes(between, [ChangeRegion(box=field)], 720)
    assert typed is not None and max(b.right for b in typed) == 938
    assert pressed not in typed


def test_what_a_moving_pointer_leaves_behind_is_not_typing() -> None:
    line = _b(1076, 674, 182, 42)
    between = []
    for i, x in enumerate((1000, 1042, 1100, 1150, 1196, 1236)):  # the pointer glides right and down across a line
        trail = _b(x, 690, 12, 8)
        between.append(_sample(i, [trail], near=[trail], pointer=_at(x + 6, 694)))
    assert _typing_boxes(between, [ChangeRegion(box=line)], 720) is None


def _field(dots: int) -> np.ndarray:
    """A light page with a bordered field holding `dots` password dots."""
    img = np.full((200, 640, 3), 245, np.uint8)
    cv2.rectangle(img, (100, 80), (500, 114), (150, 150, 150), 1)
    for i in range(dots):
        cv2.circle(img, (114 + 12 * i, 97), 3, (40, 40, 40), -1, cv2.LINE_AA)
    return img


def _run(img: np.ndarray) -> StableRun:
    return StableRun(first=0, last=0, start=0.0, end=0.0, frame_no=0, image=img, small=img, pointer=None)


def test_typing_into_a_masked_field_reads_one_dot_per_character() -> None:
    at = _at(300.0, 97.0)
    changed = [ChangeRegion(box=_b(100, 80, 400, 34))]
    assert _masked_typing(_run(_field(0)), _run(_field(5)), at, changed) == 5
    assert _masked_typing(_run(_field(3)), _run(_field(7)), at, changed) == 4  # three were there before
    assert _masked_typing(_run(_field(0)), _run(_field(5)), at, [ChangeRegion(box=_b(0, 150, 50, 20))]) is None  # unchanged there
    far = _at(300.0, 170.0)
    assert _masked_typing(_run(_field(0)), _run(_field(5)), far, changed) is None  # not on the pointer's row
    assert MASK_DOT == "\u2022"


def _ruled_field(text_px: list[tuple[int, int]]) -> np.ndarray:
    """A white page with a field (2 px dark border, x 100..300, y 80..108) and dark glyph
    blocks of 5x11 px at the given (x, y) inside it."""
    img = np.full((200, 400, 3), 255, np.uint8)
    cv2.rectangle(img, (100, 80), (300, 108), (20, 20, 20), 2)
    for x, y in text_px:
        img[y:y + 11, x:x + 5] = 30
    return img


def test_a_short_entry_drawn_at_once_after_the_click_that_focused_its_field_is_typing() -> None:
    from iwr.tools.perception.field_text import typed_at_once

    rest = _at(200.0, 94.0)  # the pointer rests where it clicked, in the middle of the field
    ring = _b(176, 70, 48, 48)
    entry = _b(108, 89, 14, 11)  # two letters drawn left of the pointer in one sample
    menu = _b(100, 110, 200, 60)  # the suggestion list that opens below
    between = [_sample(0, [ring], near=[ring], ring=(200, 94), pointer=rest),
               _sample(1, [ring, entry], near=[ring], ring=(200, 94), pointer=rest),
               _sample(2, [menu], pointer=rest)]
    regions = [ChangeRegion(box=_b(100, 80, 200, 90))]
    blank, typed = _run(_ruled_field([])), _run(_ruled_field([(108, 89), (116, 89)]))
    boxes = typed_at_once(between, regions, blank, typed, between[0])
    assert boxes is not None and min(b.x for b in boxes) == 108 and max(b.right for b in boxes) >= 121
    assert all(b.y == 89 for b in boxes)
    # the same change where ink was already (a counter 1 -> 2 left of the pointer) is no typing
    assert typed_at_once(between, regions, typed, _run(_ruled_field([(108, 89), (114, 89)])), between[0]) is None
    # nor ink that appears on another row than the click's (a line in the list below)
    low = _sample(0, [ring], near=[ring], ring=(200, 150), pointer=_at(200.0, 150.0))
    assert typed_at_once([low, *between[1:]], regions, blank, typed, low) is None


def test_keys_typed_on_after_the_click_that_took_the_first_one_are_typing() -> None:
    from iwr.core.geometry import Point
    from iwr.tools.perception.events import _rests_after
    from iwr.tools.perception.field_text import typed_after
    from iwr.tools.perception.types import PerceivedEvent

    rest = _at(200.0, 94.0)  # the pointer rests where it clicked; the first key landed with the click
    entry = _b(108, 89, 14, 11)  # the line redrawn with its second letter in one sample ...
    menu = _b(100, 110, 200, 60)  # ... and the suggestion list that opens below with it
    between = [_sample(0, [entry], pointer=rest), _sample(1, [menu], pointer=rest)]
    regions = [ChangeRegion(box=_b(100, 89, 200, 81))]
    one, two = _run(_ruled_field([(108, 89)])), _run(_ruled_field([(108, 89), (116, 89)]))
    at = Point(x=200.0, y=94.0)
    boxes = typed_after(between, regions, one, two, at)
    assert boxes is not None and max(b.right for b in boxes) >= 121 and all(b.y == 89 for b in boxes)
    # a letter redrawn in place (a counter 1 -> 2) does not continue a line
    assert typed_after(between, regions, one, _run(_ruled_field([(109, 89)])), at) is None
    # nor a line whose left part went with it (another slide's text)
    assert typed_after(between, regions, _run(_ruled_field([(104, 89), (108, 89)])), two, at) is None
    # nor ink on another row than the pointer's
    assert typed_after(between, regions, one, two, Point(x=200.0, y=150.0)) is None
    clicked = PerceivedEvent(index=0, start=0.0, end=0.1, kind="click", pointer=(200.0, 94.0),
                             before_keyframe=0, after_keyframe=1, confidence=0.9)
    assert _rests_after(clicked, rest, rest)
    assert not _rests_after(clicked, _at(150.0, 94.0), rest)  # the pointer moved during this event
    assert not _rests_after(clicked.model_copy(update={"pointer": (260.0, 94.0)}), rest, rest)  # it clicked elsewhere
    assert not _rests_after(clicked.model_copy(update={"kind": "scroll"}), rest, rest)


def test_a_field_border_at_the_edges_of_a_typed_line_is_cut_off_before_reading() -> None:
    from iwr.tools.perception.field_text import strip_rules

    img = _ruled_field([(108, 89), (116, 89)])
    crop = strip_rules(img[78:111, 99:140].copy())  # the crop holds the field's top, bottom and left borders
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    assert gray.shape[0] < 33 and gray.shape[1] < 41
    assert (gray[0] > 200).all() and (gray[-1] > 200).all() and (gray[:, 0] > 200).all()  # no border left at the edges
    assert (gray < 60).sum() == 2 * 5 * 11  # the glyphs are all kept
    plain = np.full((20, 40, 3), 255, np.uint8)
    plain[5:16, 10:15] = 30
    assert strip_rules(plain.copy()).shape == plain.shape  # nothing to strip: unchanged
