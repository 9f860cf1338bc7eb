"""The pointer track follows a cursor whose shape is in no template: it is learned from its motion."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from iwr.tools.perception.scan import scan_video
from iwr.tools.pointer import draw_pointer, ease_in_out
from iwr.tools.video import Mp4Writer

FPS = 25
# an up-pointing shape unlike the bank's arrow and hand, hotspot at its tip (0, 0)
UP = np.array([(0, 0), (8, 10), (3, 10), (3, 20), (-3, 20), (-3, 10), (-8, 10)], np.float32)


def _page() -> np.ndarray:
    page = np.full((720, 1280, 3), 245, np.uint8)
    cv2.rectangle(page, (0, 0), (1280, 60), (40, 60, 90), -1)
    for i in range(4):
        cv2.rectangle(page, (120 + 260 * i, 200), (320 + 260 * i, 320), (200, 215, 230), -1)
        cv2.putText(page, f"Item {i}", (140 + 260 * i, 360), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (30, 30, 30), 2)
    return page


def _draw_up(frame: np.ndarray, x: float, y: float) -> None:
    pts = np.round((UP + np.array([x, y], np.float32)) * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(frame, [pts], (0, 0, 0), lineType=cv2.LINE_AA, shift=4)
    cv2.polylines(frame, [pts], True, (255, 255, 255), 1, lineType=cv2.LINE_AA, shift=4)


def _record(path: Path) -> list[tuple[float, float, float, bool]]:
    """Arrow resting, moving right; past x=450 it turns into UP; rests; moves on; rests.
    Returns (time, x, y, at rest) per frame."""
    page = _page()
    legs = [((300, 450), (300, 450), 1.0), ((300, 450), (700, 480), 1.2), ((700, 480), (700, 480), 1.2),
            ((700, 480), (980, 560), 1.0), ((980, 560), (980, 560), 1.2)]
    truth = []
    with Mp4Writer(path, 1280, 720, FPS) as w:
        t = 0.0
        for (x0, y0), (x1, y1), dur in legs:
            n = int(dur * FPS)
            for i in range(n):
                e = ease_in_out((i + 1) / n)
                x, y = x0 + (x1 - x0) * e, y0 + (y1 - y0) * e
                frame = page.copy()
                if x < 450:
                    draw_pointer(frame, x, y)
                else:
                    _draw_up(frame, x, y)
                w.write(frame)
                truth.append((t, x, y, (x0, y0) == (x1, y1)))
                t += 1 / FPS
    return truth


def test_a_cursor_shape_outside_the_bank_is_learned_and_followed(tmp_path: Path) -> None:
    truth = _record(tmp_path / "v.mp4")
    scan = scan_video(tmp_path / "v.mp4")
    at_rest = {round(t, 2): (x, y) for t, x, y, rest in truth if rest and x > 450}
    errors = []
    for s in scan.samples:
        want = at_rest.get(round(s.time, 2))
        if want is None or s.pointer is None:
            continue
        errors.append(float(np.hypot(s.pointer.x - want[0], s.pointer.y - want[1])))
    assert len(errors) >= 10
    assert float(np.median(errors)) <= 3.0, errors
    assert max(errors) <= 6.0, errors
    learned = {s.pointer.shape for s in scan.samples if s.pointer is not None and s.pointer_seen}
    assert any(name.startswith("learned") for name in learned), learned
