"""Evaluation-only truth written by the recorder (`ground_truth.json`).

Nothing here may reach an agent: the runner hands agents `TaskInputs` only.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field

from .page_clock import PageClockPolicy, PageTimes
from .task import Action, Box, Point

GROUND_TRUTH_VERSION = 1


class StepTruth(BaseModel):
    """How action k was performed while recording."""

    index: int  # 1-based action number (state after it is checkpoint k)
    selector: str | None = None
    target_box: Box | None = None  # viewport box of the target when acted on
    pointer: Point | None = None  # pointer position at the action
    span: tuple[float, float]  # video seconds: pointer starts moving .. page settled
    scroll_delta: Point | None = None  # Scroll: pixels actually scrolled (x, y)
    # page seconds (see page_clock): when the action's input reached the page, when state k was captured
    input_at: float | None = None
    checkpoint_at: float | None = None


class AssetPlacement(BaseModel):
    """Where an asset was drawn on a checkpoint (viewport coordinates)."""

    asset: str  # anonymous file name, e.g. asset_003.png
    box: Box


class Probe(BaseModel):
    """A held-out trajectory: never in the video, the inputs or any prompt."""

    name: str
    actions: list[Action]
    steps: list[StepTruth] = Field(default_factory=list)
    # visible text of checkpoint k (the judge's page-state extractor); empty when not recorded
    checkpoint_texts: dict[int, str] = Field(default_factory=dict)
    state0_at: float | None = None  # page seconds when state 0 was captured

    def page_times(self) -> PageTimes | None:
        return page_times(self.state0_at, self.steps)


def page_times(state0_at: float | None, steps: list[StepTruth]) -> PageTimes | None:
    """The recorded page times of a trajectory, or None when they were not recorded."""
    if state0_at is None or any(s.input_at is None for s in steps):
        return None
    ordered = sorted(steps, key=lambda s: s.index)
    return PageTimes(state0=state0_at, inputs=[s.input_at for s in ordered], checkpoints=[s.checkpoint_at for s in ordered])


class GroundTruth(BaseModel):
    """Per-task evaluation extras the official layout lacks."""

    version: int = GROUND_TRUTH_VERSION
    task_id: str
    fps: float
    duration: float
    steps: list[StepTruth]
    placements: dict[int, list[AssetPlacement]] = Field(default_factory=dict)  # checkpoint k
    asset_names: dict[str, str] = Field(default_factory=dict)  # anonymous -> original
    probes: list[Probe] = Field(default_factory=list)
    # visible text of checkpoint k (the judge's page-state extractor); empty when not recorded
    checkpoint_texts: dict[int, str] = Field(default_factory=dict)
    # the page's clock while recorded (None: recorded before the page-time policy); page time
    # of video second v is v + state0_at
    page_clock: PageClockPolicy | None = None
    state0_at: float | None = None

    def page_times(self) -> PageTimes | None:
        return page_times(self.state0_at, self.steps)

    @classmethod
    def load(cls, path: Path) -> GroundTruth:
        return cls.model_validate(json.loads(path.read_text()))

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2))
