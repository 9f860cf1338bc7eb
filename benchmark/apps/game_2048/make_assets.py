"""Images of the game_2048 app: logo tile, favicon, trophy star for the best score."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from iwr.benchmark.apps.drawing import font, icon

GOLD = (237, 194, 46)


def tile_logo(size: int, text: str, text_size: int) -> Image.Image:
    """A gold rounded tile with centred white text, like the game's 2048 tile."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([0, 0, size - 1, size - 1], radius=size // 8, fill=GOLD)
    f = font(text_size)
    box = d.textbbox((0, 0), text, font=f)
    d.text(((size - (box[2] - box[0])) / 2 - box[0], (size - (box[3] - box[1])) / 2 - box[1]), text, font=f, fill=(255, 255, 255))
    return img


def make(dest: Path) -> None:
    """Write the game's images into dest."""
    tile_logo(96, "2048", 26).save(dest / "logo.png")
    tile_logo(32, "2k", 15).save(dest / "favicon.png")
    icon(18, "star", (255, 255, 255)).save(dest / "trophy.png")
