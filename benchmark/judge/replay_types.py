"""What a replay records (`StepTrace`, `ReplayTrace`), the page state it carries from step to step
(`PageState`, `StepOutcome`), when a page counts as settled, and the ways a page operation can
fail."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from ...core.errors import IwrError
from ..page_clock import AppliedClock
from ..task import Action
from .types import Grounding


class StepTrace(BaseModel):
    """What the replay did at one step."""

    index: int  # 1-based
    grounding: Grounding
    performed: bool
    error: str | None = None
    error_kind: str | None = None  # not_found | not_performed | timeout | hung | crashed | model | infra
    screenshot: Path | None = None  # state after the step (PNG), None if not performed
    text_before: str = ""
    text_after: str = ""
    changed_fraction: float = 0.0
    timings: dict[str, float] = Field(default_factory=dict)  # seconds: ground, act, settle, screenshot
    replayed_as: Action | None = None  # the action performed instead of the trajectory's (a key trial's key)


class ReplayTrace(BaseModel):
    """The whole replay of a trajectory on one page."""

    state0_screenshot: Path | None = None
    state0_text: str = ""
    steps: list[StepTrace] = Field(default_factory=list)
    blocked_urls: list[str] = Field(default_factory=list)
    dialogs: int = 0
    popups: int = 0
    downloads: int = 0
    crashed: bool = False  # renderer hung/crashed and was killed
    error: str | None = None  # infra problem (page failed to load etc.)
    page_clock: AppliedClock | None = None  # the page time the candidate was given
    timings: dict[str, float] = Field(default_factory=dict)  # load, steps (wall of all steps), total

    @property
    def performed_prefix(self) -> int:
        """Steps performed before the first step that could not be."""
        n = 0
        for s in self.steps:
            if not s.performed:
                break
            n += 1
        return n


@dataclass(frozen=True)
class SettleConfig:
    """When a page counts as settled after an action (milliseconds)."""

    quiet_min: float = 40.0  # DOM quiet this long with no pending short timer/request: settled
    quiet_max: float = 150.0  # fixed wait when the page broke the tracker
    busy_max: float = 1000.0  # DOM quiet this long while timers/requests stay pending: settled
    cap: float = 1500.0


class PageHung(IwrError):
    """The renderer stopped answering."""


class PageCrashed(IwrError):
    """The renderer crashed or the page was closed."""


class StepTimeout(IwrError):
    """An operation timed out but the page still answers."""


def error_kind(exc: BaseException) -> str:
    """The `StepTrace.error_kind` of an exception raised while replaying a step."""
    if isinstance(exc, PageHung):
        return "hung"
    if isinstance(exc, PageCrashed):
        return "crashed"
    if isinstance(exc, StepTimeout):
        return "timeout"
    if type(exc).__name__ == "ModelError":
        return "model"
    return "infra"


@dataclass(frozen=True)
class PageState:
    """The page after a step: its screenshot (a future of the decoded image) and its text."""

    image: asyncio.Future[np.ndarray | None]
    text: str


@dataclass(frozen=True)
class StepOutcome:
    """One replayed step: its trace, the page state after it (the one before when the step did
    nothing), whether the page is gone (hung or crashed), and the future changed share of a
    performed step's screenshot."""

    step: StepTrace
    state: PageState
    page_gone: bool = False
    change: asyncio.Future[float] | None = None
