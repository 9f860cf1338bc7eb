"""Images for the sales dashboard: logo, avatar, KPI icons, sidebar icons, favicon."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from iwr.benchmark.apps.drawing import badge, icon, photo

NAVY = (30, 41, 59)
TEAL = (13, 148, 136)


def _avatar(size: int) -> Image.Image:
    pic = photo((size, size), seed=7, palette=[(180, 200, 230), (60, 70, 110), (210, 160, 120), (90, 60, 50)])
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse([0, 0, size - 1, size - 1], fill=255)
    out = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    out.paste(pic, (0, 0), mask)
    return out


def make(dest: Path) -> None:
    """Write the dashboard's images into `dest`."""
    badge("Salesly", (132, 36), (255, 255, 255), TEAL).save(dest / "logo.png")
    icon(32, "square", (255, 255, 255), TEAL).save(dest / "favicon.png")
    _avatar(80).save(dest / "avatar.png")
    badge("$", (40, 40), (255, 255, 255), (16, 185, 129)).save(dest / "kpi-revenue.png")
    icon(40, "cart", (255, 255, 255), (59, 130, 246)).save(dest / "kpi-orders.png")
    badge("Ø", (40, 40), (255, 255, 255), (168, 85, 247)).save(dest / "kpi-aov.png")
    badge("%", (40, 40), (255, 255, 255), (245, 158, 11)).save(dest / "kpi-conversion.png")
    for name, shape in {"overview": "square", "orders": "cart", "products": "star", "customers": "heart", "reports": "triangle",
                        "alerts": "bell"}.items():
        icon(20, shape, (148, 163, 184)).save(dest / f"nav-{name}.png")
