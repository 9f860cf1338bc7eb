"""Images for the recipe gallery: hero backdrop, six dish photos, logo, favicon, small icons."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from iwr.benchmark.apps.drawing import badge, gradient, icon, photo

DISHES = {
    "dish-1.jpg": [(250, 236, 200), (235, 190, 120), (214, 150, 80), (250, 240, 225), (120, 160, 60)],
    "dish-2.jpg": [(120, 80, 50), (70, 40, 25), (150, 100, 60), (230, 210, 180), (90, 50, 30)],
    "dish-3.jpg": [(245, 230, 190), (220, 200, 150), (250, 245, 220), (170, 120, 70), (200, 60, 40)],
    "dish-4.jpg": [(230, 80, 50), (180, 40, 30), (250, 120, 80), (90, 150, 60), (250, 230, 200)],
    "dish-5.jpg": [(220, 235, 200), (120, 170, 80), (230, 60, 50), (250, 250, 240), (70, 120, 50)],
    "dish-6.jpg": [(250, 220, 230), (200, 80, 120), (130, 40, 90), (250, 250, 250), (180, 30, 60)],
}


def _plate(seed: int, palette: list[tuple[int, int, int]]) -> Image.Image:
    """A dish photo: a textured scene with a round plate in the middle."""
    img = photo((400, 280), seed=seed, palette=palette)
    d = ImageDraw.Draw(img)
    d.ellipse([110, 50, 290, 230], fill=(248, 248, 244), outline=(210, 210, 205), width=4)
    d.ellipse([140, 80, 260, 200], fill=palette[2])
    for i in range(5):
        x, y = 160 + (i * 23) % 70, 100 + (i * 37) % 70
        d.ellipse([x, y, x + 18, y + 18], fill=palette[4])
    return img


def make(dest: Path) -> None:
    """Write the recipe gallery's images into `dest`."""
    hero = gradient((1200, 340), (60, 40, 30), (150, 90, 50))
    hero = Image.blend(hero,
                       photo((1200, 340), seed=3, palette=[(90, 60, 40), (160, 100, 60), (200, 140, 80), (70, 90, 40)]), 0.5)
    hero.save(dest / "hero.jpg", quality=60)
    for n, (name, palette) in enumerate(DISHES.items(), 1):
        _plate(100 + n, palette).save(dest / name, quality=62)
    badge("Forkful", (140, 40), (255, 255, 255), (194, 65, 12)).save(dest / "logo.png")
    icon(32, "heart", (255, 255, 255), (194, 65, 12)).save(dest / "favicon.png")
    icon(16, "star", (245, 158, 11)).save(dest / "star.png")
    icon(16, "circle", (148, 163, 184)).save(dest / "dot.png")
    icon(28, "bell", (255, 255, 255)).save(dest / "bell.png")
