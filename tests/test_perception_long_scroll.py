"""A scroll by about half the screen or more is read with the right sign and amount (phase
correlation is periodic: such a shift reads as well the other way round)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from iwr.tools.perception import PerceiveOptions, perceive
from iwr.tools.pointer import draw_pointer
from iwr.tools.video import Mp4Writer

FPS = 25


def _page(height: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    page = np.full((height, 1280, 3), 250, np.uint8)
    y = 20
    while y < height - 80:
        h = int(rng.integers(40, 140))
        x = int(rng.integers(20, 200))
        colour = tuple(int(v) for v in rng.integers(40, 220, 3))
        cv2.rectangle(page, (x, y), (x + int(rng.integers(200, 900)), y + h), colour, -1)
        cv2.putText(page, f"Section {y}", (x + 10, y + 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (10, 10, 10), 2)
        y += h + int(rng.integers(20, 60))
    return page


@pytest.mark.parametrize("shift", [220, 364, 380])
def test_a_long_scroll_has_the_right_sign_and_amount(tmp_path: Path, shift: int) -> None:
    page = _page(720 + shift + 40)
    with Mp4Writer(tmp_path / "v.mp4", 1280, 720, FPS) as w:
        for offset, seconds in ((0, 1.5), (shift, 1.5)):
            view = page[offset:offset + 720].copy()
            draw_pointer(view, 1000, 400)
            w.write(view, repeat=int(seconds * FPS))
    p = perceive(tmp_path / "v.mp4", None, tmp_path / "out", PerceiveOptions(ocr=False, assets=False))
    assert [e.kind for e in p.events] == ["scroll"], p.events
    assert abs(p.events[0].scroll_dy - shift) <= 8, p.events[0].scroll_dy


def test_one_wheel_gesture_with_brief_stops_is_one_scroll(tmp_path: Path) -> None:
    """Smooth scrolling of three notches, each eased over 0.2 s, with 0.8 s stops between them."""
    page = _page(720 + 3 * 120 + 40)
    frames = []
    offset = 0.0
    for notch in range(4):
        frames += [offset] * int((1.5 if notch in (0, 3) else 0.8) * FPS)
        if notch < 3:
            frames += [offset + 120 * (i + 1) / 5 for i in range(5)]
            offset += 120
    with Mp4Writer(tmp_path / "v.mp4", 1280, 720, FPS) as w:
        for off in frames:
            view = page[int(off):int(off) + 720].copy()
            draw_pointer(view, 1000, 400)
            w.write(view)
    p = perceive(tmp_path / "v.mp4", None, tmp_path / "out", PerceiveOptions(ocr=False, assets=False))
    assert [e.kind for e in p.events] == ["scroll"], [(e.kind, e.start, e.scroll_dy) for e in p.events]
    assert abs(p.events[0].scroll_dy - 360) <= 8, p.events[0].scroll_dy
