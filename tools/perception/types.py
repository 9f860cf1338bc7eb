"""Perception result types: keyframes, pointer observations, events, asset matches.

Boxes and points are in video pixel coordinates; `VideoInfo` (owned by `tools.video`) gives
the video size so callers can rescale to the page viewport.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ...core.errors import IwrError
from ...core.geometry import PixelBox
from ..video import VideoInfo

EventKind = Literal["click", "typing", "key", "scroll", "unknown"]
PlanType = Literal["Click", "Type", "Press", "Scroll"]


class PerceptionError(IwrError, ValueError):
    """A clear, user-facing perception failure (bad video, missing folder, ...)."""


PBox = PixelBox  # the perception name of the core pixel box


class Keyframe(BaseModel):
    """A stable state of the page (nothing but the pointer moves), saved as a PNG."""

    index: int
    time: float  # seconds of the frame saved
    start: float  # the state is stable from start ..
    end: float  # .. to end (seconds)
    frame_no: int
    path: str | None = None
    reason: str = "state"  # first | last | state


class PointerObservation(BaseModel):
    """Where the pointer was seen (its hotspot) at a sampled time."""

    time: float
    x: float
    y: float
    shape: str  # template name, "motion" or "held"
    clicking: bool = False
    score: float = 0.0


class ChangeRegion(BaseModel):
    """A box of the page that changed between the before and after states."""

    box: PBox
    changed_fraction: float = 0.0  # share of the box's pixels that changed


class PerceivedEvent(BaseModel):
    """One change between two consecutive stable states."""

    index: int
    start: float
    end: float
    kind: EventKind
    regions: list[ChangeRegion] = Field(default_factory=list)
    pointer: tuple[float, float] | None = None
    click: bool = False
    pressed: bool = False  # the press itself was seen (a click indicator ring), not only a change at a still pointer
    typed_text: str | None = None
    key: str | None = None
    scroll_dx: float = 0.0
    scroll_dy: float = 0.0
    before_keyframe: int
    after_keyframe: int
    confidence: float = 0.5

    @property
    def pressed_not_typed(self) -> bool:
        """Typing perceived after a press perception saw, with nothing typed on screen (a
        button's label changed, a panel opened under it): the click it was."""
        return self.kind == "typing" and self.pressed and not self.typed_text


class AssetMatch(BaseModel):
    """One place where an asset is shown in a keyframe."""

    asset: str
    keyframe: int
    box: PBox
    scale: float  # displayed size / file size (width ratio)
    confidence: float
    method: Literal["template", "crop", "features", "tiled", "sprite"] = "template"
    cell: PBox | None = None  # a sprite sheet's part shown, in file pixels (method "sprite")


class AssetReport(BaseModel):
    """Every sighting of one asset file; `found` False when it never appears."""

    asset: str
    width: int = 0
    height: int = 0
    readable: bool = True
    error: str | None = None
    matches: list[AssetMatch] = Field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.matches)

    def summary(self) -> str:
        """One line for a coder: where the file is shown and at what size."""
        if not self.readable:
            return f"{self.asset}: unreadable ({self.error})"
        if not self.matches:
            return f"{self.asset} ({self.width}x{self.height}): not seen in the video"
        best = max(self.matches, key=lambda m: m.confidence)
        b = best.box
        others = len(self.matches) - 1
        more = f" (+{others} more sightings)" if others else ""
        if best.cell is not None:
            c = best.cell
            return (f"{self.asset} ({self.width}x{self.height}) is a sprite sheet: its {c.width}x{c.height} cell at "
                    f"({c.x},{c.y}) shown at ({b.x},{b.y},{b.width},{b.height}) in keyframe {best.keyframe} "
                    f"(background-position: -{c.x}px -{c.y}px){more}")
        return (f"{self.asset} ({self.width}x{self.height}) shown at ({b.x},{b.y},{b.width},{b.height}) "
                f"in keyframe {best.keyframe}, displayed ~{b.width}x{b.height}{more}")


class PlanStep(BaseModel):
    """A draft action inferred from an event, for the agent's own test plan."""

    type: PlanType
    point: tuple[float, float] | None = None
    text: str | None = None
    key: str | None = None
    direction: str | None = None
    description: str
    before_keyframe: int
    after_keyframe: int


class Timings(BaseModel):
    """Seconds spent per stage."""

    decode: float = 0.0
    pointer: float = 0.0
    events: float = 0.0
    ocr: float = 0.0
    assets: float = 0.0
    write: float = 0.0
    total: float = 0.0


class Perception(BaseModel):
    """Everything perceived in one recording."""

    version: int = 1
    video: VideoInfo
    keyframes: list[Keyframe] = Field(default_factory=list)
    events: list[PerceivedEvent] = Field(default_factory=list)
    pointer: list[PointerObservation] = Field(default_factory=list)
    assets: list[AssetReport] = Field(default_factory=list)
    sheet: str | None = None
    timings: Timings = Field(default_factory=Timings)

    def asset_map(self) -> list[str]:
        """Lines telling a coder which file goes where."""
        return [a.summary() for a in self.assets]
