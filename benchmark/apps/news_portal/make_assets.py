"""Images of the news_portal app: masthead, favicon, story photos, weather and social icons."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from iwr.benchmark.apps.drawing import font, icon, photo

STORY_PALETTES: list[list[tuple[int, int, int]]] = [
    [(200, 220, 240), (150, 180, 210), (60, 90, 130), (30, 50, 80), (220, 210, 190)],
    [(240, 225, 200), (220, 190, 150), (150, 100, 60), (90, 60, 40), (200, 160, 110)],
    [(190, 235, 230), (120, 200, 200), (20, 120, 140), (10, 70, 90), (230, 250, 250)],
    [(235, 235, 245), (200, 200, 220), (90, 90, 120), (50, 50, 70), (180, 60, 60)],
    [(220, 240, 200), (170, 210, 140), (70, 140, 60), (40, 90, 40), (240, 230, 120)],
    [(250, 215, 200), (240, 170, 150), (180, 70, 60), (110, 40, 40), (250, 230, 200)],
    [(215, 215, 250), (170, 170, 230), (80, 70, 160), (40, 30, 100), (230, 200, 240)],
    [(245, 240, 200), (230, 215, 140), (160, 130, 50), (100, 80, 30), (250, 245, 220)],
    [(205, 225, 215), (150, 190, 170), (60, 110, 90), (30, 70, 60), (240, 240, 230)],
    [(230, 210, 230), (200, 160, 200), (130, 60, 120), (80, 30, 80), (250, 220, 240)],
]


def masthead() -> Image.Image:
    """The newspaper's name set in a serif-less bold face on transparent ground."""
    img = Image.new("RGBA", (420, 56), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.text((4, 6), "The Daily Meridian", font=font(38), fill=(17, 24, 39))
    d.rectangle([4, 50, 416, 53], fill=(185, 28, 28))
    return img


def make(dest: Path) -> None:
    """Write the news site's images into dest."""
    masthead().save(dest / "masthead.png")
    icon(32, "bell", (255, 255, 255), (185, 28, 28)).save(dest / "favicon.png")
    icon(36, "circle", (250, 180, 20)).save(dest / "sun.png")
    icon(18, "heart", (185, 28, 28)).save(dest / "heart.png")
    for i, palette in enumerate(STORY_PALETTES, start=1):
        size = (800, 450) if i == 1 else (480, 270)
        photo(size, 100 + i, palette).save(dest / f"story_{i:02d}.jpg", quality=68)
