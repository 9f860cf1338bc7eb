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
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import structlog
from pydantic import BaseModel, Field

from ...tools.sandbox import BrowserHandle, SandboxPage, SandboxSite, open_sandboxed_page
from ..page_clock import DEFAULT_PACE, SETTLE_MIN_MS, AppliedClock, PageClock, PageClockPolicy, PageTimes
from ..task import Action, ActionType, Point, Resolution
from .grounding import Grounder, LookCue, load_js, scroll_direction
from .types import Grounding, Trajectory

log = structlog.get_logger()
T = TypeVar("T")
JUDGE_WORK_TIMEOUT_MIN = 10.0  # s: grounding, screenshots and reading the page are the judge's work, not the page's action
PAGE_FRAME_MS = 1000 / 15  # page-time step while waiting for a busy page (the recorder's default frame)


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


class PageHung(Exception):
    """The renderer stopped answering."""


class PageCrashed(Exception):
    """The renderer crashed or the page was closed."""


class StepTimeout(Exception):
    """An operation timed out but the page still answers."""


_KEY_NAMES = {
    "enter": "Enter", "return": "Enter", "esc": "Escape", "escape": "Escape", "space": "Space", "spacebar": "Space",
    "tab": "Tab", "backspace": "Backspace", "delete": "Delete", "del": "Delete", "home": "Home", "end": "End",
    "pageup": "PageUp", "pagedown": "PageDown", "up": "ArrowUp", "down": "ArrowDown", "left": "ArrowLeft",
    "right": "ArrowRight", "arrowup": "ArrowUp", "arrowdown": "ArrowDown", "arrowleft": "ArrowLeft",
    "arrowright": "ArrowRight", "uparrow": "ArrowUp", "downarrow": "ArrowDown", "leftarrow": "ArrowLeft",
    "rightarrow": "ArrowRight", "ctrl": "Control", "control": "Control", "cmd": "Meta", "command": "Meta",
    "meta": "Meta", "alt": "Alt", "option": "Alt", "shift": "Shift", "insert": "Insert",
}
_REPLACE_WORDS = re.compile(r"\b(replace|replacing|clear|clearing|overwrite|change|changing|instead of|select all|erase|delete the)\b", re.I)


def normalise_key(raw: str) -> str:
    """A Playwright key name for names like 'Enter', 'Esc', 'arrow left', 'ctrl+a', 'F5', 'a'."""
    parts = [p.strip() for p in re.split(r"\s*\+\s*", raw.strip()) if p.strip()] or [raw]
    out = []
    for p in parts:
        k = re.sub(r"[\s_-]+", "", p).lower()
        if k in _KEY_NAMES:
            out.append(_KEY_NAMES[k])
        elif re.fullmatch(r"f\d{1,2}", k):
            out.append(k.upper())
        elif len(p) == 1:
            out.append(p)
        else:
            out.append(p[:1].upper() + p[1:])
    return "+".join(out)


def key_of(action: Action) -> str | None:
    """The key to press: `parameters.key`, else a quoted or named key in the description."""
    if action.parameters.key:
        return normalise_key(action.parameters.key)
    d = action.description
    m = re.search(r"[\"'“‘]([^\"'”’]{1,24})[\"'”’]", d)
    if m:
        return normalise_key(m.group(1))
    words = re.findall(r"[A-Za-z0-9]+", d)
    for i, w in enumerate(words):
        lw = w.lower()
        if lw == "arrow" and i + 1 < len(words) and words[i + 1].lower() in {"up", "down", "left", "right"}:
            return normalise_key("arrow" + words[i + 1])
        if lw in {"up", "down", "left", "right"} and i + 1 < len(words) and words[i + 1].lower() == "arrow":
            return normalise_key("arrow" + lw)
        if lw in _KEY_NAMES and lw not in {"up", "down", "left", "right", "option", "control", "delete", "end", "home", "tab"}:
            return normalise_key(lw)
    for lw in ("enter", "escape", "tab", "delete", "home", "end"):
        if re.search(rf"\b{lw}\b", d, re.I):
            return normalise_key(lw)
    return None


