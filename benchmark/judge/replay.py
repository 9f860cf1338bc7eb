"""The replay engine: open a candidate page in the sandbox, screenshot state 0, then for each
action ground it, perform it, let the page settle and screenshot the new state.

`replay_page(browser, site, trajectory, resolution, out_dir, grounder)` returns a
`ReplayTrace` (screenshots `out_dir/step_<k>.png`, visible text before/after each step,
changed pixel fraction, timings). `browser` is a `tools.sandbox.BrowserHandle` (a hung
renderer is then recovered by killing and relaunching the browser) or a plain Playwright
browser. Every page operation is bounded by `action_timeout`; a renderer that stops
answering ends the replay with the step recorded as failed ("page hung").

Settling: an init script (`quiet.js`) tracks DOM mutations, pending short timers and
in-flight requests; after an action the engine waits until the DOM has been quiet for
`quiet_min` with nothing pending (or quiet for `quiet_max` regardless), capped at `cap`,
finishing finite CSS/Web animations on the way (the screenshot would fast-forward them too).

Page time (`clock`, see `benchmark.page_clock`): the candidate starts at the policy's date
with its seeded `Math.random`, on a paused clock. Before action k its clock is moved to the
reference's recorded input time (else one action every `DEFAULT_PACE` s), after the action
to the reference's checkpoint time, and then on, frame by frame, while it is still busy
(DOM changing, short timers pending, finite animations running), at most until the next
input. What it was given is recorded in `ReplayTrace.page_clock`.

Key trials: a step whose key the recording does not show (`video_keys.keys_to_try`) is checked
by `probe` right after it; when the recorded change did not come, the other keys are tried on
the page as it was before the step (a fresh page with the steps before replayed, `key_trial`).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from ...core.change import SCREENSHOT_CHANGE, changed_share
from ...tools.sandbox import BrowserHandle, SandboxPage, SandboxSite
from ..page_clock import PageClockPolicy
from ..task import Action, Resolution
from .grounding import Grounder, LookCue
from .key_trial import RESTARTS_PER_STEP, KeyTrials, StepProbe, settle_key
from .keys import key_of, normalise_key
from .page_ops import JUDGE_WORK_TIMEOUT_MIN, PAGE_FRAME_MS, PageOps, PageTimeline
from .page_session import PageOpener, Pages, PageSession
from .replay_types import (
    PageCrashed,
    PageHung,
    PageState,
    ReplayTrace,
    SettleConfig,
    StepOutcome,
    StepTimeout,
    StepTrace,
    error_kind,
)
from .types import Grounding, Trajectory
from .video_keys import keys_to_try

log = structlog.get_logger()


def screenshot_change(before: bytes | np.ndarray | None, after: bytes | np.ndarray | None) -> float:
    """The share of pixels that changed between two screenshots of the same page (encoded
    bytes or decoded BGR arrays; 1 when the sizes differ, 0 when one is missing)."""
    from ...tools.image_metrics import decode_png

    a = decode_png(before) if isinstance(before, bytes) else before
    b = decode_png(after) if isinstance(after, bytes) else after
    if a is None or b is None:
        return 0.0
    if a.shape != b.shape:
        return 1.0
    return changed_share(a, b, SCREENSHOT_CHANGE)


def _decode_and_remember(shot: bytes, path: Path | None) -> np.ndarray | None:
    """Decode a screenshot once and, when it was saved at `path`, hand it to the image cache
    (the scorers reuse it instead of decoding the file again)."""
    from ...tools.image_metrics import decode_png, remember

    img = decode_png(shot)
    if img is not None and path is not None:
        remember(path, img)
    return img


async def replay_page(
    browser: BrowserHandle | Any,
    site: SandboxSite,
    trajectory: Trajectory,
    resolution: Resolution,
    out_dir: Path,
    grounder: Grounder,
    *,
    continue_after_failure: bool = False,
    action_timeout: float = 30.0,
    on_screenshot: Callable[[int, Path], None] | None = None,
    load_timeout: float = 20.0,
    settle: SettleConfig | None = None,
    clock: PageClockPolicy | None = None,
    probe: StepProbe | None = None,
) -> ReplayTrace:
    """Replay `trajectory` on `site` in a fresh sandboxed context (see module docstring).

    `clock`: the page-time policy to give the candidate (with `trajectory.page_times` when
    recorded); None = the browser's real clock. `probe`: the step check that decides key
    trials (None: no trials)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    trace = ReplayTrace()
    t_start = time.perf_counter()
    settle = settle or SettleConfig()

    def emit(step: int, path: Path) -> None:
        if on_screenshot is not None:
            try:
                on_screenshot(step, path)
            except Exception as exc:  # noqa: BLE001 - a scorer callback must not break the replay
                log.warning("replay.on_screenshot_failed", step=step, error=repr(exc))

    opener = PageOpener(browser, site, resolution, trajectory, settle, clock, action_timeout, load_timeout)
    pages = Pages(opener, await opener.open())
    try:
        if pages.session.timeline is not None:
            trace.page_clock = pages.session.timeline.record
        tried = sum(1 for a in trajectory.actions if keys_to_try(a))
        trials = KeyTrials(probe, out_dir / ".key-trials", RESTARTS_PER_STEP * tried) if probe is not None and tried else None
        await _drive(pages, trace, grounder, trajectory, resolution, out_dir, emit, continue_after_failure, trials)
    finally:
        if pages.session.timeline is not None:  # the page driven at the end (a key trial's fresh page)
            trace.page_clock = pages.session.timeline.record
        sp_ref = pages.session.run.sp
        await pages.session.close()
        shutil.rmtree(out_dir / ".key-trials", ignore_errors=True)
    return _finish(trace, sp_ref, t_start)


