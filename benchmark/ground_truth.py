"""Evaluation-only truth written by the recorder (`ground_truth.json`).

Nothing here may reach an agent: the runner hands agents `TaskInputs` only.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field

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

    @classmethod
    def load(cls, path: Path) -> "GroundTruth":
        return cls.model_validate(json.loads(path.read_text()))

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2))
