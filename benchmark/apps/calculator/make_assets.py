"""Images for the calculator: logo, favicon, gear and history icons."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

from iwr.benchmark.apps.drawing import badge, icon


def _gear(size: int, color: tuple[int, int, int]) -> Image.Image:
    """A cog wheel with eight teeth and a hole."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    c, outer, inner = size / 2, size * 0.46, size * 0.34
    pts = []
    for i in range(32):
        a = i * math.pi / 16
        r = outer if (i // 2) % 2 == 0 else inner
        pts.append((c + r * math.cos(a), c + r * math.sin(a)))
    d.polygon(pts, fill=color)
    h = size * 0.14
    d.ellipse([c - h, c - h, c + h, c + h], fill=(0, 0, 0, 0))
    return img


def _clock(size: int, color: tuple[int, int, int]) -> Image.Image:
    """A clock face for the history panel heading."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    w = max(2, size // 12)
    d.ellipse([w, w, size - w, size - w], outline=color, width=w)
    c = size / 2
    d.line([(c, c), (c, size * 0.24)], fill=color, width=w)
    d.line([(c, c), (size * 0.72, c)], fill=color, width=w)
    return img


def make(dest: Path) -> None:
    """Write the calculator's images into `dest`."""
    badge("=", (64, 64), (255, 255, 255), (234, 88, 12)).save(dest / "logo.png")
    icon(32, "plus", (255, 255, 255), (234, 88, 12)).save(dest / "favicon.png")
    _gear(40, (100, 116, 139)).save(dest / "gear.png")
    _clock(40, (100, 116, 139)).save(dest / "clock.png")