async def _drive(
    pages: Pages, trace: ReplayTrace, grounder: Grounder, trajectory: Trajectory, resolution: Resolution,
    out_dir: Path, emit: Callable[[int, Path], None], continue_after_failure: bool, trials: KeyTrials | None,
) -> None:
    """Load, state 0, then the steps; fills `trace`."""
    run = pages.run
    sp = run.sp
    t0 = time.perf_counter()
    try:
        try:
            await sp.goto()
        except Exception as exc:  # noqa: BLE001
            if not await sp.alive():
                sp.mark_hung()
                raise PageHung("page hung") from None
            if "Timeout" not in type(exc).__name__ and not isinstance(exc, asyncio.TimeoutError):
                trace.error = f"page failed to load: {str(exc).splitlines()[0][:200]}"
                return
        await run.settle_state(0)
        trace.timings["load"] = time.perf_counter() - t0
        shot = await run.screenshot()
        trace.state0_text = await run.text()
        trace.state0_screenshot = out_dir / "step_0.png"
        trace.state0_screenshot.write_bytes(shot)
        state0_image = asyncio.ensure_future(asyncio.to_thread(_decode_and_remember, shot, trace.state0_screenshot))
        emit(0, trace.state0_screenshot)
    except (PageHung, PageCrashed, StepTimeout) as exc:
        trace.crashed = not isinstance(exc, StepTimeout)
        trace.error = str(exc) if not isinstance(exc, StepTimeout) else f"page load: {exc}"
        trace.timings["load"] = time.perf_counter() - t0
        return

    # decoding and comparing screenshots runs in threads, off the replay's critical path
    compares: list[tuple[StepTrace, asyncio.Future[float]]] = []
    t_steps = time.perf_counter()
    try:
        await _drive_steps(pages, trace, grounder, trajectory, resolution, out_dir, emit, continue_after_failure,
                           PageState(state0_image, trace.state0_text), compares, trials)
    finally:
        for step, job in compares:
            try:
                step.changed_fraction = await job
            except Exception as exc:  # noqa: BLE001 - an undecodable screenshot compares as unchanged
                log.warning("replay.compare_failed", step=step.index, error=repr(exc))
        trace.timings["steps"] = time.perf_counter() - t_steps  # all steps, compares included


async def _drive_steps(
    pages: Pages, trace: ReplayTrace, grounder: Grounder, trajectory: Trajectory, resolution: Resolution,
    out_dir: Path, emit: Callable[[int, Path], None], continue_after_failure: bool,
    state: PageState, compares: list[tuple[StepTrace, asyncio.Future[float]]], trials: KeyTrials | None,
) -> None:
    done: list[Action] = []  # the actions as replayed (a key trial's key in place of the step's own)
    for k, action in enumerate(trajectory.actions, start=1):
        outcome = await _replay_step(pages.run, grounder, trajectory, k, action, resolution, out_dir, state)
        if trials is not None and keys_to_try(action) and not outcome.page_gone:  # its own key may have done nothing
            if outcome.change is not None:
                outcome.step.changed_fraction = await outcome.change
            before_shot = trace.steps[-1].screenshot if trace.steps else trace.state0_screenshot
            restart = _restarter(pages, grounder, trajectory, resolution, trials.scratch)

            async def press(run: PageOps, alt: Action, st: PageState, k: int = k, scratch: Path = trials.scratch) -> StepOutcome:
                return await _replay_step(run, grounder, trajectory, k, alt, resolution, scratch, st)

            outcome, action = await settle_key(trials, pages, k, action, outcome, state, before_shot, done, restart, press)
            if outcome.step.screenshot is not None and outcome.step.screenshot.parent != out_dir:
                shutil.copyfile(outcome.step.screenshot, out_dir / f"step_{k}.png")
                outcome.step.screenshot = out_dir / f"step_{k}.png"
        done.append(action)
        step, state = outcome.step, outcome.state
        if outcome.change is not None:
            compares.append((step, outcome.change))
        trace.steps.append(step)
        if step.screenshot is not None:
            emit(k, step.screenshot)
        if outcome.page_gone:
            trace.crashed = True
            break
        if not step.performed and not continue_after_failure:
            break


