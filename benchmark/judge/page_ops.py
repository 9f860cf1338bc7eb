"""Bounded operations on the candidate page during a replay (`PageOps`: act, settle, read,
screenshot) and the page time it is given at each input and capture (`PageTimeline`)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from ...tools.sandbox import SandboxPage
from ..page_clock import DEFAULT_PACE, SETTLE_MIN_MS, Activity, AppliedClock, PageClock, PageClockPolicy, PageTimes
from ..page_traffic import PageTraffic
from ..task import Action, ActionType, Point, Resolution
from .grounding import load_js, scroll_direction
from .keys import key_of
from .replay_types import PageCrashed, PageHung, SettleConfig, StepTimeout
from .types import Grounding

if TYPE_CHECKING:
    from playwright.async_api import Page

log = structlog.get_logger()
T = TypeVar("T")
JUDGE_WORK_TIMEOUT_MIN = 10.0  # s: grounding, screenshots and reading the page are the judge's work, not the page's action
# s: a page-clock operation (a settle of many frames) as a whole; each call into the page is
# bounded by the judge's work timeout, so a hung page is still found that fast, and a busy page
# on a loaded machine is not cut off halfway through its settle
PAGE_CLOCK_WALL_CAP = 12 * JUDGE_WORK_TIMEOUT_MIN
PAGE_FRAME_MS = 1000 / 15  # page-time step while waiting for a busy page (the recorder's default frame)
_REPLACE_WORDS = re.compile(r"\b(replace|replacing|clear|clearing|overwrite|change|changing|instead of|select all|erase|delete the)\b", re.I)


class PageTimeline:
    """The candidate's page time: when it gets each input and each screenshot."""

    def __init__(self, page: Page, policy: PageClockPolicy, times: PageTimes | None, actions: int) -> None:
        self.clock = PageClock(page, PAGE_FRAME_MS, call_timeout=JUDGE_WORK_TIMEOUT_MIN)
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


class PageOps:
    """Bounded page operations for one replay."""

    def __init__(self, sp: SandboxPage, action_timeout: float, settle: SettleConfig, timeline: PageTimeline | None = None,
                 traffic: PageTraffic | None = None) -> None:
        self.sp = sp
        self.page = sp.page
        self.timeout = action_timeout
        self.settle_cfg = settle
        self.timeline = timeline
        self.traffic = traffic  # the page's requests, when watched from before it loaded

    async def page_time(self, aw: Awaitable[Any]) -> None:
        """A page-clock operation, bounded; a page that broke the clock or its tracker just
        stops living page time (like a page that broke the settle tracker)."""
        try:
            await self.bounded(aw, "page clock", max(PAGE_CLOCK_WALL_CAP, self.judge_work_timeout))
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
        has a clock: to the reference's capture time, then on while busy (see `PageTimeline`);
        animations then run on page time, and only those still running at the end are finished."""
        tl = self.timeline
        await self.requests_done()
        await self.settle(finish=tl is None)
        if tl is None:
            return
        target, limit = tl.capture(k)
        clock = tl.clock
        if target is not None:
            await self.page_time(clock.advance_to(target))
        min_seconds = 0.0 if target is not None else SETTLE_MIN_MS / 1000

        async def between_frames(_act: Activity, _frames: int) -> None:
            await self.requests_done()

        await self.page_time(clock.settle(max(0.0, limit - clock.now), min_seconds=min_seconds, on_frame=between_frames))
        await self.settle()
        if k == 0:
            tl.record.applied.state0 = clock.now
        else:
            tl.record.applied.checkpoints[k - 1] = clock.now

    async def requests_done(self) -> None:
        """Wait (real time, page time standing still) for the page's requests, as the recorder
        does: a module that `import()` still loads may attach the listener the next action needs."""
        if self.traffic is not None:
            await self.traffic.idle()

    async def bounded(self, aw: Awaitable[T], what: str, timeout: float | None = None) -> T:
        """Await with a timeout; classify a timeout as hung (no answer) or a plain timeout."""
        if self.sp.crashed or self.page.is_closed():
            raise PageCrashed("page crashed")
        try:
            return await asyncio.wait_for(aw, timeout or self.timeout)
        except TimeoutError:
            if await self.sp.alive():
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
        amount = getattr(action.parameters, "amount", None)  # pixels, when the plan measured them (a recording's scroll)
        if isinstance(amount, int | float) and amount > 0:
            half_h = half_w = float(amount)
        dx, dy = {"down": (0, half_h), "up": (0, -half_h), "right": (half_w, 0), "left": (-half_w, 0)}[direction]
        point = g.point or Point(x=resolution.width / 2, y=resolution.height / 2)
        await self.state_op({"op": "snap"})
        await self.bounded(self.page.mouse.move(point.x, point.y), "move")
        await self.bounded(self.page.mouse.wheel(dx, dy), "wheel")
        moved = await self._wait_moved()
        if moved <= 5:  # the wheel scrolled nothing (yet): scroll by script, to the snapshot plus the delta
            fallback = {"op": "scrollFromSnap", "delta": [dx, dy], "point": [point.x, point.y]}
            await self.state_op(fallback)
            for _ in range(2):  # a wheel still in flight lands within these frames
                await self.state_op({"op": "frame"})
            moved = await self._moved()
            if moved >= 1.5 * max(abs(dx), abs(dy)):  # it did, on top of the script's scroll: back to the target
                await self.state_op(fallback)
                moved = await self._moved()
        if moved <= 5:
            return False, f"nothing scrolled {direction}"
        return True, None

    async def _moved(self) -> float:
        """The largest scroll offset change since the snapshot (px)."""
        return float(await self.state_op({"op": "moved"}) or 0)

    async def _wait_moved(self, budget: float = 0.4, min_frames: int = 3) -> float:
        """The largest scroll since the snapshot, once it exceeds 5 px or after `budget` seconds
        and `min_frames` rendered frames (a loaded machine renders late, so it is given longer)."""
        end = time.perf_counter() + budget
        frames = 0
        while True:
            moved = await self._moved()
            if moved > 5 or (time.perf_counter() > end and frames >= min_frames):
                return moved
            await self.state_op({"op": "frame"})
            frames += 1
