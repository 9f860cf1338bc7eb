"""The graph's runtime context: injected roles (as Protocols), budgets and switches.

Nodes reach roles only through `runtime.context`; the graph never imports `agents/`, so
ablations swap roles here. `on_iteration` lets the runner score each page against the
ground truth for the record; nothing it computes flows back into the state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from iwr.benchmark.judge.types import JudgeResult, Trajectory
from iwr.benchmark.task import Action, Resolution, TaskInputs

from .state import AssetSighting, PageVersion, PerceptionSummary, SelfTestVerdict, Usage

RepairStyle = Literal["search_replace", "whole"]


class CodeResult(BaseModel):
    """A page written by the coder."""

    html: str
    files: dict[str, bytes] = Field(default_factory=dict)  # extra files beside index.html
    usage: Usage = Field(default_factory=Usage)
    edits_applied: int = 0
    edits_failed: int = 0


class PlanResult(BaseModel):
    """The agent's own test plan and the keyframe expected after each step."""

    actions: list[Action]
    keyframes: list[int | None] = Field(default_factory=list)
    initial_keyframe: int | None = None
    usage: Usage = Field(default_factory=Usage)


class AssetMap(BaseModel):
    """Asset sightings in page coordinates and the assets never seen."""

    sightings: list[AssetSighting] = Field(default_factory=list)
    unseen: list[str] = Field(default_factory=list)


class Perceiver(Protocol):
    """Turns the video into keyframes and events, and finds the assets in the keyframes."""

    async def perceive(self, inputs: TaskInputs, out_dir: Path) -> PerceptionSummary: ...

    async def match_assets(self, inputs: TaskInputs, perception: PerceptionSummary, out_dir: Path) -> AssetMap: ...


class Analyst(Protocol):
    """Infers a test plan from the video (and perception when present)."""

    async def analyse(
        self, inputs: TaskInputs, perception: PerceptionSummary | None, asset_map: list[AssetSighting]
    ) -> PlanResult: ...


class Coder(Protocol):
    """Writes the first page and repairs it from self-test verdicts."""

    async def draft(
        self,
        inputs: TaskInputs,
        perception: PerceptionSummary | None,
        asset_map: list[AssetSighting],
        plan: list[Action],
        out_dir: Path,
    ) -> CodeResult: ...

    async def repair(
        self,
        inputs: TaskInputs,
        html: str,
        verdict: SelfTestVerdict,
        perception: PerceptionSummary | None,
        style: RepairStyle,
    ) -> CodeResult: ...


class CritiqueResult(BaseModel):
    """What a critic saw wrong in the page's look, most important first."""

    notes: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)


class Critic(Protocol):
    """Compares screenshots of the page with the recording's keyframes (pairs: keyframe, screenshot)."""

    async def critique(self, inputs: TaskInputs, pairs: list[tuple[Path, Path]]) -> CritiqueResult: ...


class SelfTester(Protocol):
    """Judges a page on a trajectory (the agent's plan; the ground truth only for oracle ablations)."""

    async def test(
        self, page_dir: Path, trajectory: Trajectory, resolution: Resolution, assets_dir: Path | None, out_dir: Path
    ) -> JudgeResult: ...


IterationHook = Callable[[PageVersion], Awaitable[None]]


@dataclass
class Context:
    """Roles, budgets and switches for one reconstruction run."""

    coder: Coder
    work_dir: Path
    perceiver: Perceiver | None = None
    analyst: Analyst | None = None
    self_tester: SelfTester | None = None
    critic: Critic | None = None  # visual review before each repair (off by default)
    critic_pairs: int = 3  # keyframe/screenshot pairs shown to the critic
    max_iters: int = 0  # repair rounds after the draft
    max_tokens: int | None = None
    max_cost_usd: float | None = None
    use_perception: bool = True
    repair_style: RepairStyle = "search_replace"
    thinking: str | None = None
    pass_score: float = 1.0  # self-test IFS at which the loop stops
    on_iteration: IterationHook | None = field(default=None, repr=False)

    @property
    def loops(self) -> bool:
        """Whether the self-test/repair loop runs at all."""
        return self.self_tester is not None and self.max_iters > 0
