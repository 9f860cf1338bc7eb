"""Typing as a screen recording shows it: a blinking caret after the text, and a grabber that
drops frames so the text grows in jumps. One typing event, the text read without the caret."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from iwr.tools.perception import PerceiveOptions, perceive
from iwr.tools.pointer import draw_pointer
from iwr.tools.video import Mp4Writer

FPS = 25
TEXT = "Ana Souza"
FIELD = (400, 280, 480, 44)  # x, y, w, h
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _frame(text: str, caret: bool) -> np.ndarray:
    frame = np.full((720, 1280, 3), 246, np.uint8)
    cv2.putText(frame, "Full name", (400, 265), FONT, 0.6, (60, 60, 60), 1, cv2.LINE_AA)
    x, y, w, h = FIELD
    cv2.rectangle(frame, (x, y), (x + w, y + h), (255, 255, 255), -1)
    cv2.rectangle(frame, (x, y), (x + w, y + h), (90, 120, 200), 2)
    cv2.putText(frame, text, (x + 10, y + 30), FONT, 0.8, (20, 20, 20), 2, cv2.LINE_AA)
    if caret:
        (tw, _), _ = cv2.getTextSize(text, FONT, 0.8, 2) if text else ((0, 0), 0)
        cx = x + 12 + tw
        cv2.line(frame, (cx, y + 10), (cx, y + 34), (20, 20, 20), 2)
    draw_pointer(frame, 860, 300)  # an I-beam would do too: the pointer rests while typing
    return frame


def _record(path: Path, chunks: list[str]) -> None:
    """Caret blinking at the empty field, the text typed in `chunks` (each a burst of keys,
    0.8 s apart), then the caret blinking after the text."""
    frames: list[np.ndarray] = []

    def blink(text: str, seconds: float) -> None:
        frames.extend(_frame(text, caret=(i // int(0.5 * FPS)) % 2 == 0) for i in range(int(seconds * FPS)))

    blink("", 2.0)
    text = ""
    for chunk in chunks:
        for ch in chunk:
            text += ch
            frames.extend([_frame(text, caret=True)] * 3)  # 120 ms a key
        blink(text, 0.8)
    blink(text, 2.5)
    with Mp4Writer(path, 1280, 720, FPS) as w:
        for f in frames:
            w.write(f)


@pytest.mark.parametrize("chunks", [[TEXT], ["Ana ", "Sou", "za"]], ids=["steady", "in-jumps"])
def test_typed_text_is_read_without_the_caret_as_one_event(tmp_path: Path, chunks: list[str]) -> None:
    _record(tmp_path / "v.mp4", chunks)
    p = perceive(tmp_path / "v.mp4", None, tmp_path / "out", PerceiveOptions(assets=False, max_keyframes=20))
    typing = [e for e in p.events if e.kind == "typing"]
    assert len(typing) == 1, [(e.kind, e.start, e.end) for e in p.events]
    assert (typing[0].typed_text or "").casefold() == TEXT.casefold()
    assert all(e.kind == "typing" for e in p.events), [(e.kind, e.start, e.end) for e in p.events]
