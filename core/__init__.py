"""Floor 0: what every floor may import (the error base, Box and Point). Imports nothing of iwr."""

from __future__ import annotations

from .errors import IwrError
from .geometry import Box, PixelBox, Point

__all__ = ["Box", "IwrError", "PixelBox", "Point"]
