"""Floor 0: what every floor may import. Imports nothing of iwr above it.

`errors` (IwrError, the base of every error of the project), `geometry` (Box, PixelBox, Point),
`change` (change detection and the named threshold of each use), `cache_files` (the cache
root, a file lock), `sources` (the package modules a module imports, for cache keys and the
import-graph test), `saved_diff` (two saved results compared value by value).
"""

from __future__ import annotations

from .errors import IwrError
from .geometry import Box, PixelBox, Point

__all__ = ["Box", "IwrError", "PixelBox", "Point"]
