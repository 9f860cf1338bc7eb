"""Mouse pointers and click indicators drawn onto RGB frames (numpy, OpenCV).

Shapes are polygons in a 1x unit (hot spot at the origin, owned by `cursor_shapes`), scaled
and outlined, so other code can draw a different cursor (another shape or colour) with the
same functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from .cursor_shapes import SHAPES, PointerShape

RGB = tuple[int, int, int]



@dataclass(frozen=True)
class PointerStyle:
    """How a pointer looks: fill, outline, outline width, size in pixels per unit."""

    fill: RGB = (255, 255, 255)
    outline: RGB = (0, 0, 0)
    outline_width: int = 1
    scale: float = 1.15


@dataclass(frozen=True)
class RingStyle:
    """The expanding click ring: colour, start/end radius, thickness, peak opacity."""

    color: RGB = (255, 64, 64)
    start_radius: float = 5.0
    end_radius: float = 26.0
    thickness: int = 3
    opacity: float = 0.85


_SUB = 4  # fixed-point bits for sub-pixel polygon drawing


def draw_polygon_pointer(frame: np.ndarray, x: float, y: float, polygon: np.ndarray,
                         style: PointerStyle = PointerStyle()) -> None:
    """Draw a cursor polygon (hot spot at the origin) with its hot spot at (x, y), in place."""
    scaled = (polygon * style.scale + np.array([x, y], dtype=np.float32)) * (1 << _SUB)
    pts = np.round(scaled).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(frame, [pts], style.fill, lineType=cv2.LINE_AA, shift=_SUB)
    if style.outline_width > 0:
        cv2.polylines(frame, [pts], True, style.outline, style.outline_width, lineType=cv2.LINE_AA, shift=_SUB)


def draw_pointer(frame: np.ndarray, x: float, y: float, shape: PointerShape | str = PointerShape.ARROW,
                 style: PointerStyle = PointerStyle()) -> None:
    """Draw a built-in pointer shape at (x, y) onto an RGB frame, in place."""
    draw_polygon_pointer(frame, x, y, SHAPES[PointerShape(shape)], style)


def draw_click_ring(frame: np.ndarray, x: float, y: float, progress: float, style: RingStyle = RingStyle()) -> None:
    """Draw the click indicator at `progress` in [0, 1] (grows and fades out), in place."""
    if not 0.0 <= progress <= 1.0:
        return
    radius = style.start_radius + (style.end_radius - style.start_radius) * progress
    alpha = style.opacity * (1.0 - progress) ** 0.7
    pad = int(radius + style.thickness + 2)
    h, w = frame.shape[:2]
    x0, y0 = max(0, int(x) - pad), max(0, int(y) - pad)
    x1, y1 = min(w, int(x) + pad + 1), min(h, int(y) + pad + 1)
    if x0 >= x1 or y0 >= y1 or alpha <= 0:
        return
    roi = frame[y0:y1, x0:x1]
    layer = roi.copy()
    center = (int(round((x - x0) * (1 << _SUB))), int(round((y - y0) * (1 << _SUB))))
    cv2.circle(layer, center, int(round(radius * (1 << _SUB))), style.color, style.thickness, lineType=cv2.LINE_AA, shift=_SUB)
    cv2.addWeighted(layer, alpha, roi, 1.0 - alpha, 0.0, dst=roi)


def ease_in_out(t: float) -> float:
    """Cubic ease-in-out on [0, 1]."""
    t = min(1.0, max(0.0, t))
    return 4 * t**3 if t < 0.5 else 1 - (-2 * t + 2) ** 3 / 2


FrameSink = Callable[[np.ndarray, int], None]  # (frame, repeat), e.g. Mp4Writer.write


@dataclass
class _Ring:
    x: float
    y: float
    start: int  # frame index when the click happened


class PointerFilm:
    """Compose a constant-fps film from page states with a drawn pointer and click rings.

    `show(image)` sets the current state; `hold`, `move_to` and `click` emit frames to the
    sink. Time is counted in frames, so the video time of every event is exact.
    """

    def __init__(self, sink: FrameSink, fps: float, start: tuple[float, float], *, pointer_style: PointerStyle = PointerStyle(),
                 ring_style: RingStyle = RingStyle(), ring_seconds: float = 0.45) -> None:
        self._sink, self.fps = sink, float(fps)
        self.x, self.y = start
        self.shape = PointerShape.ARROW
        self.frames = 0
        self._base: np.ndarray | None = None
        self._rings: list[_Ring] = []
        self._pointer_style, self._ring_style = pointer_style, ring_style
        self._ring_frames = max(1, round(ring_seconds * self.fps))

    @property
    def time(self) -> float:
        """Video time in seconds of the next frame."""
        return self.frames / self.fps

    def show(self, image: np.ndarray) -> None:
        """Make `image` (RGB) the page state drawn under the pointer from now on."""
        self._base = image

    def _compose(self) -> np.ndarray:
        if self._base is None:
            raise RuntimeError("PointerFilm.show() must be called before emitting frames")
        frame = self._base.copy()
        for ring in self._rings:
            draw_click_ring(frame, ring.x, ring.y, (self.frames - ring.start) / self._ring_frames, self._ring_style)
        draw_pointer(frame, self.x, self.y, self.shape, self._pointer_style)
        return frame

    def _emit(self, count: int) -> None:
        """Emit `count` frames of the current state; frames without a live ring are reused."""
        while count > 0:
            self._rings = [r for r in self._rings if self.frames - r.start <= self._ring_frames]
            if self._rings:
                self._sink(self._compose(), 1)
                self.frames, count = self.frames + 1, count - 1
            else:
                self._sink(self._compose(), count)
                self.frames, count = self.frames + count, 0

    def hold(self, seconds: float) -> None:
        """Keep the current state and pointer for `seconds` (at least one frame)."""
        self._emit(max(1, round(seconds * self.fps)))

    def move_to(self, x: float, y: float, seconds: float | None = None) -> None:
        """Glide the pointer to (x, y) with ease-in-out; duration grows with distance."""
        dist = math.hypot(x - self.x, y - self.y)
        if seconds is None:
            seconds = min(0.9, 0.3 + dist / 1400)
        n = max(1, round(seconds * self.fps)) if dist > 0.5 else 0
        x0, y0 = self.x, self.y
        for i in range(1, n + 1):
            t = ease_in_out(i / n)
            self.x, self.y = x0 + (x - x0) * t, y0 + (y - y0) * t
            self._emit(1)
        self.x, self.y = x, y

    def click(self) -> None:
        """Start a click ring at the pointer (drawn on the following frames)."""
        self._rings.append(_Ring(self.x, self.y, self.frames))


class NullFilm(PointerFilm):
    """A film that draws nothing (recording probes): keeps the pointer position only."""

    def __init__(self, start: tuple[float, float] = (0.0, 0.0)) -> None:
        super().__init__(lambda frame, repeat: None, 1.0, start)

    def _emit(self, count: int) -> None:
        self.frames += count
