"""`iwr record --capture screen`: a demo filmed by a real screen grabber.

A private Xvfb screen at the demo's resolution holds a kiosk Chromium window that fills it
(viewport = screen, checked with a real pointer event); the demo's actions are sent through
the X server at a human pace (`x_input`); ffmpeg's x11grab films the screen with the X cursor
(`screen_grab`). Playwright reads the page over CDP for target boxes, settling, checkpoints,
visible text and images, but never sends input. The task folder is the composed recorder's
(`record.write_task`): times in ground_truth.json come from the input log (wall clock minus
the first frame's stamp), boxes from the page. Probes are held out of the video, so they are
performed headless as in composed mode. Also written: `input_log.json`, every X event
(video seconds, screen pixels), evaluation-only like ground_truth.json.

Xvfb, Chromium and ffmpeg are killed on the way out, also after an error.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from ...tools.local_server import ServedSite, serve_directory
from ...tools.video import video_info
from ..demo import DemoSpec
from ..page_clock import apply_init_steps
from .assets import asset_order, save_assets
from .options import RECORDER_VERSION, RecordError, RecordOptions, short_error
from .probes import record_probe, start_pointer_of
from .screen_browser import ScreenPage, headed_chromium
from .screen_driver import ScreenDriver
from .screen_grab import GrabStats, ScreenGrab, grab_stats
from .task_files import RecordedTask, TaskFilm, write_task
from .trajectory import Trajectory, local_only, new_recording_page
from .x_input import HumanInput, InputLog, XInput, XInputError
from .x_server import XDisplay, require_screen_tools, xvfb

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserType

log = structlog.get_logger()


async def prepare_page(screen: ScreenPage, site: ServedSite, options: RecordOptions) -> Any:
    """Only the app's server reachable; the policy's start date (clock running in real time),
    seeded random, time zone, locale and light scheme. Returns the CDP session holding the
    overrides (keep it open)."""
    await local_only(screen.context, site)
    await apply_init_steps(screen.context, options.clock.init_steps(paused=False))
    cdp = await screen.context.new_cdp_session(screen.page)
    await cdp.send("Emulation.setTimezoneOverride", {"timezoneId": options.clock.timezone})
    await cdp.send("Emulation.setLocaleOverride", {"locale": options.clock.locale})
    await screen.page.emulate_media(color_scheme="light")
    return cdp


async def _until(wall: float) -> None:
    await asyncio.sleep(max(0.0, wall - time.time()))


async def _keep_state(driver: ScreenDriver, out: Trajectory) -> None:
    """State k: its picture, visible text and image uses."""
    out.checkpoints.append(await driver.screenshot())
    out.texts.append(await driver.visible_text())
    out.image_uses.append(await driver.scan_images())


async def run_on_screen(driver: ScreenDriver, display: XDisplay, site: ServedSite, video: Path,
                        options: RecordOptions) -> tuple[Trajectory, ScreenGrab]:
    """Open the app, film it with the grabber while performing the demo, and collect the
    trajectory (span and times in video/page seconds). The grabber is stopped on return."""
    spec, out = driver.spec, Trajectory()
    try:
        response = await driver.page.goto(site.url(urllib.parse.quote(spec.entry)), wait_until="load", timeout=30_000)
    except Exception as e:  # noqa: BLE001
        raise RecordError(f"{driver.label}: cannot open {spec.entry}: {short_error(e)}") from None
    if response is not None and not response.ok:
        raise RecordError(f"{driver.label}: opening {spec.entry} gave HTTP {response.status}")
    await driver.page.evaluate("() => document.fonts.ready.then(() => true)")
    await driver.sync_page_time()
    driver.human.x.move(*start_pointer_of(spec))
    await driver.settle()
    await _keep_state(driver, out)
    driver.human.log.events.clear()  # the log starts with the video
    grab = ScreenGrab(display, video, options.fps)
    driver.grab = grab
    try:
        out.state0_at = driver.page_time(grab.start)
        await _until(grab.start + options.intro)
        for k, act in enumerate(spec.actions, start=1):
            step = await driver.perform(k, act)
            settle_from = time.time()
            await driver.settle()
            step.checkpoint_at = driver.page_time(time.time())
            await _keep_state(driver, out)
            # settling and holding the settled state last `after_action` together
            await _until(settle_from + max(1 / options.fps, options.after_action))
            step.span = (grab.video_time(step.span[0]), grab.video_time(time.time()))
            out.steps.append(step)
        await asyncio.sleep(options.outro)
        grab.stop()
    except BaseException:
        grab.abort()
        raise
    out.network_images = list(driver.network_images)
    return out, grab


def write_input_log(path: Path, log: InputLog, grab: ScreenGrab, grabs: list[float]) -> None:
    """The X events and the screen grabs in video seconds (evaluation-only, next to
    ground_truth.json)."""
    events = [{"t": round(grab.video_time(e.at), 4), "kind": e.kind, "x": e.x, "y": e.y, "detail": e.detail}
              for e in log.events]
    path.write_text(json.dumps({"fps": grab.fps, "first_frame_wall": grab.start, "events": events,
                                "grabs": [round(t, 3) for t in grabs]}) + "\n")


def note_grab_quality(task_dir: Path, stats: GrabStats, frames: int, label: str) -> None:
    """Add the grabber's figures to metadata.json; warn when many frames repeat an old grab."""
    path = task_dir / "metadata.json"
    metadata = json.loads(path.read_text())
    metadata["screen_capture"] = stats.to_json()
    path.write_text(json.dumps(metadata, indent=2) + "\n")
    if stats.stale_frames > 0.05 * frames or stats.longest_gap > 0.5:
        log.warning("screen grabber fell behind: the machine was too busy", demo=label,
                    stale_frames=f"{stats.stale_frames}/{frames}", longest_gap=round(stats.longest_gap, 2))