def changed_fraction(before: bytes | np.ndarray | None, after: bytes | np.ndarray | None, threshold: int = 12) -> float:
    """Fraction of pixels whose largest channel difference exceeds `threshold` (images as
    encoded bytes or decoded BGR arrays)."""
    from ...tools.image_metrics import changed_mask, decode_png

    a = decode_png(before) if isinstance(before, bytes) else before
    b = decode_png(after) if isinstance(after, bytes) else after
    if a is None or b is None:
        return 0.0
    if a.shape != b.shape:
        return 1.0
    return float(np.count_nonzero(changed_mask(a, b, threshold))) / (a.shape[0] * a.shape[1])


def _decode_and_remember(shot: bytes, path: Path | None) -> np.ndarray | None:
    """Decode a screenshot once and, when it was saved at `path`, hand it to the image cache
    (the scorers reuse it instead of decoding the file again)."""
    from ...tools.image_metrics import decode_png, remember

    img = decode_png(shot)
    if img is not None and path is not None:
        remember(path, img)
    return img


class _Timeline:
    """The candidate's page time: when it gets each input and each screenshot."""

    def __init__(self, page: Any, policy: PageClockPolicy, times: PageTimes | None, actions: int) -> None:
        self.clock = PageClock(page, PAGE_FRAME_MS)
        self.times = times if times is not None and len(times.inputs) == actions else None
        self.actions = actions
        self.record = AppliedClock(policy=policy, source="recorded" if self.times else "default pace",
                                   pace=None if self.times else DEFAULT_PACE,
                                   applied=PageTimes(inputs=[None] * actions, checkpoints=[None] * actions))

    def input_at(self, k: int) -> float:
        """When action k reaches the page: the recorded time, else `DEFAULT_PACE` after the
        previous input (state 0 for the first)."""
        if self.times is not None:
            return self.times.input_at(k) or 0.0
        prev = self.record.applied.input_at(k - 1) if k > 1 else self.record.applied.state0
        return (prev or 0.0) + DEFAULT_PACE

    def capture(self, k: int) -> tuple[float | None, float]:
        """(time to move to, latest time) for capturing state k (0 = the loaded page)."""
        if self.times is not None:
            target = self.times.state0 if k == 0 else self.times.checkpoint_at(k)
            limit = self.times.input_at(k + 1) if k < self.actions else None
            return target, limit if limit is not None else (target or self.clock.now) + DEFAULT_PACE
        start = self.clock.now if k == 0 else self.record.applied.input_at(k) or self.clock.now
        return None, start + DEFAULT_PACE


