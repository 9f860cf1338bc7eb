"""Points and boxes: one type each for every floor (viewport CSS pixels or image pixels)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self, TypeVar

from pydantic import BaseModel, ConfigDict


class Point(BaseModel):
    """A coordinate (x right, y down)."""

    x: float
    y: float


class Box(BaseModel):
    """An axis-aligned box: left, top, width, height."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def area(self) -> float:
        """Width times height; 0 for a box with a negative side."""
        return max(0, self.width) * max(0, self.height)

    @property
    def center(self) -> Point:
        return Point(x=self.x + self.width / 2, y=self.y + self.height / 2)

    def iou(self, other: Box) -> float:
        """Intersection over union with another box (0 when either is empty)."""
        inter = max(0, min(self.right, other.right) - max(self.x, other.x)) * max(
            0, min(self.bottom, other.bottom) - max(self.y, other.y))
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def contains(self, p: Point, margin: float = 0.0) -> bool:
        """True when `p` lies in the box grown by `margin` on every side."""
        return self.x - margin <= p.x <= self.right + margin and self.y - margin <= p.y <= self.bottom + margin

    def scaled(self, factor: float) -> Box:
        """The same box in units `factor` times as large (e.g. video pixels to CSS pixels)."""
        return Box(x=self.x * factor, y=self.y * factor, width=self.width * factor, height=self.height * factor)

    def overlaps(self, other: Box) -> bool:
        """The two boxes share some area (touching edges do not count)."""
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom

    def near(self, other: Box, gap: float) -> bool:
        """The two boxes overlap, touch, or lie within `gap` of each other on both axes."""
        return (self.x - gap <= other.right and other.x - gap <= self.right
                and self.y - gap <= other.bottom and other.y - gap <= self.bottom)

    def union(self, other: Self) -> Self:
        """The smallest box holding both, of the more general of the two types (a pixel box
        joined with a fractional one gives a plain box)."""
        x0, y0 = min(self.x, other.x), min(self.y, other.y)
        kind = type(self) if isinstance(other, type(self)) else type(other)
        return kind(x=x0, y=y0, width=max(self.right, other.right) - x0, height=max(self.bottom, other.bottom) - y0)

    def within(self, other: Box, slack: float = 0) -> bool:
        """This box lies inside `other` grown by `slack` on every side."""
        return (self.x >= other.x - slack and self.y >= other.y - slack and self.right <= other.right + slack
                and self.bottom <= other.bottom + slack)

    def grown(self, margin: float) -> Box:
        """The box grown by `margin` on every side."""
        return Box(x=self.x - margin, y=self.y - margin, width=self.width + 2 * margin, height=self.height + 2 * margin)

    def moved(self, dx: float, dy: float) -> Box:
        """The same box shifted by (dx, dy) (e.g. from a crop's pixels to the whole image's)."""
        return Box(x=self.x + dx, y=self.y + dy, width=self.width, height=self.height)


class PixelBox(Box):
    """A box on whole image pixels (perception boxes, changed regions): left, top, width, height.

    Frozen, so it hashes like the tuple `as_tuple()` and can key a dict or fill a set.
    """

    model_config = ConfigDict(frozen=True)

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.width, self.height)

    def grown_within(self, margin: int, width: int, height: int) -> PixelBox:
        """The box grown by `margin` on every side, clipped to an image of `width` x `height`."""
        x0, y0 = max(0, self.x - margin), max(0, self.y - margin)
        x1, y1 = min(width, self.right + margin), min(height, self.bottom + margin)
        return PixelBox(x=x0, y=y0, width=max(0, x1 - x0), height=max(0, y1 - y0))



B = TypeVar("B", bound=Box)


def union_all(boxes: Sequence[B]) -> B:
    """The smallest box holding every box of a non-empty list."""
    if not boxes:
        raise ValueError("union_all needs at least one box")
    out = boxes[0]
    for b in boxes[1:]:
        out = out.union(b)
    return out


def merge_boxes(boxes: Sequence[B], gap: float | None = None) -> list[B]:
    """Union boxes until none are joined: with `gap` None, boxes that overlap; otherwise boxes
    that overlap, touch or lie within `gap` of each other."""
    out = list(boxes)
    changed = True
    while changed:
        changed = False
        i = 0
        while i < len(out):
            j = i + 1
            while j < len(out):
                a, b = out[i], out[j]
                if a.overlaps(b) if gap is None else a.near(b, gap):
                    out[i] = a.union(b)
                    out.pop(j)
                    changed = True
                else:
                    j += 1
            i += 1
    return out
