"""Merging the boxes of changed regions."""

from __future__ import annotations

from ...core.geometry import PixelBox


def merge_boxes(boxes: list[PixelBox], gap: int) -> list[PixelBox]:
    """Union boxes that overlap or lie within `gap` px of each other, until stable."""
    out = list(boxes)
    changed = True
    while changed:
        changed = False
        i = 0
        while i < len(out):
            j = i + 1
            while j < len(out):
                a, b = out[i], out[j]
                if a.x - gap <= b.right and b.x - gap <= a.right and a.y - gap <= b.bottom and b.y - gap <= a.bottom:
                    x0, y0 = min(a.x, b.x), min(a.y, b.y)
                    out[i] = PixelBox(x=x0, y=y0, width=max(a.right, b.right) - x0, height=max(a.bottom, b.bottom) - y0)
                    out.pop(j)
                    changed = True
                else:
                    j += 1
            i += 1
    return out