class _Runner:
    """Bounded page operations for one replay."""

    def __init__(self, sp: SandboxPage, action_timeout: float, settle: SettleConfig, timeline: _Timeline | None = None) -> None:
        self.sp = sp
        self.page = sp.page
        self.timeout = action_timeout
        self.settle_cfg = settle
        self.timeline = timeline

    async def page_time(self, aw: Awaitable[Any]) -> None:
        """A page-clock operation, bounded; a page that broke the clock or its tracker just
        stops living page time (like a page that broke the settle tracker)."""
        try:
            await self.bounded(aw, "page clock", self.judge_work_timeout)
        except (PageHung, PageCrashed, StepTimeout):
            raise
        except Exception as exc:  # noqa: BLE001 - the page's own doing, not the judge's
            log.warning("replay.page_clock_failed", error=str(exc).splitlines()[0][:200] if str(exc) else repr(exc))

    async def before_input(self, k: int) -> None:
        """Move the page's clock to action k's input time (no-op on a real clock)."""
        tl = self.timeline
        if tl is None:
            return
        if tl.clock.now < tl.input_at(k):  # as in the recording, the input comes at its time, busy or not
            await self.page_time(tl.clock.advance_to(tl.input_at(k)))

    def mark_input(self, k: int) -> None:
        if self.timeline is not None:
            self.timeline.record.applied.inputs[k - 1] = self.timeline.clock.now

    async def settle_state(self, k: int) -> None:
        """Let the page settle after action k (0: after loading), in page time when the page
        has a clock: to the reference's capture time, then on while busy (see `_Timeline`);
        animations then run on page time, and only those still running at the end are finished."""
        tl = self.timeline
        await self.settle(finish=tl is None)
        if tl is None:
            return
        target, limit = tl.capture(k)
        clock = tl.clock
        if target is not None:
            await self.page_time(clock.advance_to(target))
        min_seconds = 0.0 if target is not None else SETTLE_MIN_MS / 1000
        await self.page_time(clock.settle(max(0.0, limit - clock.now), min_seconds=min_seconds))
        await self.settle()
        if k == 0:
            tl.record.applied.state0 = clock.now
        else:
            tl.record.applied.checkpoints[k - 1] = clock.now

    async def bounded(self, aw: Awaitable[T], what: str, timeout: float | None = None) -> T:
        """Await with a timeout; classify a timeout as hung (no answer) or a plain timeout."""
        if self.sp.crashed or self.page.is_closed():
            raise PageCrashed("page crashed")
        try:
            return await asyncio.wait_for(aw, timeout or self.timeout)
        except TimeoutError:
            if await self.sp.alive(1.0):
                raise StepTimeout(f"{what} timed out") from None
            self.sp.mark_hung()
            raise PageHung("page hung") from None
        except Exception as exc:
            if self.sp.crashed or self.page.is_closed():
                raise PageCrashed("page crashed") from exc
            raise

    @property
    def judge_work_timeout(self) -> float:
        """Bound of the judge's own work on the page (grounding, screenshots)."""
        return max(self.timeout, JUDGE_WORK_TIMEOUT_MIN)

    async def settle(self, finish: bool = True) -> None:
        """Wait (real time) until the page is quiet; `finish` finite animations on the way."""
        c = self.settle_cfg
        js = "(o) => window.__iwrQuiet && window.__iwrQuiet.settle ? window.__iwrQuiet.settle(o) : null"
        opts = {"quietMin": c.quiet_min, "quietMax": c.quiet_max, "busyMax": c.busy_max, "cap": c.cap, "finish": finish}
        try:
            done = await self.bounded(self.page.evaluate(js, opts), "settle", c.cap / 1000 + self.timeout)
        except (PageHung, PageCrashed):
            raise
        except Exception:  # noqa: BLE001 - a page that broke the tracker: fixed wait instead
            done = None
        if done is None:
            await asyncio.sleep(c.quiet_max / 1000)

    async def text(self) -> str:
        """The page's text: the judge's own reading, bounded like its other work (a 10,000-row
        page on a busy machine takes seconds; a hung one is still caught by the liveness check)."""
        return await self.bounded(self.page.evaluate(load_js("page_state.js"), {"op": "text"}), "text", self.judge_work_timeout)

    async def screenshot(self) -> bytes:
        """A PNG of the viewport; bounded by the action timeout, but never below
        JUDGE_WORK_TIMEOUT_MIN (a big page on a busy machine is slow to capture; a hung one is
        still caught by the liveness check)."""
        limit = self.judge_work_timeout
        shot = self.page.screenshot(type="png", animations="disabled", caret="hide", scale="css", timeout=limit * 1000)
        return await self.bounded(shot, "screenshot", limit + 1)

    async def state_op(self, args: dict[str, Any]) -> Any:
        return await self.bounded(self.page.evaluate(load_js("page_state.js"), args), "page state", self.judge_work_timeout)

    async def perform(self, action: Action, g: Grounding, resolution: Resolution) -> tuple[bool, str | None]:
        """Do the action at the grounded target; (performed, reason when not)."""
        page = self.page
        if action.type == ActionType.CLICK:
            assert g.point is not None
            await self.bounded(page.mouse.click(g.point.x, g.point.y), "click")
            return True, None
        if action.type == ActionType.TYPE:
            text = action.text
            if text is None:
                return False, "no text to type"
            if g.point is not None:
                await self.bounded(page.mouse.click(g.point.x, g.point.y), "focus field")
            if _REPLACE_WORDS.search(action.description):
                await self.bounded(page.keyboard.press("ControlOrMeta+a"), "select all")
            await self.bounded(page.keyboard.type(text), "type")
            return True, None
        if action.type == ActionType.PRESS:
            key = key_of(action)
            if not key:
                return False, "no key to press"
            if action.point is not None and g.point is not None:
                await self.bounded(page.mouse.click(g.point.x, g.point.y), "focus")
            try:
                await self.bounded(page.keyboard.press(key), "press")
            except StepTimeout:
                raise
            except (PageHung, PageCrashed):
                raise
            except Exception as exc:  # noqa: BLE001 - unknown key name
                return False, f"key {key!r} not delivered: {exc}"
            return True, None
        if action.type == ActionType.SCROLL:
            return await self._scroll(action, g, resolution)
        return False, f"unsupported action {action.type}"

    async def _scroll(self, action: Action, g: Grounding, resolution: Resolution) -> tuple[bool, str | None]:
        direction = scroll_direction(action)
        half_h, half_w = resolution.height / 2, resolution.width / 2
        dx, dy = {"down": (0, half_h), "up": (0, -half_h), "right": (half_w, 0), "left": (-half_w, 0)}[direction]
        point = g.point or Point(x=resolution.width / 2, y=resolution.height / 2)
        await self.state_op({"op": "snap"})
        await self.bounded(self.page.mouse.move(point.x, point.y), "move")
        await self.bounded(self.page.mouse.wheel(dx, dy), "wheel")
        moved = await self._wait_moved()
        if moved <= 5:
            await self.state_op({"op": "scrollBy", "delta": [dx, dy], "point": [point.x, point.y]})
            moved = await self._wait_moved()
        if moved <= 5:
            return False, f"nothing scrolled {direction}"
        return True, None

    async def _wait_moved(self, budget: float = 0.4) -> float:
        end = time.perf_counter() + budget
        moved = 0.0
        while True:
            moved = float(await self.state_op({"op": "moved"}) or 0)
            if moved > 5 or time.perf_counter() > end:
                return moved
            await asyncio.sleep(0.03)


