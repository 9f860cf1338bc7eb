"""The reconstruction graph's state: what the agent knows and has produced so far.

The state holds the agent-visible `TaskInputs` only; ground truth never enters it.
Nodes return partial updates (whole new lists, no reducers), so every field is plain data
that the SQLite checkpointer can store and restore.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypedDict

from pydantic import BaseModel, Field

from iwr.benchmark.task import Action, Box, Point, TaskInputs
from iwr.tools.llm.types import Usage
from iwr.tools.perception.types import PBox
from iwr.tools.perception.visible_change import TextChange, VisibleChange


class KeyframeRef(BaseModel):
    """A stable state of the video, saved as an image."""

    index: int
    time: float
    path: Path


EventKind = Literal["click", "typing", "key", "scroll", "unknown"]


class EventSummary(BaseModel):
    """An interaction seen in the video, in page (CSS pixel) coordinates."""

    index: int
    kind: EventKind
    start: float
    end: float
    point: Point | None = None
    click: bool = False
    pressed: bool = False  # the press itself was seen (a click indicator ring)
    typed_text: str | None = None
    key: str | None = None
    scroll_dy: float = 0.0
    regions: list[Box] = Field(default_factory=list)
    before_keyframe: int | None = None
    after_keyframe: int | None = None
    confidence: float = 1.0


class AssetSighting(BaseModel):
    """Where an asset file was seen: keyframe and box in page coordinates."""

    asset: str
    keyframe: int
    box: Box
    confidence: float = 1.0


class PerceptionSummary(BaseModel):
    """Perception output rescaled to the page resolution."""

    duration: float = 0.0
    keyframes: list[KeyframeRef] = Field(default_factory=list)
    events: list[EventSummary] = Field(default_factory=list)
    sightings: list[AssetSighting] = Field(default_factory=list)
    unseen_assets: list[str] = Field(default_factory=list)
    sheet: Path | None = None

    def keyframe(self, index: int | None) -> KeyframeRef | None:
        for kf in self.keyframes:
            if kf.index == index:
                return kf
        return None


class PageVersion(BaseModel):
    """One page the coder produced (iteration 0 = draft, k >= 1 = k-th repair)."""

    iteration: int
    path: Path  # the index.html
    kind: Literal["draft", "repair"] = "draft"
    self_test: float | None = None
    usage: Usage = Field(default_factory=Usage)
    edits_applied: int = 0
    edits_failed: int = 0


class FailedStep(BaseModel):
    """A self-test step that failed, with what the judge saw."""

    index: int
    description: str
    assertion: str | None = None
    error: str | None = None
    evidence: str = ""
    keyframe: int | None = None  # the keyframe showing the expected state after the step
    recorded: str | None = None  # what the recording showed changing at the step (video assertion)


class SelfTestVerdict(BaseModel):
    """The judge's verdict on a page against the agent's own plan."""

    iteration: int
    score: float
    ifs: float
    vfs: float | None = None
    passed: bool = False
    total_steps: int = 0
    success_steps: int = 0
    failures: list[FailedStep] = Field(default_factory=list)
    result_path: Path | None = None
    error: str | None = None
    critique: list[str] = Field(default_factory=list)  # the critic's notes on the look, if a critic ran


class ReconstructionState(BaseModel):
    """Everything the graph carries between nodes."""

    inputs: TaskInputs
    perception: PerceptionSummary | None = None
    asset_map: list[AssetSighting] = Field(default_factory=list)
    plan: list[Action] = Field(default_factory=list)
    plan_keyframes: list[int | None] = Field(default_factory=list)  # checkpoint keyframe per plan step
    initial_keyframe: int | None = None
    plan_changes: list[VisibleChange | None] = Field(default_factory=list)  # [k-1]: what the video showed at step k
    pages: list[PageVersion] = Field(default_factory=list)
    verdicts: list[SelfTestVerdict] = Field(default_factory=list)
    best_iteration: int | None = None
    final_page: Path | None = None
    usage: Usage = Field(default_factory=Usage)
    stop_reason: str | None = None
    errors: list[str] = Field(default_factory=list)

    @property
    def current(self) -> PageVersion | None:
        return self.pages[-1] if self.pages else None

    @property
    def repairs(self) -> int:
        return sum(1 for p in self.pages if p.kind == "repair")


class StateUpdate(TypedDict, total=False):
    """What a node returns: some of `ReconstructionState`'s fields, each whole (no reducers)."""

    inputs: TaskInputs
    perception: PerceptionSummary | None
    asset_map: list[AssetSighting]
    plan: list[Action]
    plan_keyframes: list[int | None]
    initial_keyframe: int | None
    plan_changes: list[VisibleChange | None]
    pages: list[PageVersion]
    verdicts: list[SelfTestVerdict]
    best_iteration: int | None
    final_page: Path | None
    usage: Usage
    stop_reason: str | None
    errors: list[str]


STATE_TYPES: tuple[type[BaseModel], ...] = (
    Usage,
    KeyframeRef,
    EventSummary,
    AssetSighting,
    PerceptionSummary,
    PageVersion,
    FailedStep,
    SelfTestVerdict,
    ReconstructionState,
    VisibleChange,
    TextChange,
    PBox,
)
