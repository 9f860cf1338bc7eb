"""The screen recorder's hands: performs demo actions through the X server on a headed page.

The page is read over CDP (target boxes, settling, checkpoints, visible text, images), but
every click, key and wheel notch goes through the X server (`HumanInput`), so the page gets
real input events and the X cursor takes the shapes the page asks for. The page lives real
time: page seconds are wall seconds since it opened (its clock runs at the policy's start
date), and the times of the truth come from the input log. One exception to "input through
X": a target outside the viewport is brought into view by Playwright (a jump, as an anchor
link would make), not by wheel notches. Every key press is checked to reach the page (a
keydown at the window): a key Chromium dropped (its window had lost the X keyboard focus) is
taken out of the input log, the focus is given back and the key pressed once more, and a key
that still goes nowhere stops the recording rather than leave a truth the video does not show.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from ..demo import DemoAction, DemoSpec
from ..ground_truth import StepTruth
from ..page_clock import QUIET_MS, PageClock
from ..page_traffic import PageTraffic
from ..task import ActionType, Box, Point
from .driver import ImageUse, action_error, locate, point_in_view, scan_images
from .options import RecordError, RecordOptions, short_error
from .screen_grab import ScreenGrab
from .trajectory import PAGE_STATE_JS
from .x_input import HumanInput, InputEvent

if TYPE_CHECKING:
    from playwright.async_api import Page

# The element a wheel turned at (x, y) scrolls along one axis (the document when no scrollable
# ancestor can move that way).
SCROLLER_AT_JS = """([x, y, vertical]) => {
  const doc = document.scrollingElement || document.documentElement;
  const can = (e) => { const cs = getComputedStyle(e), o = vertical ? cs.overflowY : cs.overflowX;
    return /(auto|scroll|overlay)/.test(o) && (vertical ? e.scrollHeight > e.clientHeight : e.scrollWidth > e.clientWidth); };
  let t = document.elementFromPoint(x, y);
  while (t && t !== document.body && t !== document.documentElement && !can(t)) t = t.parentElement;
  return (!t || t === document.body || t === document.documentElement) ? doc : t;
}"""
# The viewport point nearest (x, y), on a grid, where a wheel scrolls the document itself.
DOCUMENT_SPOT_JS = """([x, y, vertical]) => {
  const doc = document.scrollingElement || document.documentElement, scrollerAt = (SCROLLER_AT);
  if (scrollerAt([x, y, vertical]) === doc) return [x, y];
  let best = [x, y], bestD = Infinity;
  for (let gy = 1; gy < 8; gy++) for (let gx = 1; gx < 10; gx++) {
    const px = innerWidth * gx / 10, py = innerHeight * gy / 8, d = Math.hypot(px - x, py - y);
    if (d < bestD && scrollerAt([px, py, vertical]) === doc) { best = [px, py]; bestD = d; }
  }
  return best;
}""".replace("SCROLLER_AT", SCROLLER_AT_JS)
HITS_JS = """(el, [x, y]) => { const h = document.elementFromPoint(x, y);
  return !h ? 'nothing' : (el === h || el.contains(h) || h.contains(el)) ? '' : h.tagName.toLowerCase(); }"""
SCROLL_POS_JS = "(e) => [e.scrollLeft, e.scrollTop]"
# armed before a key press: `seen` resolves at the next keydown the page gets (window, capture
# phase: before any listener of the page's document or elements)
ARM_KEY_JS = """() => ({seen: new Promise(resolve => addEventListener('keydown', e => resolve(e.key),
  {once: true, capture: true}))})"""
KEY_SEEN_WAIT = 1.5  # s: a key the page has not seen by then was dropped


class ScreenDriver:
    """Performs demo actions on the headed page with X input; times are wall clock."""

    def __init__(self, page: Page, spec: DemoSpec, human: HumanInput, options: RecordOptions, label: str,
                 refocus: Callable[[], Awaitable[None]] | None = None) -> None:
        self.page, self.spec, self.human, self.opt, self.label = page, spec, human, options, label
        self.refocus = refocus  # gives the window the X keyboard focus again
        self.width, self.height = spec.resolution.width, spec.resolution.height
        self.clock = PageClock(page, 40.0)  # read-only here: `activity()` of the page's tracker
        self.page_offset = 0.0  # wall seconds at page second 0
        self.grab: ScreenGrab | None = None  # the running grabber, once filming
        self.traffic = PageTraffic(page)

    @property
    def network_images(self) -> list[str]:
        """Image URLs the page received, in order of first response."""
        return self.traffic.network_images

    # --- time and page state -----------------------------------------------------------
    async def sync_page_time(self) -> None:
        """Measure which wall time is page second 0 (the page's clock runs in real time)."""
        before = time.time()
        page_ms = float(await self.page.evaluate("() => performance.now()"))
        self.page_offset = (before + time.time()) / 2 - page_ms / 1000

    def page_time(self, wall: float) -> float:
        return wall - self.page_offset

    async def settle(self) -> None:
        """Wait (real time) until no request is in flight and the page has been quiet for
        `QUIET_MS` (no DOM change, no short timer pending, no finite animation running), and
        at least `settle_min` has passed; at most `settle_timeout`."""
        start = time.monotonic()
        deadline = start + self.opt.settle_timeout
        seen, last_change = -1, start
        while True:
            act = await self.clock.activity()
            now = time.monotonic()
            if act.mutations != seen:
                seen, last_change = act.mutations, now
            quiet = now - last_change >= QUIET_MS / 1000 and not act.pending and not act.finite and not self.traffic.inflight
            if (quiet and now - start >= self.opt.settle_min) or now >= deadline:
                return
            await asyncio.sleep(0.03)

    async def screenshot(self) -> bytes:
        return bytes(await self.page.screenshot(type="png", caret="hide"))

    async def visible_text(self) -> str:
        """The viewport's visible text, extracted exactly as the judge extracts a candidate's."""
        return str(await self.page.evaluate(PAGE_STATE_JS.read_text(), {"op": "text"}))

    async def scan_images(self) -> list[ImageUse]:
        return await scan_images(self.page)

    # --- actions -------------------------------------------------------------------------
    def _fail(self, k: int, act: DemoAction, reason: str) -> RecordError:
        return action_error(self.label, k, act, reason)

    async def _target(self, k: int, act: DemoAction) -> tuple[Any, Box, Point]:
        """The action's target: its locator, its box in view and the point to act on."""
        fail = partial(self._fail, k, act)
        loc = await locate(self.page, act, self.opt, fail)
        box, point = await point_in_view(loc, self.opt, self.width, self.height, fail)
        return loc, box, point

    async def _click(self, k: int, act: DemoAction) -> tuple[Box, Point, float]:
        """Glide to the target, rest, and click it through X; (box, pointer, input wall time)."""
        loc, box, point = await self._target(k, act)
        await self.human.glide(point.x, point.y)
        await asyncio.sleep(self.opt.hover_pause)
        await self.pointer_filmed()
        px, py = self.human.pointer
        covered = await loc.evaluate(HITS_JS, [px, py])
        if covered:
            raise self._fail(k, act, f"target covered by <{covered}> at ({px}, {py})")
        down = await self.human.click()
        return box, Point(x=down.x, y=down.y), down.at

    async def pointer_filmed(self) -> None:
        """Before a press: wait (briefly) until the grabber has filmed the pointer at rest, so
        the video shows where the press happens even when the machine is slow to grab."""
        moves = self.human.log.moves()
        if self.grab is not None and moves:
            await self.grab.shown_after(moves[-1].at)

    async def _wait_scroll(self, handle: Any, quiet: float = 0.12, limit: float = 1.5) -> list[float]:
        """The scroller's position once smooth scrolling has stopped."""
        pos = await handle.evaluate(SCROLL_POS_JS)
        still_since, deadline = time.monotonic(), time.monotonic() + limit
        while time.monotonic() - still_since < quiet and time.monotonic() < deadline:
            await asyncio.sleep(0.03)
            now = await handle.evaluate(SCROLL_POS_JS)
            if now != pos:
                pos, still_since = now, time.monotonic()
        return [float(v) for v in pos]

    async def _scroll(self, k: int, act: DemoAction) -> tuple[Box | None, Point, float, Point]:
        """Wheel notches through X over the target (or over the document): one notch first
        to learn how far a notch scrolls, then the rest at a human flick's pace."""
        vertical = act.direction in ("up", "down")
        total = act.amount or (self.height if vertical else self.width) // 2
        box: Box | None = None
        if act.target:
            _, box, point = await self._target(k, act)
            spot = [point.x, point.y]
        else:
            spot = await self.page.evaluate(DOCUMENT_SPOT_JS, [*self.human.pointer, vertical])
        await self.human.glide(spot[0], spot[1])
        await asyncio.sleep(self.opt.hover_pause)
        await self.pointer_filmed()
        handle = await self.page.evaluate_handle(SCROLLER_AT_JS, [*self.human.pointer, vertical])
        start = await self._wait_scroll(handle, quiet=0.05)
        first = self.human.x.wheel(act.direction or "down")
        after_one = await self._wait_scroll(handle)
        per_notch = max(abs(after_one[0] - start[0]), abs(after_one[1] - start[1]))
        for _ in range(max(0, round(total / per_notch) - 1) if per_notch > 0 else 0):
            await self.human.pause(0.05, 0.11)
            self.human.x.wheel(act.direction or "down")
        end = await self._wait_scroll(handle)
        moved = Point(x=end[0] - start[0], y=end[1] - start[1])
        if abs(moved.y if vertical else moved.x) <= 5:
            raise self._fail(k, act, f"nothing scrolled {act.direction} (page or container at its end, or not scrollable)")
        return box, Point(x=first.x, y=first.y), first.at, moved

    async def _key_seen(self, armed: Any) -> bool:
        """Whether the page got the keydown `armed` waits for within `KEY_SEEN_WAIT` seconds (a
        page the key navigated away saw it)."""
        seen = asyncio.ensure_future(armed.evaluate("(o) => o.seen"))
        seen.add_done_callback(lambda f: f.cancelled() or f.exception())  # a late outcome is not needed
        done, _ = await asyncio.wait({seen}, timeout=KEY_SEEN_WAIT)
        return bool(done)

    async def _press(self, k: int, act: DemoAction) -> InputEvent:
        """Press the action's key through X until the page sees it: a dropped key leaves the
        input log, the window gets the keyboard focus back and the key is pressed once more."""
        for attempt in range(2):
            armed = await self.page.evaluate_handle(ARM_KEY_JS)
            try:
                event = await self.human.press(act.key or "")
            except Exception as e:  # noqa: BLE001
                raise self._fail(k, act, f"cannot press {act.key!r}: {short_error(e)}") from None
            if await self._key_seen(armed):
                return event
            self.human.log.events.remove(event)
            if attempt == 0 and self.refocus is not None:
                await self.refocus()
                await asyncio.sleep(self.opt.hover_pause)
        raise self._fail(k, act, f"the page saw no {act.key!r} from the X server: the window has no keyboard focus")

    async def perform(self, k: int, act: DemoAction) -> StepTruth:
        """Perform action k (1-based) through X; its truth, `input_at` in page seconds and
        `span` both ends at the wall time it started (the caller makes them video seconds)."""
        start = time.time()
        box: Box | None = None
        scrolled: Point | None = None
        try:
            if act.type in (ActionType.CLICK, ActionType.TYPE):
                box, point, input_wall = await self._click(k, act)
                if act.type is ActionType.TYPE:
                    await self.human.pause(0.25, 0.45)
                    await self.human.type_text(act.text or "")
            elif act.type is ActionType.PRESS:
                if act.target:
                    loc, box, _ = await self._target(k, act)
                    await loc.focus()
                await asyncio.sleep(self.opt.hover_pause)
                event = await self._press(k, act)
                point, input_wall = Point(x=event.x, y=event.y), event.at
            else:
                box, point, input_wall, scrolled = await self._scroll(k, act)
        except RecordError:
            raise
        except Exception as e:  # noqa: BLE001 - any browser error becomes a one-line error
            raise self._fail(k, act, short_error(e)) from None
        step = StepTruth(index=k, selector=act.target, target_box=box, pointer=point, span=(start, start),
                         scroll_delta=scrolled, input_at=self.page_time(input_wall))
        return step