def _err_kind(exc: BaseException) -> str:
    if isinstance(exc, PageHung):
        return "hung"
    if isinstance(exc, PageCrashed):
        return "crashed"
    if isinstance(exc, StepTimeout):
        return "timeout"
    if type(exc).__name__ == "ModelError":
        return "model"
    return "infra"


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
) -> ReplayTrace:
    """Replay `trajectory` on `site` in a fresh sandboxed context (see module docstring).

    `clock`: the page-time policy to give the candidate (with `trajectory.page_times` when
    recorded); None = the browser's real clock."""
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

    sp_ref: SandboxPage | None = None
    own = [load_js("quiet.js"), load_js("listeners.js")]  # the settle tracker; pointer listeners for the grounder
    async with open_sandboxed_page(
        browser, site, resolution.width, resolution.height,
        init_scripts=clock.init_steps(before_clock=own) if clock is not None else own,
        load_timeout=load_timeout, close_timeout=5.0,
        context_options=clock.context_options() if clock is not None else None,
    ) as sp:
        sp_ref = sp
        timeline = _Timeline(sp.page, clock, trajectory.page_times, len(trajectory.actions)) if clock is not None else None
        if timeline is not None:
            trace.page_clock = timeline.record
            await asyncio.wait_for(timeline.clock.start(), action_timeout)
        await _drive(_Runner(sp, action_timeout, settle, timeline), trace, grounder, trajectory, resolution, out_dir, emit,
                     continue_after_failure)
    return _finish(trace, sp_ref, t_start)