def _restarter(pages: Pages, grounder: Grounder, trajectory: Trajectory, resolution: Resolution,
               scratch: Path) -> Callable[[list[Action]], Awaitable[tuple[PageSession, PageState] | None]]:
    """Opens the candidate afresh and replays `actions` on it (screenshots into `scratch`):
    the page as it was before the step under trial; None when that replay broke off."""

    async def restart(actions: list[Action]) -> tuple[PageSession, PageState] | None:
        session: PageSession | None = None
        try:
            session = await pages.opener.open()
            run = session.run
            await run.sp.goto()
            await run.settle_state(0)
            shot = await run.screenshot()
            state = PageState(asyncio.ensure_future(asyncio.to_thread(_decode_and_remember, shot, None)), await run.text())
            for k, action in enumerate(actions, start=1):  # as the replay did: on past a step it could not perform
                outcome = await _replay_step(run, grounder, trajectory, k, action, resolution, scratch, state)
                if outcome.page_gone:
                    raise PageCrashed("page gone while replaying the steps before")
                state = outcome.state
        except Exception as exc:  # noqa: BLE001 - a page that does not come back is a trial that failed
            log.info("replay.key_trial_restart_failed", error=str(exc).splitlines()[0][:200] if str(exc) else repr(exc))
            if session is not None:
                await session.close()
            return None
        return session, state

    return restart


async def _replay_step(
    run: PageOps, grounder: Grounder, trajectory: Trajectory, k: int, action: Action, resolution: Resolution,
    out_dir: Path, before: PageState,
) -> StepOutcome:
    """One step: ground, act, settle, screenshot (see `StepOutcome`)."""
    last_shot = before.image
    timings: dict[str, float] = {}
    grounding = Grounding(method=getattr(grounder, "name", "?"), found=False)
    step = StepTrace(index=k, grounding=grounding, performed=False, text_before=before.text)
    phase = "ground"
    try:
        t = time.perf_counter()
        await run.before_input(k)
        reference = trajectory.checkpoint(k - 1)
        target = trajectory.target_box(k)
        look = LookCue(reference=reference, box=target, current=last_shot) if reference and target else None
        grounding = await run.bounded(
            grounder.ground(run.page, action, k, trajectory.pointer(k), reference, look=look)
            if look is not None else grounder.ground(run.page, action, k, trajectory.pointer(k), reference),
            "grounding", run.judge_work_timeout,  # a huge DOM on a busy machine is slow to list, not wrong
        )
        timings["ground"] = time.perf_counter() - t
        step.grounding = grounding
        if not grounding.found:
            step.error, step.error_kind = grounding.error or "target not found", "not_found"
            step.timings = timings
            return StepOutcome(step, before)
        phase = "act"
        t = time.perf_counter()
        run.mark_input(k)
        performed, reason = await run.perform(action, grounding, resolution)
        timings["act"] = time.perf_counter() - t
        if not performed:
            step.error, step.error_kind = reason, "not_performed"
        phase = "settle"
        t = time.perf_counter()
        await run.settle_state(k)
        timings["settle"] = time.perf_counter() - t
        phase = "screenshot"
        t = time.perf_counter()
        shot, text = await asyncio.gather(run.screenshot(), run.text())
        timings["screenshot"] = time.perf_counter() - t
        step.text_after = text
        path = out_dir / f"step_{k}.png"
        if performed:
            path.write_bytes(shot)
        image = asyncio.ensure_future(asyncio.to_thread(_decode_and_remember, shot, path if performed else None))
        compare = None
        if performed:
            step.screenshot = path
            step.performed = True
            compare = asyncio.ensure_future(_compare(last_shot, image))
        step.timings = timings
        return StepOutcome(step, PageState(image, text), change=compare)
    except (PageHung, PageCrashed) as exc:
        step.error, step.error_kind = str(exc), error_kind(exc)
        step.timings = timings
        return StepOutcome(step, before, page_gone=True)
    except Exception as exc:  # noqa: BLE001 - timeouts, model errors, Playwright errors
        kind = error_kind(exc)
        msg = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        step.error, step.error_kind = (f"model error: {msg}" if kind == "model" else f"{phase}: {msg}"), kind
        if kind == "model":
            step.grounding = Grounding(method=getattr(grounder, "name", "llm"), found=False, error=msg)
        step.timings = timings
        return StepOutcome(step, before)


async def _compare(before: asyncio.Future[np.ndarray | None], after: asyncio.Future[np.ndarray | None]) -> float:
    """Changed pixel fraction between two decoded screenshots (in a thread)."""
    return await asyncio.to_thread(screenshot_change, await before, await after)


def _finish(trace: ReplayTrace, sp: SandboxPage | None, t_start: float) -> ReplayTrace:
    if sp is not None:
        trace.blocked_urls = sp.blocked_urls
        trace.dialogs = sp.total_dialogs
        trace.popups = sp.total_popups
        trace.downloads = sp.downloads
        trace.crashed = trace.crashed or sp.crashed or sp.hung
    trace.timings["total"] = time.perf_counter() - t_start
    return trace


__all__ = [
    "JUDGE_WORK_TIMEOUT_MIN", "PAGE_FRAME_MS", "PageCrashed", "PageHung", "PageOps", "PageTimeline", "ReplayTrace",
    "SettleConfig", "StepTimeout", "StepTrace", "key_of", "normalise_key", "replay_page", "screenshot_change",
]
