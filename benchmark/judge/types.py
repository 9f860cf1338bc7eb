"""Judge inputs and results: trajectories, per-step verdicts, scores, protocol."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ...tools.perception.visible_change import VisibleChange
from ..page_clock import AppliedClock, PageClockPolicy, PageTimes
from ..task import Action, Box, Point

RESULT_VERSION = 1


class Trajectory(BaseModel):
    """Actions to replay, with the expected state after each.

    `checkpoints[k]` is the reference image of state k (0 = before any action), or None.
    `pointer_hints[k-1]` is where the pointer was for action k, when known.
    `checkpoint_texts[k]` is the reference's visible DOM text of state k when recorded
    (same extractor as the replay's candidate text); absent for official tasks.
    `target_boxes[k-1]` is the recorded viewport box of action k's target (in checkpoint
    k-1), when known: the DOM grounder matches its look.
    `expected_changes[k-1]` is what the recording showed changing at action k (a plan
    perceived from the video): checked on the candidate besides any assertion text.
    `source` is `video` when the trajectory comes from a recording alone (protocol `video`).
    """

    name: str = "demo"
    actions: list[Action]
    checkpoints: list[Path | None] = Field(default_factory=list)
    pointer_hints: list[Point | None] = Field(default_factory=list)
    checkpoint_texts: dict[int, str] = Field(default_factory=dict)
    target_boxes: list[Box | None] = Field(default_factory=list)  # [k-1]: recorded target of action k
    # the page clock the reference lived in and its recorded page times (None: not recorded)
    page_clock: PageClockPolicy | None = None
    page_times: PageTimes | None = None
    expected_changes: list[VisibleChange | None] = Field(default_factory=list)  # [k-1]: seen at action k
    source: Literal["annotated", "video"] = "annotated"

    def expected_change(self, step: int) -> VisibleChange | None:
        i = step - 1
        return self.expected_changes[i] if 0 <= i < len(self.expected_changes) else None

    def target_box(self, step: int) -> Box | None:
        i = step - 1
        return self.target_boxes[i] if 0 <= i < len(self.target_boxes) else None

    def checkpoint(self, step: int) -> Path | None:
        return self.checkpoints[step] if 0 <= step < len(self.checkpoints) else None

    def pointer(self, step: int) -> Point | None:
        i = step - 1
        return self.pointer_hints[i] if 0 <= i < len(self.pointer_hints) else None


class Status(str, Enum):
    """Outcome class of a judgement, split as SWE-bench does."""

    OK = "ok"
    MODEL_ERROR = "model_error"  # a model call failed or answered garbage
    INFRA_ERROR = "infra_error"  # browser, server or file trouble


class Protocol(BaseModel):
    """Which methods produced a score. Never mix protocols in one table."""

    name: Literal["official", "offline", "mixed", "video"]  # video: expectations perceived from the recording alone
    grounder: str
    asserter: str
    visual: list[str]
    judge_model: str | None = None
    versions: dict[str, str] = Field(default_factory=dict)


class Grounding(BaseModel):
    """How an action's description was resolved to an element or point."""

    method: str  # dom | llm | vision | point | selector
    found: bool
    point: Point | None = None
    box: Box | None = None
    element: str | None = None  # short human-readable description of the element
    score: float | None = None
    runner_up: float | None = None
    ambiguous: bool = False
    candidates: int = 0
    error: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)  # e.g. look scores of the top candidates


class AssertionVerdict(BaseModel):
    """Verdict on a logical assertion. `passed=None` means undecided (error or unparseable)."""

    method: str  # offline | llm
    passed: bool | None
    evidence: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class VisualScores(BaseModel):
    """Per-state visual sub-scores in [0, 1] (mllm also in [0, 1], i.e. rubric / 100)."""

    ocr: float | None = None
    structural: float | None = None
    dino: float | None = None
    mllm: float | None = None
    detail: dict[str, Any] = Field(default_factory=dict)

    @property
    def low_level(self) -> float | None:
        """(OCR + image similarity) / 2, image similarity = DINO when present else structural."""
        image = self.dino if self.dino is not None else self.structural
        parts = [v for v in (self.ocr, image) if v is not None]
        return sum(parts) / len(parts) if parts else None


class StepVerdict(BaseModel):
    """What happened at one step of a replay."""

    index: int  # 1-based
    action: Action
    grounding: Grounding | None = None
    performed: bool = False
    passed: bool = False  # performed and assertion not failed
    error: str | None = None
    assertion: AssertionVerdict | None = None
    screenshot: str | None = None  # path relative to the result folder
    checkpoint: str | None = None
    visual: VisualScores | None = None
    timings: dict[str, float] = Field(default_factory=dict)


class Scores(BaseModel):
    """Official scores (paper formulas) plus extended ones. All in [0, 1]."""

    ifs: float
    lfs: float | None = None
    hfs: float | None = None
    vfs: float | None = None
    final: float | None = None
    step_pass_rate: float | None = None  # replay continues past failures
    vfs_all: float | None = None  # every flagged state, unreached ones count 0


class JudgeResult(BaseModel):
    """One trajectory judged on one page: the content of eval.json."""

    version: int = RESULT_VERSION
    task_id: str
    trajectory: str = "demo"
    status: Status = Status.OK
    error: str | None = None
    protocol: Protocol
    state0: VisualScores | None = None
    state0_screenshot: str | None = None
    steps: list[StepVerdict] = Field(default_factory=list)
    success_steps: int = 0
    total_steps: int = 0
    scores: Scores
    blocked_requests: int = 0
    blocked_urls: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    probes: list[JudgeResult] = Field(default_factory=list)
    probe_ifs: float | None = None
    page_clock: AppliedClock | None = None  # the page time the candidate was given

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2))

    @classmethod
    def load(cls, path: Path) -> JudgeResult:
        return cls.model_validate(json.loads(path.read_text()))

    @classmethod
    def not_run(cls, task_id: str, trajectory: Trajectory, protocol: Protocol, status: Status, error: str) -> JudgeResult:
        """The result of a judgement that could not run: every step failed, scores 0."""
        total = len(trajectory.actions)
        steps = [StepVerdict(index=i + 1, action=a, error=error) for i, a in enumerate(trajectory.actions)]
        return cls(task_id=task_id, trajectory=trajectory.name, status=status, error=error, protocol=protocol,
                   steps=steps, success_steps=0, total_steps=total,
                   scores=Scores(ifs=0.0 if total else 1.0, final=0.0, step_pass_rate=0.0, vfs_all=0.0))
