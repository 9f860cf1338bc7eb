"""Key trials: replaying a key press whose key the recording does not show.

A screen recording shows that a key was pressed (the screen changed, the pointer stood still)
but not which key: a slide deck's arrows, Space and Page Down look alike on video. The
video-only plan marks such a step with the keys that may have been pressed
(`video_keys.with_key_trial`). The replay presses the step's own key first and asks the
step's check (`StepProbe`, the judge's check of the recorded change); when that fails, each
other key is pressed on the page as it was before the step (the same page when the failed
press changed nothing, else a fresh one with the steps before replayed). The first key that
passes and brings nearly all the words the recording gained (`CLEAR_ARRIVAL`) is kept, else
the one that passes and brought most of them, at least half (the check lets a few words go,
for OCR's misreadings; but any other slide takes the old slide's words away too). Keys
found earlier in the replay are tried first. Fresh pages are bounded per replay
(`RESTARTS_PER_STEP`); when no key passes, the step keeps its own key and its failed verdict.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from ..task import Action
from .replay_types import PageState, StepOutcome, StepTrace
from .video_keys import keys_to_try, pressing

if TYPE_CHECKING:
    from .page_ops import PageOps
    from .page_session import Pages, PageSession

log = structlog.get_logger()

RESTARTS_PER_STEP = 3  # fresh pages a replay may open per step with keys to try (each replays the steps before)
CLEAR_ARRIVAL = 0.8  # a key that brought this share of the words the recording gained is taken at once


@dataclass(frozen=True)
class ProbeVerdict:
    """A replayed step's check: its verdict (False: the page did not change as recorded) and
    the shares of the recorded change's token checks that held (1 when there were none)."""

    passed: bool | None
    held: float
    brought: float  # the share of the words the recording gained that the page gained too

    @property
    def clear(self) -> bool:
        """Passed, and brought nearly every word the recording gained (OCR of a recording
        misreads a word now and then: 28 of 29 on a reveal.js slide)."""
        return self.passed is not False and self.brought >= CLEAR_ARRIVAL

    @property
    def arrived(self) -> bool:
        """Passed, with at least half the words the recording gained: a key is told by what it
        brings (leaving a slide takes its words away whatever the key)."""
        return self.passed is not False and 2 * self.brought >= 1


StepProbe = Callable[[StepTrace, Path | None], Awaitable[ProbeVerdict]]
"""The check of a replayed step (its trace, the screenshot before it)."""
Restart = Callable[[list[Action]], Awaitable["tuple[PageSession, PageState] | None"]]
StepRunner = Callable[["PageOps", Action, PageState], Awaitable[StepOutcome]]


@dataclass
class KeyTrials:
    """The trials of one replay: the check, where trial screenshots go, what is left to spend."""

    probe: StepProbe
    scratch: Path
    restarts_left: int = 0  # set from the trajectory: RESTARTS_PER_STEP per step with keys to try
    found: list[str] = field(default_factory=list)  # keys that brought a recorded change, latest first

    def __post_init__(self) -> None:
        self.scratch.mkdir(parents=True, exist_ok=True)

    def order(self, action: Action) -> list[str]:
        """The keys to try instead of the step's own: those found earlier first."""
        return [k for k in dict.fromkeys([*self.found, *keys_to_try(action)]) if k != action.parameters.key]

    def keep(self, key: str) -> None:
        self.found = [key, *(k for k in self.found if k != key)]


def _moved(outcome: StepOutcome, before: PageState) -> bool:
    """The step left the page other than it found it (pixels or text)."""
    return outcome.page_gone or outcome.step.changed_fraction > 0 or outcome.step.text_after != before.text


async def _probe(trials: KeyTrials, outcome: StepOutcome, before_shot: Path | None) -> ProbeVerdict:
    if not outcome.step.performed or outcome.page_gone:
        return ProbeVerdict(passed=False, held=0.0, brought=0.0)
    if outcome.change is not None:
        outcome.step.changed_fraction = await outcome.change
    return await trials.probe(outcome.step, before_shot)


async def settle_key(trials: KeyTrials, pages: Pages, k: int, action: Action, first: StepOutcome, before: PageState,
                     before_shot: Path | None, done: list[Action], restart: Restart,
                     step: StepRunner) -> tuple[StepOutcome, Action]:
    """Step `k` as replayed with the key that brings its recorded change (module docstring):
    its outcome and the action as pressed. `first`: the outcome of its own key; `done`: the
    actions replayed before it; `restart` reopens the page with them replayed."""
    if (await _probe(trials, first, before_shot)).passed is not False:
        return first, action
    at_before = not _moved(first, before)  # the driven page is still as it was before the step
    lost = False  # the driven page is neither as before the step nor as its own key left it
    best: tuple[tuple[float, float], str] | None = None  # a key that arrived with some recorded words missing
    for key in trials.order(action):
        found = await _try(trials, pages, k, action, key, before if at_before else None, before_shot, done, restart, step)
        if found is None:
            continue
        outcome, verdict, fresh = found
        if verdict.clear:
            return await _kept(trials, pages, k, key, outcome, fresh)
        if verdict.arrived and (best is None or (verdict.brought, verdict.held) > best[0]):
            best = ((verdict.brought, verdict.held), key)
        if fresh is not None:
            await fresh.close()
        elif _moved(outcome, before):
            at_before, lost = False, True
    if best is not None:  # no key brought every recorded word: the one that brought most
        found = await _try(trials, pages, k, action, best[1], None, before_shot, done, restart, step)
        if found is not None and found[1].passed is not False:
            return await _kept(trials, pages, k, best[1], found[0], found[2])
        if found is not None and found[2] is not None:
            await found[2].close()
    if lost:  # a failed trial moved the driven page: back to the state the step's own key left
        opened = await restart([*done, action])
        if opened is not None:
            await pages.adopt(opened[0])
    return first, action


async def _try(trials: KeyTrials, pages: Pages, k: int, action: Action, key: str, here: PageState | None,
               before_shot: Path | None, done: list[Action], restart: Restart,
               step: StepRunner) -> tuple[StepOutcome, ProbeVerdict, PageSession | None] | None:
    """Press `key` for step `k` on the driven page (`here`: its state, still as before the
    step) or on a fresh page with the steps before replayed; None when none could be had."""
    fresh: PageSession | None = None
    if here is not None:
        run, state = pages.run, here
    else:
        if trials.restarts_left <= 0:
            return None
        trials.restarts_left -= 1
        opened = await restart(done)
        if opened is None:
            return None
        fresh, state = opened
        run = fresh.run
    pressed = pressing(action, key)
    outcome = await step(run, pressed, state)
    outcome.step.replayed_as = pressed
    return outcome, await _probe(trials, outcome, before_shot), fresh


async def _kept(trials: KeyTrials, pages: Pages, k: int, key: str, outcome: StepOutcome,
                fresh: PageSession | None) -> tuple[StepOutcome, Action]:
    if fresh is not None:
        await pages.adopt(fresh)
    trials.keep(key)
    log.info("replay.key_trial", step=k, key=key, restarts_left=trials.restarts_left)
    assert outcome.step.replayed_as is not None
    return outcome, outcome.step.replayed_as
