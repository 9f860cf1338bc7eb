"""One page-time policy for recording and judging: what time a page lives in.

A page starts at a fixed date (reproducible) with a seeded `Math.random`, and then lives
exactly as much time as the video shows: `Date`, `performance.now()`, timers and
`requestAnimationFrame` come from Playwright's clock (installed paused, moved only by
`run_for`), and CSS transitions/animations follow the same page time (the document's
animations are paused in real time through DevTools and moved forward by the same amount
on every advance). Nothing a page sees depends on how fast this machine is.

The recorder advances page time frame by frame with the film (`PageClock.advance_to`),
so a state change a timer causes during a hold is filmed when it happens; it records,
per step, the page time of the action's input and of its checkpoint (`PageTimes`). The
judge gives a candidate the same start date, seed and time flow: it moves the candidate's
clock to each recorded input time before acting and to the recorded checkpoint time before
its screenshot; without recorded times (official tasks) it acts every `DEFAULT_PACE`
seconds. The project's own injected scripts keep real timers: they capture them first
(`REAL_TIME_JS`, `window.__iwrReal`) and the clock is installed after them.

Page time is in seconds since the page was opened (`Date.now()` = start + page time).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..tools.sandbox import InitStep, apply_init_steps

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

T = TypeVar("T")

__all__ = [
    "DEFAULT_PACE", "DEFAULT_SEED", "DEFAULT_START", "QUIET_MS", "SETTLE_MIN_MS", "Activity", "AppliedClock",
    "InitStep", "PageClock", "PageClockPolicy", "PageTimes", "apply_init_steps",
]

DEFAULT_START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
DEFAULT_SEED = 20260101
# IWR-Bench videos run about 35 s for 8.9 actions: ~3.9 s of page time per action.
DEFAULT_PACE = 3.9
QUIET_MS = 150  # page time without DOM change, pending short timer or finite animation: settled
SETTLE_MIN_MS = 250  # a settled state is at least this long after the input (short UI delays)

# Runs first: keeps the real timing functions for the project's own scripts (frozen,
# hidden), before the clock replaces the page's.
REAL_TIME_JS = """(() => {
  if (window.__iwrReal) return;
  const real = Object.freeze({
    setTimeout: window.setTimeout.bind(window), clearTimeout: window.clearTimeout.bind(window),
    raf: window.requestAnimationFrame.bind(window), now: performance.now.bind(performance),
  });
  try { Object.defineProperty(window, '__iwrReal', { value: real, configurable: false, writable: false, enumerable: false }); } catch (e) {}
})();"""

# Runs after the clock is installed: counts DOM mutations, keeps the page's pending timers
# and animation frames (the short timers, 20 ms .. 1 s, are the ones a settle awaits), and
# moves the document's animations by page time. `window.__iwrPageTime.advance(ms)` returns
# the activity; `wait` is the page time until the next timer or frame (-1: none).
TRACKER_JS = """(() => {
  if (window.__iwrPageTime) return;
  const st = { mutations: 0, timers: new Set(), due: new Map(), intervals: new Map(), frames: new Set() };
  // screenshots hide the caret by setting caret-color on the focused field: not a page change
  const caretOnly = (r) => {
    if (r.type !== 'attributes' || r.attributeName !== 'style') return false;
    const strip = (v) => (v || '').replace(/caret-color:\\s*transparent\\s*(!important)?\\s*;?/g, '').trim();
    return strip(r.oldValue) === strip(r.target.getAttribute('style'));
  };
  try {
    new MutationObserver((records) => { for (const r of records) if (!caretOnly(r)) { st.mutations++; return; } })
      .observe(document, { subtree: true, childList: true, attributes: true, attributeOldValue: true, characterData: true });
  } catch (e) {}
  const now = () => performance.now();  // the page's clock
  const sT = window.setTimeout, cT = window.clearTimeout, sI = window.setInterval, cI = window.clearInterval;
  const rAF = window.requestAnimationFrame, cAF = window.cancelAnimationFrame;
  const forget = (id) => { st.timers.delete(id); st.due.delete(id); st.intervals.delete(id); };
  window.setTimeout = function (fn, delay, ...rest) {
    const d = Math.max(0, Number(delay) || 0);
    if (typeof fn !== 'function') return sT.call(window, fn, delay, ...rest);
    const id = sT.call(window, function () { forget(id); return fn.apply(this, arguments); }, delay, ...rest);
    st.due.set(id, now() + d);
    if (d >= 20 && d <= 1000) st.timers.add(id);
    return id;
  };
  window.setInterval = function (fn, delay, ...rest) {
    const id = sI.call(window, fn, delay, ...rest);
    st.intervals.set(id, { start: now(), period: Math.max(1, Number(delay) || 0) });
    return id;
  };
  window.clearTimeout = function (id) { forget(id); return cT.call(window, id); };
  window.clearInterval = function (id) { forget(id); return cI.call(window, id); };
  window.requestAnimationFrame = function (cb) {
    if (typeof cb !== 'function') return rAF.call(window, cb);
    const id = rAF.call(window, function () { st.frames.delete(id); return cb.apply(this, arguments); });
    st.frames.add(id);
    return id;
  };
  window.cancelAnimationFrame = function (id) { st.frames.delete(id); return cAF.call(window, id); };
  const finite = (a) => { const t = a.effect && a.effect.getComputedTiming ? a.effect.getComputedTiming() : null;
    return !!t && isFinite(t.endTime); };
  const wait = (running) => {
    if (running || st.frames.size) return 0;
    const t = now();
    let next = Infinity;
    for (const [id, due] of st.due) { if (due > t) next = Math.min(next, due); else st.due.delete(id); }
    for (const v of st.intervals.values()) next = Math.min(next, v.start + v.period * (Math.floor((t - v.start) / v.period) + 1));
    return next === Infinity ? -1 : next - t;
  };
  const activity = () => {
    let running = 0, finiteRunning = 0;
    try { for (const a of document.getAnimations()) if (a.playState === 'running') { running++; if (finite(a)) finiteRunning++; } } catch (e) {}
    const drawn = !!document.querySelector('canvas, video');
    return { mutations: st.mutations, pending: st.timers.size, animations: running, finite: finiteRunning, drawn, wait: wait(running) };
  };
  const advance = (ms) => {
    try {
      for (const a of document.getAnimations()) {
        if (a.playState !== 'running' || a.currentTime === null) continue;
        a.currentTime = a.currentTime + ms * (a.playbackRate || 1);
      }
    } catch (e) {}
    return activity();
  };
  try { Object.defineProperty(window, '__iwrPageTime', { value: Object.freeze({ activity, advance }), configurable: false, writable: false, enumerable: false }); } catch (e) {}
})();"""  # noqa: E501 - the page script is kept byte for byte

# Seeded Math.random (mulberry32), installed before any page script runs.
SEED_RANDOM_JS = """(seed) => {
  let s = seed >>> 0;
  Math.random = function () {
    s = (s + 0x6D2B79F5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}"""

_ACTIVITY_JS = "() => window.__iwrPageTime ? window.__iwrPageTime.activity() : null"
_ADVANCE_JS = "(ms) => window.__iwrPageTime ? window.__iwrPageTime.advance(ms) : null"

class PageClockPolicy(BaseModel):
    """What a page experiences while recorded and while judged."""

    model_config = ConfigDict(frozen=True)

    start: datetime = DEFAULT_START  # Date.now() when the page opens
    random_seed: int | None = DEFAULT_SEED  # Math.random seed; None = the browser's own
    timezone: str = "UTC"
    locale: str = "en-US"
    time: Literal["video"] = "video"  # page time advances exactly as the video's time

    def context_options(self) -> dict[str, str]:
        return {"timezone_id": self.timezone, "locale": self.locale}

    def init_steps(self, before_clock: Sequence[str] = (), *, paused: bool = True) -> list[InitStep]:
        """Context set-up in order: real timers kept, `before_clock` scripts (they see real
        timers), the clock at `start` (paused, or running in real time: screen recordings),
        the tracker, the seeded random."""
        start = self.start

        async def install(context: BrowserContext) -> None:
            await context.clock.install(time=start)
            if paused:
                await context.clock.pause_at(start)

        steps: list[InitStep] = [REAL_TIME_JS, *before_clock, install, TRACKER_JS]
        if self.random_seed is not None:
            steps.append(f"({SEED_RANDOM_JS})({int(self.random_seed)});")
        return steps


class PageTimes(BaseModel):
    """When a trajectory's events happened, in page seconds."""

    state0: float | None = None  # state 0 was captured
    inputs: list[float | None] = Field(default_factory=list)  # [k-1]: action k's input
    checkpoints: list[float | None] = Field(default_factory=list)  # [k-1]: state k was captured

    def input_at(self, step: int) -> float | None:
        return self.inputs[step - 1] if 0 < step <= len(self.inputs) else None

    def checkpoint_at(self, step: int) -> float | None:
        return self.checkpoints[step - 1] if 0 < step <= len(self.checkpoints) else None


class AppliedClock(BaseModel):
    """The page time a judge gave a candidate (evidence in the result)."""

    policy: PageClockPolicy
    source: Literal["recorded", "default pace"]  # recorded times from the ground truth, or a fixed pace
    pace: float | None = None  # seconds per action when `source` is the default pace
    applied: PageTimes = Field(default_factory=PageTimes)  # what the candidate got


@dataclass
class Activity:
    """What a page did, as the tracker counts it."""

    mutations: int = 0
    pending: int = 0  # short page timers not fired yet
    animations: int = 0  # running animations (finite or not)
    finite: int = 0  # running finite animations
    drawn: bool = False  # the page has a canvas or video (it may change without DOM mutations)
    wait: float | None = 0.0  # page ms until the page's next timer or frame; None: none pending

    @classmethod
    def of(cls, raw: Any) -> Activity:
        if not isinstance(raw, dict):
            return cls()
        counts = {k: int(raw.get(k) or 0) for k in ("mutations", "pending", "animations", "finite")}
        wait = raw.get("wait")
        return cls(**counts, drawn=bool(raw.get("drawn")),
                   wait=None if isinstance(wait, (int, float)) and wait < 0 else float(wait or 0))


FrameHook = Callable[[Activity, int], Awaitable[None]]  # (activity, frames about to pass) before each advance


class PageClock:
    """Page time of one page: paused, and moved only by `advance*` (timers, rAF, animations)."""

    def __init__(self, page: Page, frame_ms: float, call_timeout: float | None = None) -> None:
        self.page = page
        self.frame_ms = float(frame_ms)
        self.call_timeout = call_timeout  # s: bound of each call into the page (a hung page), not of a whole settle
        self.now_ms = 0  # page milliseconds since the page was opened
        self._cdp: Any = None
        self._seen = -1  # mutation count at the last frame hook

    async def start(self) -> None:
        """Pause the page's animations in real time (they follow page time only). Call
        before the page loads."""
        self._cdp = await self.page.context.new_cdp_session(self.page)
        await self._cdp.send("Animation.enable")
        await self._cdp.send("Animation.setPlaybackRate", {"playbackRate": 0})

    @property
    def now(self) -> float:
        """Page seconds since the page was opened."""
        return self.now_ms / 1000

    async def _call(self, aw: Awaitable[T]) -> T:
        """One call into the page, bounded by `call_timeout` (TimeoutError) when set."""
        return await (asyncio.wait_for(aw, self.call_timeout) if self.call_timeout else aw)

    async def activity(self) -> Activity:
        return Activity.of(await self._call(self.page.evaluate(_ACTIVITY_JS)))

    async def advance(self, ms: int) -> Activity:
        """Move page time forward by whole milliseconds: timers and frames fire in order,
        animations move by the same amount."""
        ms = max(0, int(ms))
        if ms:
            await self._call(self.page.clock.run_for(ms))
            self.now_ms += ms
        return Activity.of(await self._call(self.page.evaluate(_ADVANCE_JS, ms)))

    async def advance_to(self, seconds: float) -> Activity:
        """Move page time forward to `seconds` (no-op when already there or past it)."""
        return await self.advance(round(seconds * 1000) - self.now_ms)

    async def settle(self, max_seconds: float, *, min_seconds: float = 0.0, on_frame: FrameHook | None = None) -> Activity:
        """Advance frame by frame until the page is quiet in page time: no DOM mutation for
        `QUIET_MS`, no pending short timer, no running finite animation, and at least
        `min_seconds` from now; at most `max_seconds`. `on_frame` sees the page before each
        advance with the number of frames it spans (the recorder films them there): a page
        that cannot change before its next timer is moved there, or to where it counts as
        settled, in one step."""
        start = self.now_ms
        act = await self.activity()
        last_change, seen = self.now_ms, act.mutations
        frames = 0
        while True:
            elapsed = self.now_ms - start
            quiet = self.now_ms - last_change >= QUIET_MS and not act.pending and not act.finite
            if (quiet and elapsed >= min_seconds * 1000) or elapsed >= max_seconds * 1000:
                return act
            n = 1
            if act.wait != 0 and not (act.pending or act.animations or act.drawn):
                until = min(max(last_change + QUIET_MS, start + min_seconds * 1000), start + max_seconds * 1000)
                if act.wait is not None:
                    until = min(until, self.now_ms + act.wait)
                n = max(1, math.ceil((until - start) / self.frame_ms - 1e-9) - frames)
            if on_frame is not None:
                await on_frame(act, n)
            frames += n
            act = await self.advance(round(start + frames * self.frame_ms) - self.now_ms)
            if act.mutations != seen:
                last_change, seen = self.now_ms, act.mutations