async def _drive(
    run: _Runner, trace: ReplayTrace, grounder: Grounder, trajectory: Trajectory, resolution: Resolution,
    out_dir: Path, emit: Callable[[int, Path], None], continue_after_failure: bool,
) -> None:
    """Load, state 0, then the steps; fills `trace`."""
    sp = run.sp
    t0 = time.perf_counter()
    try:
        try:
            await sp.goto()
        except Exception as exc:  # noqa: BLE001
            if not await sp.alive(1.0):
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
    last_shot, last_text = state0_image, trace.state0_text
    compares: list[tuple[StepTrace, asyncio.Future[float]]] = []
    t_steps = time.perf_counter()
    try:
        await _drive_steps(run, trace, grounder, trajectory, resolution, out_dir, emit, continue_after_failure,
                           last_shot, last_text, compares)
    finally:
        for step, job in compares:
            try:
                step.changed_fraction = await job
            except Exception as exc:  # noqa: BLE001 - an undecodable screenshot compares as unchanged
                log.warning("replay.compare_failed", step=step.index, error=repr(exc))
        trace.timings["steps"] = time.perf_counter() - t_steps  # all steps, compares included


async def _drive_steps(
    run: _Runner, trace: ReplayTrace, grounder: Grounder, trajectory: Trajectory, resolution: Resolution,
    out_dir: Path, emit: Callable[[int, Path], None], continue_after_failure: bool,
    last_shot: asyncio.Future[np.ndarray | None], last_text: str,
    compares: list[tuple[StepTrace, asyncio.Future[float]]],
) -> None:
    for k, action in enumerate(trajectory.actions, start=1):
        step, last_shot, last_text, fatal, compare = await _replay_step(
            run, grounder, trajectory, k, action, resolution, out_dir, last_shot, last_text,
        )
        if compare is not None:
            compares.append((step, compare))
        trace.steps.append(step)
        if step.screenshot is not None:
            emit(k, step.screenshot)
        if fatal:
            trace.crashed = True
            break
        if not step.performed and not continue_after_failure:
            break


async def _replay_step(
    run: _Runner, grounder: Grounder, trajectory: Trajectory, k: int, action: Action, resolution: Resolution,
    out_dir: Path, last_shot: asyncio.Future[np.ndarray | None], last_text: str,
) -> tuple[StepTrace, asyncio.Future[np.ndarray | None], str, bool, asyncio.Future[float] | None]:
    """One step: ground, act, settle, screenshot. Returns the trace, the new state (its decoded
    screenshot as a future), whether the page is gone (hung or crashed), and the future
    changed fraction of a performed step."""
    timings: dict[str, float] = {}
    grounding = Grounding(method=getattr(grounder, "name", "?"), found=False)
    step = StepTrace(index=k, grounding=grounding, performed=False, text_before=last_text)
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
            return step, last_shot, last_text, False, None
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
        return step, image, text, False, compare
    except (PageHung, PageCrashed) as exc:
        step.error, step.error_kind = str(exc), _err_kind(exc)
        step.timings = timings
        return step, last_shot, last_text, True, None
    except Exception as exc:  # noqa: BLE001 - timeouts, model errors, Playwright errors
        kind = _err_kind(exc)
        msg = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        step.error, step.error_kind = (f"model error: {msg}" if kind == "model" else f"{phase}: {msg}"), kind
        if kind == "model":
            step.grounding = Grounding(method=getattr(grounder, "name", "llm"), found=False, error=msg)
        step.timings = timings
        return step, last_shot, last_text, False, None


async def _compare(before: asyncio.Future[np.ndarray | None], after: asyncio.Future[np.ndarray | None]) -> float:
    """Changed pixel fraction between two decoded screenshots (in a thread)."""
    return await asyncio.to_thread(changed_fraction, await before, await after)


def _finish(trace: ReplayTrace, sp: SandboxPage | None, t_start: float) -> ReplayTrace:
    if sp is not None:
        trace.blocked_urls = sp.blocked_urls
        trace.dialogs = sp.total_dialogs
        trace.popups = sp.total_popups
        trace.downloads = sp.downloads
        trace.crashed = trace.crashed or sp.crashed or sp.hung
    trace.timings["total"] = time.perf_counter() - t_start
    return trace
