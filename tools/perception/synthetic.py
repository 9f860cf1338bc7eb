"""A synthetic, page-like screen recording with known truth, to test and time perception.

Draws a simple page (header with a logo, a photo, a button, a text field, a scrollable
list, thumbnails), moves a cursor, clicks (with or without a ring), types, presses Enter,
scrolls, and writes an H.264 mp4 plus the asset files and the truth of every action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from pydantic import BaseModel

from iwr.core.geometry import PixelBox
from iwr.tools.pointer import PointerShape, PointerStyle, draw_click_ring, draw_pointer, ease_in_out
from iwr.tools.video import Mp4Writer


class SyntheticAction(BaseModel):
    """One performed action: kind, time span, click point, text or key."""

    kind: str  # click | typing | key | scroll
    span: tuple[float, float]
    point: tuple[float, float] | None = None
    text: str | None = None
    key: str | None = None


class SyntheticPlacement(BaseModel):
    """An asset drawn at a box after action k (0 = initial state)."""

    state: int
    asset: str
    box: PixelBox


class SyntheticTruth(BaseModel):
    """What the synthetic video shows."""

    video: str
    assets_dir: str
    width: int
    height: int
    fps: float
    duration: float
    actions: list[SyntheticAction]
    placements: list[SyntheticPlacement]


@dataclass
class SyntheticOptions:
    """Size, frame rate, cursor look and whether clicks show a ring."""

    width: int = 1280
    height: int = 720
    fps: float = 15.0
    cursor: PointerShape = PointerShape.ARROW
    cursor_style: PointerStyle = field(default_factory=PointerStyle)
    ring: bool = True
    tail: float = 1.5


def _photo(w: int, h: int, seed: int) -> np.ndarray:
    """A textured, photo-like RGB image."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c = rng.uniform(40, 220, size=(3, 3))
    img = np.stack([c[i, 0] + (c[i, 1] - c[i, 0]) * yy / h + 30 * np.sin(xx / (7 + 5 * i) + seed) for i in range(3)], -1)
    for _ in range(8):
        cx, cy, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(h // 10, h // 3))
        cv2.circle(img, (cx, cy), r, tuple(float(v) for v in rng.uniform(0, 255, 3)), -1)
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _logo(size: int) -> np.ndarray:
    """An RGBA badge icon on a transparent background."""
    img = np.zeros((size, size, 4), np.uint8)
    cv2.circle(img, (size // 2, size // 2), size // 2 - 1, (30, 120, 220, 255), -1, cv2.LINE_AA)
    cv2.putText(img, "Q", (size // 4, int(size * 0.72)), cv2.FONT_HERSHEY_DUPLEX, size / 40, (255, 255, 255, 255), 2, cv2.LINE_AA)
    cv2.rectangle(img, (size // 2, size // 6), (size - 8, size // 3), (250, 200, 40, 255), -1)
    return img


def _paste(canvas: np.ndarray, img: np.ndarray, box: PixelBox) -> None:
    """Paste an RGB/RGBA image resized into `box`, clipped to the canvas."""
    x, y, w, h = box.as_tuple()
    r = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    H, W = canvas.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    part = r[y0 - y:y1 - y, x0 - x:x1 - x]
    if part.shape[2] == 4:
        a = part[..., 3:4].astype(np.float32) / 255
        canvas[y0:y1, x0:x1] = (part[..., :3] * a + canvas[y0:y1, x0:x1] * (1 - a)).astype(np.uint8)
    else:
        canvas[y0:y1, x0:x1] = part


class _Page:
    """Page state and its rendering (RGB), laid out relative to the frame size."""

    def __init__(self, w: int, h: int, photos: list[np.ndarray], logo: np.ndarray) -> None:
        self.w, self.h, self.photos, self.logo = w, h, photos, logo
        self.k = w / 1280
        self.clicked = False
        self.focused = False
        self.text = ""
        self.submitted = ""
        self.scroll = 0
        self.photo_index = 0

    def px(self, *v: float) -> tuple[int, ...]:
        return tuple(int(round(a * self.k)) for a in v)

    @property
    def button(self) -> PixelBox:
        return self.box(60, 420, 160, 48)

    @property
    def field(self) -> PixelBox:
        return self.box(60, 520, 360, 44)

    @property
    def list_box(self) -> PixelBox:
        return self.box(860, 110, 360, 560)

    @property
    def thumb(self) -> PixelBox:
        return self.box(520, 600, 120, 90)

    def box(self, x: float, y: float, w: float, h: float) -> PixelBox:
        bx, by, bw, bh = self.px(x, y, w, h)
        return PixelBox(x=bx, y=by, width=bw, height=bh)

    def placements(self) -> list[tuple[str, PixelBox]]:
        main = "photo_b.jpg" if self.photo_index else "photo_a.jpg"
        return [("logo.png", self.box(24, 12, 48, 48)), (main, self.box(60, 110, 320, 240)),
                ("photo_b.jpg", self.box(520, 600, 120, 90)), ("photo_a.jpg", self.box(660, 600, 120, 90))]

    def render(self) -> np.ndarray:
        k = self.k
        f = np.full((self.h, self.w, 3), 246, np.uint8)
        cv2.rectangle(f, (0, 0), (self.w, int(72 * k)), (35, 40, 60), -1)
        cv2.putText(f, "Synthetic Shop", self.px(90, 46), cv2.FONT_HERSHEY_SIMPLEX, 1.0 * k, (240, 240, 240), 2, cv2.LINE_AA)
        for (name, box) in self.placements():
            img = self.logo if name == "logo.png" else self.photos[1 if name == "photo_b.jpg" else 0]
            _paste(f, img, box)
        for i, word in enumerate(["Fresh picks of the week", "Free shipping over 40", "Open daily"]):
            cv2.putText(f, word, self.px(420, 140 + 40 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.7 * k, (60, 60, 60), 1, cv2.LINE_AA)
        x, y, w, h = self.button.as_tuple()
        cv2.rectangle(f, (x, y), (x + w, y + h), (40, 160, 90) if self.clicked else (50, 110, 200), -1)
        cv2.putText(f, "Added" if self.clicked else "Add", (x + int(20 * k), y + int(32 * k)), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * k,
                    (255, 255, 255), 2, cv2.LINE_AA)
        if self.clicked:
            cv2.putText(f, "1 item in cart", self.px(240, 452), cv2.FONT_HERSHEY_SIMPLEX, 0.7 * k, (40, 130, 60), 2, cv2.LINE_AA)
        x, y, w, h = self.field.as_tuple()
        cv2.rectangle(f, (x, y), (x + w, y + h), (255, 255, 255), -1)
        cv2.rectangle(f, (x, y), (x + w, y + h), (50, 110, 200) if self.focused else (170, 170, 170), 2)
        label, color = (self.text, (20, 20, 20)) if self.text else ("Your name", (165, 165, 165))
        cv2.putText(f, label, (x + int(12 * k), y + int(30 * k)), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * k, color, 2, cv2.LINE_AA)
        if self.submitted:
            cv2.putText(f, f"Welcome, {self.submitted}!", self.px(60, 610), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * k, (150, 60, 40), 2,
                        cv2.LINE_AA)
        self._render_list(f)
        return f

    def _render_list(self, f: np.ndarray) -> None:
        x, y, w, h = self.list_box.as_tuple()
        sub = np.full((h, w, 3), 255, np.uint8)
        row = int(56 * self.k)
        for i in range(40):
            top = i * row - self.scroll
            if top + row < 0 or top > h:
                continue
            shade = 235 if i % 2 else 250
            cv2.rectangle(sub, (0, top), (w, top + row - 2), (shade, shade, shade), -1)
            cv2.putText(sub, f"Item {i + 1:02d}  price {(i * 7) % 50 + 3}.99", (int(14 * self.k), top + int(36 * self.k)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.7 * self.k, (30 + 5 * (i % 9), 40, 70), 2, cv2.LINE_AA)
        f[y:y + h, x:x + w] = sub
        cv2.rectangle(f, (x, y), (x + w, y + h), (180, 180, 180), 1)


@dataclass
class _Clock:
    """The recording's time, the pointer's place and the click ring being drawn (x, y, start)."""

    t: float
    pos: tuple[float, float]
    ring: tuple[float, float, float] | None = None


def make_synthetic_recording(out_dir: Path, options: SyntheticOptions | None = None) -> SyntheticTruth:
    """Write `video.mp4` and `assets/` under out_dir; return the truth."""
    o = options or SyntheticOptions()
    out_dir.mkdir(parents=True, exist_ok=True)
    assets = out_dir / "assets"
    assets.mkdir(exist_ok=True)
    photos = [_photo(400, 300, 1), _photo(400, 300, 7)]
    logo = _logo(96)
    cv2.imwrite(str(assets / "photo_a.jpg"), cv2.cvtColor(photos[0], cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    cv2.imwrite(str(assets / "photo_b.jpg"), cv2.cvtColor(photos[1], cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    cv2.imwrite(str(assets / "logo.png"), cv2.cvtColor(logo, cv2.COLOR_RGBA2BGRA))
    cv2.imwrite(str(assets / "unused.png"), cv2.cvtColor(_photo(120, 120, 99), cv2.COLOR_RGB2BGR))
    (assets / "notes.txt").write_text("not an image\n")
    page = _Page(o.width, o.height, photos, logo)
    sc = SyntheticOptions().cursor_style.scale
    cs = o.cursor_style
    style = PointerStyle(cs.fill, cs.outline, cs.outline_width, cs.scale * page.k if cs.scale == sc else cs.scale)
    actions: list[SyntheticAction] = []
    placements: list[SyntheticPlacement] = [SyntheticPlacement(state=0, asset=a, box=b) for a, b in page.placements()]
    dt = 1.0 / o.fps
    state = _Clock(t=0.0, pos=(o.width * 0.5, o.height * 0.4))

    with Mp4Writer(out_dir / "video.mp4", o.width, o.height, o.fps) as writer:
        def frame() -> None:
            f = page.render()
            if state.ring is not None and o.ring:
                rx, ry, t0 = state.ring
                draw_click_ring(f, rx, ry, (state.t - t0) / 0.45)
            draw_pointer(f, state.pos[0], state.pos[1], o.cursor, style)
            writer.write(f)
            state.t += dt

        def wait(sec: float) -> None:
            for _ in range(max(1, int(round(sec / dt)))):
                frame()

        def move(to: tuple[float, float], sec: float = 0.6) -> None:
            x0, y0 = state.pos
            n = max(2, int(round(sec / dt)))
            for i in range(1, n + 1):
                e = ease_in_out(i / n)
                state.pos = (x0 + (to[0] - x0) * e, y0 + (to[1] - y0) * e)
                frame()

        def click(effect: Callable[[], object]) -> None:
            state.ring = (*state.pos, state.t)
            wait(0.1)
            effect()
            wait(0.5)
            state.ring = None

        def move_and_click(to: tuple[float, float], effect: Callable[[], object]) -> Callable[[], None]:
            def run() -> None:
                move(to)
                click(effect)
            return run

        def centre(b: PixelBox) -> tuple[float, float]:
            return (b.x + b.width * 0.45, b.y + b.height * 0.55)

        def act(kind: str, run: Callable[[], object], point: tuple[float, float] | None = None, text: str | None = None,
                key: str | None = None) -> None:
            t0 = state.t
            run()
            wait(0.25)
            actions.append(SyntheticAction(kind=kind, span=(t0, state.t), point=point, text=text, key=key))
            placements.extend(SyntheticPlacement(state=len(actions), asset=a, box=b) for a, b in page.placements())
            wait(1.0)

        wait(1.0)
        p_btn = centre(page.button)
        act("click", move_and_click(p_btn, lambda: setattr(page, "clicked", True)), point=p_btn)
        p_field = centre(page.field)
        act("click", move_and_click(p_field, lambda: setattr(page, "focused", True)), point=p_field)

        def type_text() -> None:
            for ch in "Alice":
                page.text += ch
                wait(0.14)
        act("typing", type_text, text="Alice")
        def press_enter() -> None:
            page.submitted = page.text
            wait(0.1)
        act("key", press_enter, key="Enter")
        lb = page.list_box
        p_list = (lb.x + lb.width * 0.5, lb.y + lb.height * 0.5)

        def scroll() -> None:
            move(p_list, 0.5)
            for i in range(1, 6):
                page.scroll = int(i * 0.2 * 280 * page.k)
                frame()
        act("scroll", scroll, point=p_list)
        p_thumb = centre(page.thumb)
        act("click", move_and_click(p_thumb, lambda: setattr(page, "photo_index", 1)), point=p_thumb)
        wait(o.tail)
        duration = state.t
    return SyntheticTruth(video=str(out_dir / "video.mp4"), assets_dir=str(assets), width=o.width, height=o.height,
                          fps=o.fps, duration=duration, actions=actions, placements=placements)
