"""The task recorder: a demo.yaml + a local web app -> a task in the official layout.

The app is served on 127.0.0.1 and driven in headless Chromium by the demo's selectors.
The video is composed offline: every distinct page state (before/after each action, each
typed character, every change during a hold, scroll increments) is a screenshot, and
constant-fps frames hold those states while a drawn pointer glides between targets. The
video time of every action is therefore exact (ground-truth spans), and the recording is
deterministic. The page lives in page time (`page_clock`): it starts at a fixed date and
lives exactly the video's time (timers, frames and animations move with the film); the
page time of every input and checkpoint is recorded for the judge.

Output per task (`DIR/data/<id>/`): video.mp4, checkpoints/step_<k>.png (no pointer, page
settled), checkpoints/probes/<name>/step_<k>.png, assets/asset_NNN.<ext> (original bytes,
first-use order), stitched_assets/stitched_image_<n>.png, metadata.json and the
evaluation-only ground_truth.json; plus the record upserted into DIR/data.jsonl. Nothing
in DIR changes unless every demo recorded fine.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import math
import mimetypes
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from ..errors import IwrError
from ..tools.contact_sheet import make_contact_sheets
from ..tools.local_server import ServedSite, serve_directory
from ..tools.pointer import NullFilm, PointerFilm, PointerShape
from ..tools.video import Mp4Writer, VideoError
from .dataset import task_data_dir, upsert_tasks
from .demo import DemoAction, DemoProbe, DemoSpec, load_demo
from .ground_truth import AssetPlacement, GroundTruth, Probe, StepTruth
from .page_clock import SETTLE_MIN_MS, Activity, PageClock, PageClockPolicy, apply_init_steps
from .task import ActionType, Box, Point, Task

log = structlog.get_logger()

RECORDER_VERSION = "iwr-recorder/2"  # 2: page time follows video time (page_clock)
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".bmp", ".avif"}


class RecordError(IwrError):
    """A demo could not be recorded (the message names the demo, action and selector)."""


@dataclass(frozen=True)
class RecordOptions:
    """Timing and behaviour of a recording (seconds unless noted)."""

    fps: float = 15.0
    action_timeout: float = 5.0  # wait for a target to exist and be visible
    settle_timeout: float = 3.0  # page (and video) time the page may take to stop changing
    settle_min: float = SETTLE_MIN_MS / 1000  # page time always given after an action
    intro: float = 1.0  # initial state shown before the first action
    outro: float = 1.0  # extra time after the last action
    # Settled state shown after each action. IWR-Bench videos run about 35 s for 8.9
    # actions (~3.9 s per action); with the glide, hover and settle this keeps that pace.
    after_action: float = 3.0
    hover_pause: float = 0.2  # pointer rests on the target before clicking
    char_seconds: float = 0.12  # per typed character
    transition_samples: int = 3  # screenshots taken while an action's effect unfolds
    scroll_increments: int = 8
    parallel_pages: int = 3  # the demo and its probes run in separate pages, this many at once
    clock: PageClockPolicy = PageClockPolicy()  # start date, Math.random seed, time zone

# Every image an element uses: <img>, <input type=image>, <video poster>, SVG <image>,
# CSS background/list-style/border images (also on ::before/::after) and link icons.
# `box` is the part drawn inside the viewport (clipped by overflow ancestors), or null.
_SCAN_IMAGES_JS = """() => {
  const vw = innerWidth, vh = innerHeight, out = [];
  const abs = (u) => { try { return new URL(u, document.baseURI).href; } catch (e) { return null; } };
  const cssUrls = (v) => { const r = []; const re = /url\\(\\s*(['"]?)(.*?)\\1\\s*\\)/g; let m;
    while ((m = re.exec(v || ''))) r.push(m[2]); return r; };
  const clip = (el, r) => {
    let x0 = Math.max(0, r.left), y0 = Math.max(0, r.top), x1 = Math.min(vw, r.right), y1 = Math.min(vh, r.bottom);
    for (let a = el.parentElement; a && x0 < x1 && y0 < y1; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') {
        const ar = a.getBoundingClientRect();
        if (cs.overflowX !== 'visible') { x0 = Math.max(x0, ar.left); x1 = Math.min(x1, ar.right); }
        if (cs.overflowY !== 'visible') { y0 = Math.max(y0, ar.top); y1 = Math.min(y1, ar.bottom); }
      }
      if (cs.position === 'fixed') break;
    }
    return (x1 - x0 >= 1 && y1 - y0 >= 1) ? {x: x0, y: y0, width: x1 - x0, height: y1 - y0} : null;
  };
  const drawnBox = (el) => {
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) return null;
    const r = el.getBoundingClientRect();
    return (r.width > 0 && r.height > 0) ? clip(el, r) : null;
  };
  const push = (url, kind, box) => { const u = url && abs(url); if (u && /^https?:/.test(u)) out.push({url: u, kind, box}); };
  for (const l of document.querySelectorAll('link[rel~="icon"], link[rel="apple-touch-icon"]')) push(l.getAttribute('href'), 'icon', null);
  for (const el of document.querySelectorAll('body, body *')) {
    let box;
    const boxOnce = () => (box === undefined ? (box = drawnBox(el)) : box);
    if (el instanceof HTMLImageElement && el.currentSrc) push(el.currentSrc, 'img', el.complete && el.naturalWidth ? boxOnce() : null);
    else if (el instanceof HTMLInputElement && el.type === 'image' && el.src) push(el.src, 'img', boxOnce());
    else if (el instanceof HTMLVideoElement && el.poster) push(el.poster, 'poster', boxOnce());
    else if (el instanceof SVGImageElement) push(el.href.baseVal, 'img', boxOnce());
    const cs = getComputedStyle(el);
    for (const prop of ['backgroundImage', 'listStyleImage', 'borderImageSource'])
      for (const u of cssUrls(cs[prop])) push(u, 'background', boxOnce());
    for (const pseudo of ['::before', '::after']) {
      const ps = getComputedStyle(el, pseudo);
      if (!ps.content || ps.content === 'none' || ps.content === 'normal') continue;
      for (const u of [...cssUrls(ps.backgroundImage), ...cssUrls(ps.content)]) push(u, 'background', boxOnce());
    }
  }
  return out;
}"""

_SCROLL_JS = """(el, [dx, dy]) => {
  const scrollable = (e) => { const cs = getComputedStyle(e);
    const y = /(auto|scroll|overlay)/.test(cs.overflowY) && e.scrollHeight > e.clientHeight;
    const x = /(auto|scroll|overlay)/.test(cs.overflowX) && e.scrollWidth > e.clientWidth;
    return (dy && y) || (dx && x); };
  let t = el;
  while (t && t !== document.body && t !== document.documentElement && !scrollable(t)) t = t.parentElement;
  if (!t || t === document.body || t === document.documentElement) t = document.scrollingElement || document.documentElement;
  const x0 = t.scrollLeft, y0 = t.scrollTop;
  t.scrollBy({left: dx, top: dy, behavior: 'instant'});
  return [t.scrollLeft - x0, t.scrollTop - y0];
}"""

_CURSOR_AT_JS = """([x, y]) => { const el = document.elementFromPoint(x, y); return el ? getComputedStyle(el).cursor : 'auto'; }"""
# two real rendering frames (the page's own requestAnimationFrame follows the paused clock)
_NEXT_FRAME_JS = """() => new Promise(r => { const raf = (window.__iwrReal || {}).raf || requestAnimationFrame;
  raf(() => raf(() => r(true))); })"""


@dataclass
class _ImageUse:
    url: str
    kind: str
    box: Box | None


@dataclass
class _Trajectory:
    """What performing a list of actions produced."""

    checkpoints: list[bytes] = field(default_factory=list)  # PNG of state k
    texts: list[str] = field(default_factory=list)  # visible text of state k (judge's extractor)
    steps: list[StepTruth] = field(default_factory=list)
    image_uses: list[list[_ImageUse]] = field(default_factory=list)  # per checkpoint
    network_images: list[str] = field(default_factory=list)  # in order of first response
    state0_at: float = 0.0  # page seconds when state 0 was captured


@dataclass(frozen=True)
class RecordedTask:
    """One recorded task, written to `dir`."""

    task: Task
    ground_truth: GroundTruth
    dir: Path
    assets: int
    seconds: float  # wall time spent recording

    def summary(self) -> str:
        gt = self.ground_truth
        return (
            f"recorded {self.task.key}: {len(gt.steps)} actions, {len(gt.probes)} probes, "
            f"{gt.duration:.1f} s video, {self.assets} assets ({self.seconds:.1f} s)"
        )


def _decode_image(data: bytes) -> np.ndarray:
    """PNG/JPEG bytes -> RGB array."""
    import cv2

    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _short(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


class _TimeFilm(NullFilm):
    """A film that draws nothing but keeps the demo's frame clock (probes live the same page
    time as the demo)."""

    def __init__(self, fps: float, start: tuple[float, float]) -> None:
        super().__init__(start)
        self.fps = float(fps)


class _Driver:
    """Performs demo actions on one page, filming them (or not, for probes).

    Page time follows the film: before the film emits the frame at video time v, the page's
    clock is moved to `origin + v` (`origin`: page seconds of state 0), and a frame whose page
    changed is filmed anew.
    """

    def __init__(self, page: Any, spec: DemoSpec, film: PointerFilm, options: RecordOptions, label: str, clock: PageClock) -> None:
        self.page, self.spec, self.film, self.opt, self.label = page, spec, film, options, label
        self.clock = clock
        self.origin = 0.0  # page seconds at video time 0 (set when state 0 is captured)
        self.width, self.height = spec.resolution.width, spec.resolution.height
        self.inflight = 0
        self.network_images: list[str] = []
        self.scrolled: Point | None = None  # set by a Scroll action
        self.input_at: float | None = None  # page seconds of the current action's input
        self.filming = not isinstance(film, NullFilm)
        self._seen = -1  # DOM mutation count when the film last took the page's picture
        page.on("request", self._on_request)
        page.on("requestfinished", self._on_done)
        page.on("requestfailed", self._on_done)
        page.on("response", self._on_response)

    # --- page events -----------------------------------------------------------------
    def _on_request(self, request: Any) -> None:
        self.inflight += 1

    def _on_done(self, request: Any) -> None:
        self.inflight = max(0, self.inflight - 1)

    def _on_response(self, response: Any) -> None:
        ctype = (response.headers.get("content-type") or "").lower()
        if response.ok and (response.request.resource_type == "image" or ctype.startswith("image/")):
            if response.url not in self.network_images:
                self.network_images.append(response.url)

    # --- screenshots and settling ----------------------------------------------------
    async def shot(self, settled: bool = False) -> bytes:
        return await self.page.screenshot(type="png", animations="disabled" if settled else "allow", caret="hide")

    async def _network_idle(self) -> None:
        """Wait (real time, page clock paused) until no request is in flight."""
        deadline = time.monotonic() + self.opt.settle_timeout
        while self.inflight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

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
            self.film.show(_decode_image(jpeg))

    async def sample_transition(self) -> None:
        """Film a few frames of the effect unfolding (the page lives them)."""
        await self.hold(self.opt.transition_samples / self.film.fps)

    async def scan_images(self) -> list[_ImageUse]:
        raw = await self.page.evaluate(_SCAN_IMAGES_JS)
        return [_ImageUse(url=r["url"], kind=r["kind"], box=Box(**r["box"]) if r["box"] else None) for r in raw]

    # --- actions ---------------------------------------------------------------------
    def _fail(self, k: int, act: DemoAction, reason: str) -> RecordError:
        sel = f" {act.target!r}" if act.target else ""
        return RecordError(f"{self.label}: action {k} ({act.type.value}{sel}): {reason}")

    async def _locate(self, k: int, act: DemoAction) -> Any:
        assert act.target
        loc = self.page.locator(act.target).first
        try:
            await loc.wait_for(state="visible", timeout=self.opt.action_timeout * 1000)
        except Exception as e:  # noqa: BLE001 - Playwright timeout or bad selector
            try:
                count = await self.page.locator(act.target).count()
            except Exception:  # noqa: BLE001
                raise self._fail(k, act, f"invalid selector ({_short(e)})") from None
            what = "not visible" if count else "not found"
            raise self._fail(k, act, f"selector {what} within {self.opt.action_timeout:g} s") from None
        return loc

    async def _target_point(self, k: int, act: DemoAction, loc: Any) -> tuple[Box, Point]:
        await loc.scroll_into_view_if_needed(timeout=self.opt.action_timeout * 1000)
        bb = await loc.bounding_box()
        if bb is None:
            raise self._fail(k, act, "target has no box")
        box = Box(**bb)
        c = box.center
        return box, Point(x=min(max(c.x, 0.0), self.width - 1.0), y=min(max(c.y, 0.0), self.height - 1.0))

    async def _point_and_click(self, k: int, act: DemoAction, loc: Any) -> tuple[Box, Point]:
        before_scroll = await self.page.evaluate("() => [scrollX, scrollY]")
        box, point = await self._target_point(k, act, loc)
        if await self.page.evaluate("() => [scrollX, scrollY]") != before_scroll:
            await self.film_state()
        self.film.move_to(point.x, point.y)
        await self.sync()
        await self.page.mouse.move(point.x, point.y)
        cursor = await self.page.evaluate(_CURSOR_AT_JS, [point.x, point.y])
        self.film.shape = PointerShape.HAND if cursor == "pointer" else PointerShape.ARROW
        await self.film_state()
        await self.hold(self.opt.hover_pause)
        self.input_at = self.clock.now
        try:
            await loc.click(timeout=self.opt.action_timeout * 1000)
        except Exception as e:  # noqa: BLE001
            raise self._fail(k, act, f"click failed: {_short(e)}") from None
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
            dx, dy = await handle.evaluate(_SCROLL_JS, [0 if vertical else delta, delta if vertical else 0])
            moved[0] += dx
            moved[1] += dy
            await self.page.evaluate(_NEXT_FRAME_JS)
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
                    raise self._fail(k, act, f"cannot press {act.key!r}: {_short(e)}") from None
            else:
                box, point = await self._scroll(k, act)
            await self.sample_transition()
        except RecordError:
            raise
        except Exception as e:  # noqa: BLE001 - any browser error becomes a one-line error
            raise self._fail(k, act, _short(e)) from None
        return StepTruth(index=k, selector=act.target, target_box=box, pointer=point, span=(start, start),
                         scroll_delta=self.scrolled, input_at=self.input_at)


async def new_recording_page(browser: Any, spec: DemoSpec, site: ServedSite, options: RecordOptions = RecordOptions()) -> tuple[Any, Any]:
    """A fresh context and page as the recorder uses them (the judge may reuse this).

    Viewport at the demo's resolution, device scale 1, light scheme; only the local server
    is reachable; the page clock of `options.clock` installed (paused at its start date,
    seeded `Math.random`, its time zone and locale): start a `PageClock` on the page before
    loading it. Returns (context, page); close the context.
    """
    context = await browser.new_context(
        viewport={"width": spec.resolution.width, "height": spec.resolution.height},
        device_scale_factor=1,
        color_scheme="light",
        service_workers="block",
        **options.clock.context_options(),
    )

    async def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(site.base_url) or url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            await route.abort()

    await context.route("**/*", guard)
    await apply_init_steps(context, options.clock.init_steps())
    page = await context.new_page()
    return context, page


async def _open_app(driver: _Driver, site: ServedSite) -> bytes:
    url = site.url(urllib.parse.quote(driver.spec.entry))
    await driver.clock.start()
    try:
        response = await driver.page.goto(url, wait_until="load", timeout=30_000)
    except Exception as e:  # noqa: BLE001
        raise RecordError(f"{driver.label}: cannot open {driver.spec.entry}: {_short(e)}") from None
    if response is not None and not response.ok:
        raise RecordError(f"{driver.label}: opening {driver.spec.entry} gave HTTP {response.status}")
    await driver.page.evaluate("() => document.fonts.ready.then(() => true)")
    shot = await driver.settle(film=False)
    driver.origin = driver.clock.now  # video time 0 is state 0
    return shot


_PAGE_STATE_JS = Path(__file__).parent / "judge" / "page_state.js"


async def _visible_text(driver: _Driver) -> str:
    """The viewport's visible text, extracted exactly as the judge extracts a candidate's."""
    return await driver.page.evaluate(_PAGE_STATE_JS.read_text(), {"op": "text"})


async def _run_trajectory(driver: _Driver, site: ServedSite, actions: list[DemoAction]) -> _Trajectory:
    """Open the app, perform `actions`, and collect checkpoints, truths and image uses."""
    out = _Trajectory()
    film = driver.film
    first = await _open_app(driver, site)
    out.state0_at = driver.clock.now
    out.checkpoints.append(first)
    out.texts.append(await _visible_text(driver))
    out.image_uses.append(await driver.scan_images())
    if driver.filming:
        film.show(_decode_image(first))
    await driver.hold(driver.opt.intro)
    for k, act in enumerate(actions, start=1):
        step = await driver.perform(k, act)
        settle_from = film.time
        settled = await driver.settle()
        step.checkpoint_at = driver.clock.now
        out.checkpoints.append(settled)
        out.texts.append(await _visible_text(driver))
        out.image_uses.append(await driver.scan_images())
        if driver.filming:
            film.show(_decode_image(settled))
        # the settled state is held so that settling and holding last `after_action` together
        await driver.hold(max(1 / film.fps, driver.opt.after_action - (film.time - settle_from)))
        step.span = (step.span[0], film.time)
        out.steps.append(step)
    await driver.hold(driver.opt.outro)
    out.network_images = list(driver.network_images)
    return out


def _asset_order(trajectories: list[_Trajectory]) -> list[str]:
    """Image URLs in first-use order: DOM order per checkpoint, then network-only ones."""
    order: list[str] = []
    seen: set[str] = set()
    for traj in trajectories:
        for uses in traj.image_uses:
            for use in uses:
                if use.url not in seen:
                    seen.add(use.url)
                    order.append(use.url)
        for url in sorted(traj.network_images):
            if url not in seen:
                seen.add(url)
                order.append(url)
    return order


def _extension(url: str, content_type: str, body: bytes) -> str:
    ext = Path(urllib.parse.urlparse(url).path).suffix.lower()
    if ext in IMAGE_EXTENSIONS:
        return ".jpg" if ext == ".jpeg" else ext
    guessed = mimetypes.guess_extension(content_type.split(";")[0].strip()) if content_type else None
    if guessed in IMAGE_EXTENSIONS:
        return guessed
    if body.startswith(b"\x89PNG"):
        return ".png"
    if body.startswith(b"\xff\xd8"):
        return ".jpg"
    if body[:6] in (b"GIF87a", b"GIF89a"):
        return ".gif"
    return ".bin"


def _original_name(url: str, site: ServedSite) -> str:
    """The app-relative path of a served URL (kept only in ground_truth.json)."""
    if url.startswith(site.base_url):
        return urllib.parse.unquote(url[len(site.base_url) :].split("?", 1)[0].split("#", 1)[0])
    return url


async def _save_assets(context: Any, urls: list[str], site: ServedSite, dest: Path, label: str) -> dict[str, str]:
    """Fetch each image once more from the app's server (same bytes) and store it anonymised.

    Returns url -> anonymous file name. URLs that cannot be fetched are skipped (logged).
    """
    dest.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    for url in urls:
        response = await context.request.get(url, fail_on_status_code=False)
        if not response.ok:
            log.warning("asset not fetched", demo=label, status=response.status)
            continue
        body = await response.body()
        name = f"asset_{len(names) + 1:03d}{_extension(url, response.headers.get('content-type', ''), body)}"
        (dest / name).write_bytes(body)
        names[url] = name
    return names


def _placements(uses: list[_ImageUse], names: dict[str, str]) -> list[AssetPlacement]:
    out: list[AssetPlacement] = []
    for use in uses:
        if use.box is not None and use.url in names:
            out.append(AssetPlacement(asset=names[use.url], box=use.box))
    return out


def _write_checkpoints(folder: Path, pngs: list[bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for k, png in enumerate(pngs):
        (folder / f"step_{k}.png").write_bytes(png)


async def record_demo(browser: Any, spec: DemoSpec, task_dir: Path, options: RecordOptions = RecordOptions()) -> RecordedTask:
    """Record one demo into `task_dir` (created; must not exist) with an open browser."""
    started = time.monotonic()
    label = str(spec.path or spec.id)
    res = spec.resolution
    if res.width % 2 or res.height % 2:
        raise RecordError(f"{label}: resolution {res} must have even width and height (H.264)")
    task_dir.mkdir(parents=True)
    start_pointer = (res.width * 0.5, res.height * 0.6)
    with serve_directory(spec.app_dir) as site:
        context, page = await new_recording_page(browser, spec, site, options)
        try:
            limit = asyncio.Semaphore(max(1, options.parallel_pages))

            async def film_demo() -> tuple[_Trajectory, float]:
                """The demo trajectory and the video's duration."""
                async with limit:
                    writer = Mp4Writer(task_dir / "video.mp4", res.width, res.height, options.fps)
                    try:
                        film = PointerFilm(writer.write, options.fps, start_pointer)
                        driver = _Driver(page, spec, film, options, label, PageClock(page, 1000 / options.fps))
                        traj = await _run_trajectory(driver, site, spec.actions)
                    except BaseException:
                        writer.abort()
                        raise
                    await asyncio.to_thread(writer.close)
                    return traj, film.time

            async def run_probe(probe: DemoProbe) -> _Trajectory:
                async with limit:
                    pcontext, ppage = await new_recording_page(browser, spec, site, options)
                    try:
                        pdriver = _Driver(ppage, spec, _TimeFilm(options.fps, start_pointer), options, f"{label} probe {probe.name!r}",
                                          PageClock(ppage, 1000 / options.fps))
                        return await _run_trajectory(pdriver, site, probe.actions)
                    finally:
                        await pcontext.close()

            # the demo and the probes use separate pages, so they can run side by side
            async with asyncio.TaskGroup() as group:
                demo_job = group.create_task(film_demo())
                probe_jobs = [group.create_task(run_probe(p)) for p in spec.probes]
            demo, duration = demo_job.result()
            probe_runs = [(p.name, job.result()) for p, job in zip(spec.probes, probe_jobs)]
            fps = options.fps
            urls = _asset_order([demo] + [t for _, t in probe_runs])
            names = await _save_assets(context, urls, site, task_dir / "assets", label)
        except BaseExceptionGroup as group_error:  # unwrap: report the first real error
            first = group_error.exceptions[0]
            while isinstance(first, BaseExceptionGroup):
                first = first.exceptions[0]
            raise first from None
        finally:
            await context.close()

    _write_checkpoints(task_dir / "checkpoints", demo.checkpoints)
    for name, traj in probe_runs:
        _write_checkpoints(task_dir / "checkpoints" / "probes" / name, traj.checkpoints)
    make_contact_sheets(sorted((task_dir / "assets").iterdir()), task_dir / "stitched_assets")

    environment = f"{RECORDER_VERSION}; headless Chromium {browser.version}; device scale 1"
    task = Task(
        id=spec.id,
        classification=spec.classification,
        recording_details={"resolution": str(res), "environment": environment},
        source_website=spec.source_website or f"local://{spec.id}",
        action_sequence=[a.to_action() for a in spec.actions],
    )
    gt = GroundTruth(
        task_id=spec.id,
        fps=fps,
        duration=duration,
        steps=demo.steps,
        checkpoint_texts=dict(enumerate(demo.texts)),
        placements={k: _placements(uses, names) for k, uses in enumerate(demo.image_uses)},
        asset_names={anon: _original_name(url, site) for url, anon in names.items()},
        probes=[
            Probe(
                name=p.name,
                actions=[a.to_action() for a in p.actions],
                steps=run.steps,
                checkpoint_texts=dict(enumerate(run.texts)),
                state0_at=run.state0_at,
            )
            for p, (_, run) in zip(spec.probes, probe_runs)
        ],
        page_clock=options.clock,
        state0_at=demo.state0_at,
    )
    gt.save(task_dir / "ground_truth.json")
    metadata = {
        "id": spec.id,
        "title": spec.title,
        "recording_details": task.recording_details,
        "video": {"fps": fps, "frames": round(duration * fps), "duration": round(duration, 3)},
        "actions": len(spec.actions),
        "recorder": RECORDER_VERSION,
        # what the page experienced: its start date and seed; page time followed video time
        "page_clock": options.clock.model_dump(mode="json"),
    }
    (task_dir / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    return RecordedTask(task=task, ground_truth=gt, dir=task_dir, assets=len(names), seconds=time.monotonic() - started)


async def _record_all(specs: list[DemoSpec], data_dir: Path, options: RecordOptions, progress: Callable[[str], None]) -> list[RecordedTask]:
    from ..tools.browser import launch_browser

    done: list[RecordedTask] = []
    async with launch_browser() as browser:
        for spec in specs:
            rec = await record_demo(browser, spec, data_dir / spec.id, options)
            progress(rec.summary())
            done.append(rec)
    return done


def _commit(staging_data: Path, out: Path, recorded: list[RecordedTask]) -> list[Task]:
    """Move the staged task folders into `out/data/` and upsert `out/data.jsonl`."""
    jsonl = out / "data.jsonl"
    final_data = task_data_dir(jsonl)
    final_data.mkdir(parents=True, exist_ok=True)
    for rec in recorded:
        target = final_data / rec.task.key
        if target.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".old-{rec.task.key}-", dir=final_data))
            target.rename(trash / "task")
            shutil.move(str(staging_data / rec.task.key), str(target))
            shutil.rmtree(trash, ignore_errors=True)
        else:
            shutil.move(str(staging_data / rec.task.key), str(target))
    return upsert_tasks(jsonl, [rec.task for rec in recorded])


