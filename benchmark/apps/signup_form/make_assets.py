"""Images of the signup_form app: logo, favicon and the success check mark."""

from __future__ import annotations

from pathlib import Path

from iwr.benchmark.apps.drawing import badge, icon


def make(dest: Path) -> None:
    """Write the sign-up page's images into dest."""
    badge("Notably", (132, 40), (255, 255, 255), (79, 70, 229)).save(dest / "logo.png")
    icon(32, "check", (255, 255, 255), (79, 70, 229)).save(dest / "favicon.png")
    icon(48, "check", (22, 163, 74)).save(dest / "success.png")
