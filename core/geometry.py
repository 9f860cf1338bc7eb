"""Points and boxes: one type each for every floor (viewport CSS pixels or image pixels)."""

from __future__ import annotations

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

    def overlaps(self, other: PixelBox) -> bool:
        """The two boxes share some area (touching edges do not count)."""
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom

    def within(self, other: PixelBox, slack: int = 0) -> bool:
        """This box lies inside `other` grown by `slack` on every side."""
        return (self.x >= other.x - slack and self.y >= other.y - slack and self.right <= other.right + slack
                and self.bottom <= other.bottom + slack)
