"""Boxes (x, y, w, h) of changed regions."""

from __future__ import annotations


def merge_boxes(boxes: list[tuple[int, int, int, int]], gap: int) -> list[tuple[int, int, int, int]]:
    """Union boxes that overlap or lie within `gap` px of each other, until stable."""
    out = [list(b) for b in boxes]
    changed = True
    while changed:
        changed = False
        i = 0
        while i < len(out):
            j = i + 1
            while j < len(out):
                a, b = out[i], out[j]
                if a[0] - gap <= b[0] + b[2] and b[0] - gap <= a[0] + a[2] and a[1] - gap <= b[1] + b[3] and b[1] - gap <= a[1] + a[3]:
                    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
                    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
                    out[i] = [x0, y0, x1 - x0, y1 - y0]
                    out.pop(j)
                    changed = True
                else:
                    j += 1
            i += 1
    return [tuple(b) for b in out]  # type: ignore[misc]