def _run_to_completion(coro: Any) -> Any:
    """Run a coroutine from sync code, also when the caller is itself inside an event loop
    (e.g. the runner resolving `bundled` tasks): then it runs on a loop of its own in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="iwr-record") as pool:
        return pool.submit(asyncio.run, coro).result()


def record_demos(demos: list[Path | str], out: Path | str, options: RecordOptions = RecordOptions(), progress: Callable[[str], None] = lambda line: None) -> list[Task]:
    """Record every demo and add the tasks to `out/data.jsonl` (all or nothing).

    Everything is recorded into a staging folder first; `out` is touched only when all
    demos succeeded. Raises `RecordError`/`DemoError` with a one-line message.
    """
    out = Path(out)
    specs = [load_demo(p) for p in demos]
    ids = [s.id for s in specs]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise RecordError(f"several demos share the id {', '.join(dups)}")
    if out.exists() and not out.is_dir():
        raise RecordError(f"{out} exists and is not a folder")
    parent = out.parent if out.parent.is_dir() else None
    staging = Path(tempfile.mkdtemp(prefix=".iwr-record-", dir=parent))
    try:
        try:
            recorded = _run_to_completion(_record_all(specs, staging / "data", options, progress))
        except VideoError as e:
            raise RecordError(str(e)) from None
        tasks = _commit(staging / "data", out, recorded)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    wanted = set(ids)
    return [t for t in tasks if t.key in wanted]
