"""The recorder's hands: performs demo actions on one page, filming them (or not, for probes)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from ...tools.pointer import NullFilm, PointerFilm, PointerShape
from ..demo import DemoAction, DemoSpec
from ..ground_truth import StepTruth
from ..page_clock import Activity, PageClock
from ..page_traffic import PageTraffic
from ..task import ActionType, Box, Point
from .options import RecordError, RecordOptions, short_error
from .page_scripts import CURSOR_AT_JS, NEXT_FRAME_JS, SCAN_IMAGES_JS, SCROLL_JS

if TYPE_CHECKING:
    from playwright.async_api import Page


@dataclass
class ImageUse:
    """An image an element uses, and the part of it drawn in the viewport (None: not drawn)."""

    url: str
    kind: str
    box: Box | None


def decode_image(data: bytes) -> np.ndarray:
    """PNG/JPEG bytes -> RGB array."""
    import cv2

    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("not a PNG or JPEG image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class TimeFilm(NullFilm):
    """A film that draws nothing but keeps the demo's frame clock (probes live the same page
    time as the demo)."""

    def __init__(self, fps: float, start: tuple[float, float]) -> None:
        super().__init__(start)
        self.fps = float(fps)



async def scan_images(page: Page) -> list[ImageUse]:
    """Every image the page shows (img elements, CSS backgrounds, ...) with its box."""
    raw = await page.evaluate(SCAN_IMAGES_JS)
    return [ImageUse(url=r["url"], kind=r["kind"], box=Box(**r["box"]) if r["box"] else None) for r in raw]


async def locate(page: Page, act: DemoAction, opt: RecordOptions, fail: Callable[[str], RecordError]) -> Any:
    """The locator of the action's target once it is visible; else `fail` says why (not found,
    not visible, invalid selector)."""
    loc = page.locator(act.target or "").first
    try:
        await loc.wait_for(state="visible", timeout=opt.action_timeout * 1000)
    except Exception as e:  # noqa: BLE001 - Playwright timeout or bad selector
        try:
            count = await page.locator(act.target or "").count()
        except Exception:  # noqa: BLE001
            raise fail(f"invalid selector ({short_error(e)})") from None
        what = "not visible" if count else "not found"
        raise fail(f"selector {what} within {opt.action_timeout:g} s") from None
    return loc


async def point_in_view(loc: Any, opt: RecordOptions, width: int, height: int,
                        fail: Callable[[str], RecordError]) -> tuple[Box, Point]:
    """Scroll the target into view: its box and the point to act on (its centre, kept inside
    the width x height viewport)."""
    await loc.scroll_into_view_if_needed(timeout=opt.operation_timeout * 1000)
    bb = await loc.bounding_box()
    if bb is None:
        raise fail("target has no box")
    box = Box(**bb)
    c = box.center
    return box, Point(x=min(max(c.x, 0.0), width - 1.0), y=min(max(c.y, 0.0), height - 1.0))


def action_error(label: str, k: int, act: DemoAction, reason: str) -> RecordError:
    """The error of demo action k that could not be performed, naming its target."""
    sel = f" {act.target!r}" if act.target else ""
    return RecordError(f"{label}: action {k} ({act.type.value}{sel}): {reason}")

class Driver:
    """Performs demo actions on one page, filming them (or not, for probes).

    Page time follows the film: before the film emits the frame at video time v, the page's
    clock is moved to `origin + v` (`origin`: page seconds of state 0), and a frame whose page
    changed is filmed anew.
    """

    def __init__(self, page: Page, spec: DemoSpec, film: PointerFilm, options: RecordOptions, label: str,
                 clock: PageClock) -> None:
        self.page, self.spec, self.film, self.opt, self.label = page, spec, film, options, label
        self.clock = clock
        self.origin = 0.0  # page seconds at video time 0 (set when state 0 is captured)
        self.width, self.height = spec.resolution.width, spec.resolution.height
        self.traffic = PageTraffic(page)
        self.scrolled: Point | None = None  # set by a Scroll action
        self.input_at: float | None = None  # page seconds of the current action's input
        self.filming = not isinstance(film, NullFilm)
        self._seen = -1  # DOM mutation count when the film last took the page's picture

    # --- what the page fetched ---------------------------------------------------------
    @property
    def network_images(self) -> list[str]:
        """Image URLs the page received, in order of first response."""
        return self.traffic.network_images

    # --- screenshots and settling ----------------------------------------------------
    async def shot(self, settled: bool = False) -> bytes:
        return await self.page.screenshot(type="png", animations="disabled" if settled else "allow", caret="hide")

    async def _network_idle(self) -> None:
        """Wait (real time, page clock paused) until no request is in flight."""
        await self.traffic.idle(self.opt.settle_timeout)

    async def _frame(self, act: Activity | None = None) -> None:
        """Emit one frame at the page's current time, filming the page anew when it changed."""
        if self.filming:
            act = act or await self.clock.activity()
            if act.mutations != self._seen or act.animations or act.drawn:
                await self.film_state()
        self.film.hold(1 / self.film.fps)

    async def sync(self) -> Activity:
        """Move the page's clock to the film's time (after a glide)."""
        return await self.clock.advance_to(self.origin + self.film.time)

    async def hold(self, seconds: float) -> None:
        """Hold for `seconds` of video, the page living them frame by frame (filmed); frames
        before the page's next timer or animation frame are held at once."""
        n = max(1, round(seconds * self.film.fps))
        if not self.filming:  # nothing to film: one jump (timers still fire in order)
            self.film.hold(n / self.film.fps)
            await self.sync()
            return
        end = self.film.frames + n
        while self.film.frames < end:
            act = await self.sync()
            await self._frame(act)
            left = end - self.film.frames
            if left > 0 and act.wait != 0 and not (act.animations or act.drawn):
                # the page stays as it is until its next timer fires (or for good): hold it
                skip = left if act.wait is None else min(left, math.ceil(act.wait * self.film.fps / 1000 - 1e-9) - 1)
                if skip > 0:
                    self.film.hold(skip / self.film.fps)
        await self.sync()

    async def settle(self, film: bool = True) -> bytes:
        """Let the page live, filmed (unless not `film`: the page's first state), until it
        is quiet in page time (see `PageClock.settle`), then return a PNG of it.

        Requests in flight are awaited in real time. Pages that draw without DOM changes
        (canvas, video) must also give two identical screenshots a frame apart.
        """
        await self._network_idle()

        async def frame(act: Activity, frames: int) -> None:
            await self._network_idle()
            if film:
                await self._frame(act)
                if frames > 1:  # the page cannot change before then
                    self.film.hold((frames - 1) / self.film.fps)

        act = await self.clock.settle(self.opt.settle_timeout, min_seconds=self.opt.settle_min, on_frame=frame)
        previous = await self.shot(settled=True)
        for _ in range(round(self.opt.settle_timeout * self.film.fps) if act.drawn else 0):
            if film:
                await self._frame(act)
            act = await (self.sync() if film else self.clock.advance(round(self.clock.frame_ms)))
            current = await self.shot(settled=True)
            if current == previous:
                break
            previous = current
        return previous

    async def film_state(self) -> None:
        """Make the page as it is now the film's current state (no-op when not filming)."""
        if self.filming:
            self._seen = (await self.clock.activity()).mutations
            jpeg = await self.page.screenshot(type="jpeg", quality=92, caret="hide")
            self.film.show(decode_image(jpeg))

    async def sample_transition(self) -> None:
        """Film a few frames of the effect unfolding (the page lives them)."""
        await self.hold(self.opt.transition_samples / self.film.fps)

    async def scan_images(self) -> list[ImageUse]:
        return await scan_images(self.page)

    # --- actions ---------------------------------------------------------------------
    def _fail(self, k: int, act: DemoAction, reason: str) -> RecordError:
        return action_error(self.label, k, act, reason)

    async def _locate(self, k: int, act: DemoAction) -> Any:
        assert act.target
        return await locate(self.page, act, self.opt, partial(self._fail, k, act))

    async def _target_point(self, k: int, act: DemoAction, loc: Any) -> tuple[Box, Point]:
        return await point_in_view(loc, self.opt, self.width, self.height, partial(self._fail, k, act))

    async def _point_and_click(self, k: int, act: DemoAction, loc: Any) -> tuple[Box, Point]:
        before_scroll = await self.page.evaluate("() => [scrollX, scrollY]")
        box, point = await self._target_point(k, act, loc)
        if await self.page.evaluate("() => [scrollX, scrollY]") != before_scroll:
            await self.film_state()
        self.film.move_to(point.x, point.y)
        await self.sync()
        await self.page.mouse.move(point.x, point.y)
        cursor = await self.page.evaluate(CURSOR_AT_JS, [point.x, point.y])
        self.film.shape = PointerShape.HAND if cursor == "pointer" else PointerShape.ARROW
        await self.film_state()
        await self.hold(self.opt.hover_pause)
        self.input_at = self.clock.now
        try:
            await loc.click(timeout=self.opt.operation_timeout * 1000)
        except Exception as e:  # noqa: BLE001
            raise self._fail(k, act, f"click failed: {short_error(e)}") from None
        self.film.click()
        return box, point

    async def _scroll(self, k: int, act: DemoAction) -> tuple[Box | None, Point]:
        vertical = act.direction in ("up", "down")
        sign = -1 if act.direction in ("up", "left") else 1
        total = act.amount or (self.height if vertical else self.width) // 2
        box: Box | None = None
        if act.target:
            loc = await self._locate(k, act)
            box, point = await self._target_point(k, act, loc)
            self.film.move_to(point.x, point.y)
            await self.sync()
            await self.page.mouse.move(point.x, point.y)
            handle = await loc.element_handle()
        else:
            handle = await self.page.evaluate_handle("() => document.scrollingElement || document.documentElement")
        moved, done = [0.0, 0.0], 0
        n = max(1, self.opt.scroll_increments)
        self.input_at = self.clock.now
        for i in range(1, n + 1):
            target = round(total * (1 - (1 - i / n) ** 2))  # ease-out
            delta = (target - done) * sign
            done = target
            dx, dy = await handle.evaluate(SCROLL_JS, [0 if vertical else delta, delta if vertical else 0])
            moved[0] += dx
            moved[1] += dy
            await self.page.evaluate(NEXT_FRAME_JS)
            await self.film_state()
            await self.hold(1 / self.film.fps)
        if abs(moved[1] if vertical else moved[0]) <= 5:
            raise self._fail(k, act, f"nothing scrolled {act.direction} (page or container at its end, or not scrollable)")
        self.scrolled = Point(x=moved[0], y=moved[1])
        return box, Point(x=self.film.x, y=self.film.y)

    async def perform(self, k: int, act: DemoAction) -> StepTruth:
        """Perform action k (1-based), film it, and return its truth (span ends settled)."""
        start = self.film.time
        box: Box | None = None
        point: Point | None = None
        self.scrolled = None
        self.input_at = None
        try:
            if act.type in (ActionType.CLICK, ActionType.TYPE):
                loc = await self._locate(k, act)
                box, point = await self._point_and_click(k, act, loc)
                if act.type is ActionType.TYPE:
                    await self.sample_transition()
                    for ch in act.text or "":
                        await self.page.keyboard.type(ch)
                        await self.film_state()
                        await self.hold(self.opt.char_seconds)
            elif act.type is ActionType.PRESS:
                if act.target:
                    loc = await self._locate(k, act)
                    bb = await loc.bounding_box()
                    box = Box(**bb) if bb else None
                    await loc.focus()
                point = Point(x=self.film.x, y=self.film.y)
                await self.hold(self.opt.hover_pause)
                self.input_at = self.clock.now
                try:
                    await self.page.keyboard.press(act.key or "")
                except Exception as e:  # noqa: BLE001
                    raise self._fail(k, act, f"cannot press {act.key!r}: {short_error(e)}") from None
            else:
                box, point = await self._scroll(k, act)
            await self.sample_transition()
        except RecordError:
            raise
        except Exception as e:  # noqa: BLE001 - any browser error becomes a one-line error
            raise self._fail(k, act, short_error(e)) from None
        return StepTruth(index=k, selector=act.target, target_box=box, pointer=point, span=(start, start),
                         scroll_delta=self.scrolled, input_at=self.input_at)
