"""Images for the task board: logo, avatar, favicon, delete icon and project dots."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from iwr.benchmark.apps.drawing import badge, icon, photo


def _round_avatar(size: int) -> Image.Image:
    """A photo cropped to a circle (the signed-in user's picture)."""
    pic = photo((size, size), seed=41, palette=[(250, 214, 165), (120, 80, 60), (70, 110, 160), (230, 180, 140)])
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse([0, 0, size - 1, size - 1], fill=255)
    out = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    out.paste(pic, (0, 0), mask)
    return out


def _trash(size: int) -> Image.Image:
    """A small grey bin icon for the delete buttons."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    grey = (150, 155, 165, 255)
    d.rectangle([size * 0.2, size * 0.18, size * 0.8, size * 0.26], fill=grey)
    d.rectangle([size * 0.4, size * 0.1, size * 0.6, size * 0.18], fill=grey)
    d.polygon([(size * 0.26, size * 0.3), (size * 0.74, size * 0.3), (size * 0.68, size * 0.9), (size * 0.32, size * 0.9)],
              fill=grey)
    return img


def make(dest: Path) -> None:
    """Write the task board's images into `dest`."""
    badge("TaskBoard", (160, 40), (255, 255, 255), (79, 70, 229)).save(dest / "logo.png")
    _round_avatar(96).save(dest / "avatar.png")
    icon(32, "check", (255, 255, 255), (79, 70, 229)).save(dest / "favicon.png")
    _trash(32).save(dest / "trash.png")
    icon(24, "circle", (239, 68, 68)).save(dest / "dot-red.png")
    icon(24, "circle", (16, 185, 129)).save(dest / "dot-green.png")
    icon(24, "circle", (245, 158, 11)).save(dest / "dot-amber.png")
    icon(48, "bell", (107, 114, 128)).save(dest / "bell.png")
