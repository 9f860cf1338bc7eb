"""Images of the shop_cart app: logo, favicon, header icons, rating star, product photos."""

from __future__ import annotations

from pathlib import Path

from iwr.benchmark.apps.drawing import badge, icon, photo

PRODUCTS: dict[str, tuple[int, list[tuple[int, int, int]]]] = {
    "trail_runner": (11, [(250, 220, 210), (240, 180, 170), (200, 40, 40), (150, 20, 30), (90, 10, 20)]),
    "water_bottle": (12, [(215, 235, 250), (170, 210, 240), (40, 110, 200), (20, 70, 150), (230, 240, 250)]),
    "day_pack": (13, [(225, 240, 215), (185, 215, 170), (60, 130, 60), (30, 90, 40), (120, 160, 90)]),
    "wool_beanie": (14, [(252, 245, 210), (245, 225, 150), (225, 170, 30), (180, 120, 20), (250, 210, 90)]),
    "headlamp": (15, [(40, 40, 60), (80, 80, 110), (250, 240, 160), (120, 120, 150), (200, 200, 220)]),
    "camp_mug": (16, [(245, 230, 220), (220, 190, 170), (130, 80, 60), (90, 60, 50), (200, 120, 80)]),
}


def make(dest: Path) -> None:
    """Write the shop's images into dest."""
    badge("Trailhead", (180, 44), (255, 255, 255), (22, 101, 52)).save(dest / "logo.png")
    icon(32, "cart", (255, 255, 255), (22, 101, 52)).save(dest / "favicon.png")
    icon(28, "cart", (255, 255, 255)).save(dest / "cart.png")
    icon(16, "star", (245, 158, 11)).save(dest / "star.png")
    icon(20, "check", (22, 101, 52)).save(dest / "check.png")
    for name, (seed, palette) in PRODUCTS.items():
        photo((360, 270), seed, palette).save(dest / f"{name}.jpg", quality=72)