async def film_on_screen(browser_type: BrowserType, spec: DemoSpec, site: ServedSite, task_dir: Path,
                         options: RecordOptions, label: str) -> tuple[Trajectory, float, str, GrabStats]:
    """Film the demo on a private X screen into task_dir/video.mp4 (+ input_log.json);
    (trajectory, video seconds, Chromium version, how faithfully the grabber followed)."""
    res = spec.resolution
    with xvfb(res.width, res.height) as display:
        try:
            x = XInput(display.name)
        except XInputError as e:
            raise RecordError(str(e)) from None
        try:
            async with headed_chromium(display, browser_type, x) as screen:
                cdp = await prepare_page(screen, site, options)
                human = HumanInput(x, seed=options.input_seed)
                driver = ScreenDriver(screen.page, spec, human, options, label, refocus=screen.refocus)
                demo, grab = await run_on_screen(driver, display, site, task_dir / "video.mp4", options)
                await cdp.detach()
                version = screen.version
        finally:
            x.close()
    try:
        grabs = grab.grab_times()
    finally:
        grab.cleanup()
    write_input_log(task_dir / "input_log.json", human.log, grab, grabs)
    info = video_info(task_dir / "video.mp4")
    return demo, info.duration, version, grab_stats(grabs, info.frame_count, options.fps)


async def record_screen_demo(browser: Browser, spec: DemoSpec, task_dir: Path,
                             options: RecordOptions = RecordOptions()) -> RecordedTask:
    """Record one demo by screen capture into `task_dir` (created; must not exist). `browser`
    is the headless one: it performs the probes and fetches the assets."""
    started = time.monotonic()
    label = str(spec.path or spec.id)
    res = spec.resolution
    if res.width % 2 or res.height % 2:
        raise RecordError(f"{label}: resolution {res} must have even width and height (H.264)")
    require_screen_tools()
    task_dir.mkdir(parents=True)
    with serve_directory(spec.app_dir) as site:
        demo, duration, version, stats = await film_on_screen(browser.browser_type, spec, site, task_dir, options, label)
        probe_runs = [(p.name, await record_probe(browser, spec, site, options, p, label)) for p in spec.probes]
        context, _ = await new_recording_page(browser, spec, site, options)
        try:
            urls = asset_order([demo] + [t for _, t in probe_runs])
            names = await save_assets(context, urls, site, task_dir / "assets", label)
        finally:
            await context.close()
    environment = (f"{RECORDER_VERSION}; screen capture: Chromium {version} (headed, kiosk) on Xvfb {res}, "
                   f"input through XTEST, ffmpeg x11grab {options.fps:g} fps with the X cursor; device scale 1")
    film = TaskFilm(demo, duration, options.fps, environment)
    task, gt = write_task(spec, task_dir, film, probe_runs, names, site, options)
    note_grab_quality(task_dir, stats, round(duration * options.fps), label)
    return RecordedTask(task=task, ground_truth=gt, dir=task_dir, assets=len(names), seconds=time.monotonic() - started)
