"""Images of the flight_booking app: logo, favicon, hero background, airline marks, destinations."""

from __future__ import annotations

from pathlib import Path

from iwr.benchmark.apps.drawing import badge, icon, photo

AIRLINES = {
    "skyline": ("SK", (255, 255, 255), (30, 64, 175)),
    "aurora": ("AU", (255, 255, 255), (190, 24, 93)),
    "nordwind": ("NW", (15, 23, 42), (250, 204, 21)),
}
DESTINATIONS = {
    "lisbon": (31, [(255, 214, 170), (250, 180, 120), (210, 110, 60), (170, 80, 50), (240, 200, 150)]),
    "oslo": (32, [(200, 225, 245), (150, 190, 225), (60, 100, 140), (30, 60, 90), (235, 240, 245)]),
    "rome": (33, [(250, 230, 190), (235, 200, 140), (190, 120, 70), (140, 90, 60), (220, 180, 120)]),
    "athens": (34, [(190, 230, 250), (120, 190, 235), (240, 240, 230), (60, 130, 190), (250, 250, 245)]),
}


def make(dest: Path) -> None:
    """Write the booking site's images into dest."""
    badge("FlyAway", (150, 40), (255, 255, 255), (14, 116, 144)).save(dest / "logo.png")
    icon(32, "triangle", (255, 255, 255), (14, 116, 144)).save(dest / "favicon.png")
    photo((1280, 300), 30, [(120, 180, 230), (200, 225, 245), (70, 120, 170), (40, 80, 120), (250, 250, 255)]).save(
        dest / "hero.jpg", quality=70
    )
    for name, (code, fg, bg) in AIRLINES.items():
        badge(code, (40, 40), fg, bg).save(dest / f"airline_{name}.png")
    for name, (seed, palette) in DESTINATIONS.items():
        photo((300, 180), seed, palette).save(dest / f"dest_{name}.jpg", quality=72)
    icon(20, "check", (22, 163, 74)).save(dest / "check.png")
