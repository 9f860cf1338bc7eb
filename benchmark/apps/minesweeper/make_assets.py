"""Images for minesweeper: faces for the reset button, mine, flag, logo, favicon, backdrop."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from iwr.benchmark.apps.drawing import badge, icon

YELLOW = (250, 204, 21)
INK = (30, 30, 30)


def _face(size: int, mood: str) -> Image.Image:
    """A round yellow face: 'smile', 'cool' (sunglasses) or 'dead' (crossed eyes)."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size
    d.ellipse([2, 2, s - 3, s - 3], fill=YELLOW, outline=INK, width=max(2, s // 24))
    w = max(2, s // 16)
    if mood == "cool":
        d.rounded_rectangle([s * 0.2, s * 0.3, s * 0.47, s * 0.45], radius=3, fill=INK)
        d.rounded_rectangle([s * 0.53, s * 0.3, s * 0.8, s * 0.45], radius=3, fill=INK)
        d.line([(s * 0.47, s * 0.34), (s * 0.53, s * 0.34)], fill=INK, width=w)
    elif mood == "dead":
        for cx in (s * 0.35, s * 0.65):
            r = s * 0.07
            d.line([(cx - r, s * 0.33), (cx + r, s * 0.47)], fill=INK, width=w)
            d.line([(cx - r, s * 0.47), (cx + r, s * 0.33)], fill=INK, width=w)
    else:
        for cx in (s * 0.35, s * 0.65):
            d.ellipse([cx - s * 0.05, s * 0.34, cx + s * 0.05, s * 0.44], fill=INK)
    if mood == "dead":
        d.arc([s * 0.3, s * 0.62, s * 0.7, s * 0.9], 200, 340, fill=INK, width=w)
    else:
        d.arc([s * 0.28, s * 0.45, s * 0.72, s * 0.78], 20, 160, fill=INK, width=w)
    return img


def _mine(size: int) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size
    w = max(2, s // 10)
    d.line([(s / 2, s * 0.08), (s / 2, s * 0.92)], fill=INK, width=w)
    d.line([(s * 0.08, s / 2), (s * 0.92, s / 2)], fill=INK, width=w)
    d.line([(s * 0.2, s * 0.2), (s * 0.8, s * 0.8)], fill=INK, width=w)
    d.line([(s * 0.2, s * 0.8), (s * 0.8, s * 0.2)], fill=INK, width=w)
    d.ellipse([s * 0.22, s * 0.22, s * 0.78, s * 0.78], fill=INK)
    d.ellipse([s * 0.34, s * 0.32, s * 0.46, s * 0.44], fill=(255, 255, 255))
    return img


def _flag(size: int) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size
    d.polygon([(s * 0.3, s * 0.12), (s * 0.82, s * 0.32), (s * 0.3, s * 0.52)], fill=(220, 38, 38))
    d.rectangle([s * 0.26, s * 0.12, s * 0.33, s * 0.8], fill=INK)
    d.rectangle([s * 0.16, s * 0.8, s * 0.6, s * 0.88], fill=INK)
    return img


def _backdrop(size: int) -> Image.Image:
    """A tileable checker pattern for the page background."""
    img = Image.new("RGB", (size, size), (30, 58, 48))
    d = ImageDraw.Draw(img)
    h = size // 2
    d.rectangle([0, 0, h - 1, h - 1], fill=(35, 66, 55))
    d.rectangle([h, h, size - 1, size - 1], fill=(35, 66, 55))
    return img


def make(dest: Path) -> None:
    """Write the minesweeper images into `dest`."""
    for mood in ("smile", "cool", "dead"):
        _face(64, mood).save(dest / f"face-{mood}.png")
    _mine(48).save(dest / "mine.png")
    _flag(48).save(dest / "flag.png")
    _backdrop(48).save(dest / "backdrop.png")
    badge("MineField", (150, 38), (20, 40, 30), (134, 239, 172)).save(dest / "logo.png")
    icon(32, "star", (250, 204, 21), (30, 58, 48)).save(dest / "favicon.png")
    icon(24, "check", (22, 163, 74)).save(dest / "tick.png")
