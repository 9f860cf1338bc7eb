"""Deterministic Pillow drawing helpers for the bundled apps' image assets.

Each app folder has `make_assets.py` with `make(dest: Path) -> None` that uses these to
write its PNG/JPEG files; the files are committed, and `python -m
iwr.benchmark.apps.drawing` rebuilds all of them.
"""

from __future__ import annotations

import importlib
import math
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

APPS_DIR = Path(__file__).parent

RGB = tuple[int, int, int]


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans when installed, else Pillow's built-in font at that size."""
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    """A vertical linear gradient."""
    w, h = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(h):
        t = y / max(1, h - 1)
        draw.line([(0, y), (w, y)],
                  fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=False)))  # the channels both colours have
    return img


def photo(size: tuple[int, int], seed: int, palette: list[RGB]) -> Image.Image:
    """A photo-like picture: gradient sky, hills and blobs, textured, from a seed."""
    rng = random.Random(seed)
    w, h = size
    img = gradient(size, palette[0], palette[1 % len(palette)])
    draw = ImageDraw.Draw(img)
    for i in range(3):
        color = palette[(i + 2) % len(palette)]
        base = h * (0.55 + 0.12 * i)
        amp, freq, phase = h * 0.08, rng.uniform(1.0, 3.0), rng.uniform(0, 6.28)
        pts = [(x, base - amp * math.sin(freq * x / w * 6.28 + phase)) for x in range(0, w + 8, 8)]
        draw.polygon([*pts, (w, h), (0, h)], fill=color)
    for _ in range(6):
        r = rng.randint(max(2, w // 30), max(3, w // 10))
        cx, cy = rng.randint(0, w), rng.randint(0, h // 2)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=palette[rng.randrange(len(palette))])
    grain = np.random.default_rng(seed).normal(128, 18, (h, w)).clip(0, 255).astype(np.uint8)
    noise = Image.fromarray(grain, "L").convert("RGB")
    return Image.blend(img, noise, 0.08)


def icon(size: int, shape: str, fg: RGB, bg: RGB | None = None) -> Image.Image:
    """A simple flat icon: circle, square, triangle, star, heart, plus, cart, check, bell."""
    img = Image.new("RGBA", (size, size), (*bg, 255) if bg else (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s, m = size, size * 0.15
    if shape == "circle":
        d.ellipse([m, m, s - m, s - m], fill=fg)
    elif shape == "square":
        d.rounded_rectangle([m, m, s - m, s - m], radius=s * 0.12, fill=fg)
    elif shape == "triangle":
        d.polygon([(s / 2, m), (s - m, s - m), (m, s - m)], fill=fg)
    elif shape == "star":
        pts = []
        for i in range(10):
            r = (s / 2 - m) * (1 if i % 2 == 0 else 0.45)
            a = -math.pi / 2 + i * math.pi / 5
            pts.append((s / 2 + r * math.cos(a), s / 2 + r * math.sin(a)))
        d.polygon(pts, fill=fg)
    elif shape == "heart":
        r = s * 0.2
        d.ellipse([s / 2 - 2 * r, s * 0.25, s / 2, s * 0.25 + 2 * r], fill=fg)
        d.ellipse([s / 2, s * 0.25, s / 2 + 2 * r, s * 0.25 + 2 * r], fill=fg)
        d.polygon([(s / 2 - 2 * r + 1, s * 0.25 + r * 1.3), (s / 2 + 2 * r - 1, s * 0.25 + r * 1.3), (s / 2, s - m)], fill=fg)
    elif shape == "plus":
        t = s * 0.14
        d.rectangle([s / 2 - t, m, s / 2 + t, s - m], fill=fg)
        d.rectangle([m, s / 2 - t, s - m, s / 2 + t], fill=fg)
    elif shape == "cart":
        w = max(2, int(s * 0.08))
        d.line([(m, m * 1.5), (s * 0.3, m * 1.5), (s * 0.4, s * 0.65), (s - m, s * 0.65), (s - m * 0.8, s * 0.3),
                (s * 0.33, s * 0.3)], fill=fg, width=w)
        for cx in (s * 0.45, s * 0.78):
            d.ellipse([cx - w * 1.5, s * 0.78 - w * 1.5, cx + w * 1.5, s * 0.78 + w * 1.5], fill=fg)
    elif shape == "check":
        d.line([(m * 1.3, s * 0.55), (s * 0.42, s - m * 1.6), (s - m, m * 1.5)], fill=fg, width=max(2, int(s * 0.12)))
    elif shape == "bell":
        d.pieslice([m, m, s - m, s * 1.1 - m], 180, 360, fill=fg)
        d.rectangle([m, s * 0.55 - 1, s - m, s * 0.7], fill=fg)
        d.ellipse([s / 2 - s * 0.08, s * 0.7, s / 2 + s * 0.08, s * 0.86], fill=fg)
    else:
        raise ValueError(f"unknown icon shape {shape!r}")
    return img


def badge(text: str, size: tuple[int, int], fg: RGB, bg: RGB) -> Image.Image:
    """A rounded label with centred text (logos, tags)."""
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([0, 0, size[0] - 1, size[1] - 1], radius=min(size) // 4, fill=bg)
    f = font(int(size[1] * 0.45))
    box = d.textbbox((0, 0), text, font=f)
    d.text(((size[0] - (box[2] - box[0])) / 2 - box[0], (size[1] - (box[3] - box[1])) / 2 - box[1]), text, font=f, fill=fg)
    return img


def rebuild_all() -> list[str]:
    """Run every app's make_assets.make(dest) into its assets/ folder; return app names."""
    done = []
    for folder in sorted(p for p in APPS_DIR.iterdir() if (p / "make_assets.py").is_file()):
        module = importlib.import_module(f"{__package__}.{folder.name}.make_assets")
        dest = folder / "assets"
        dest.mkdir(exist_ok=True)
        module.make(dest)
        done.append(folder.name)
    return done


if __name__ == "__main__":
    print("rebuilt:", ", ".join(rebuild_all()))
