"""One trajectory recorded on a fresh page: open the app, perform the actions, collect each state."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...tools.local_server import ServedSite
from ..demo import DemoAction, DemoSpec
from ..ground_truth import StepTruth
from ..page_clock import apply_init_steps
from .driver import Driver, ImageUse, decode_image
from .options import RecordError, RecordOptions, short_error

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext


@dataclass
class Trajectory:
    """What performing a list of actions produced."""

    checkpoints: list[bytes] = field(default_factory=list)  # PNG of state k
    texts: list[str] = field(default_factory=list)  # visible text of state k (judge's extractor)
    steps: list[StepTruth] = field(default_factory=list)
    image_uses: list[list[ImageUse]] = field(default_factory=list)  # per checkpoint
    network_images: list[str] = field(default_factory=list)  # in order of first response
    state0_at: float = 0.0  # page seconds when state 0 was captured


async def local_only(context: BrowserContext, site: ServedSite) -> None:
    """Abort every request of `context` except to the app's own server (and data:/blob: URLs)."""

    async def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith((site.base_url, "data:", "blob:")):
            await route.continue_()
        else:
            await route.abort()

    await context.route("**/*", guard)


async def new_recording_page(browser: Browser, spec: DemoSpec, site: ServedSite,
                             options: RecordOptions = RecordOptions()) -> tuple[Any, Any]:
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
        timezone_id=options.clock.timezone,
        locale=options.clock.locale,
    )

    await local_only(context, site)
    await apply_init_steps(context, options.clock.init_steps())
    page = await context.new_page()
    return context, page


async def open_app(driver: Driver, site: ServedSite) -> bytes:
    url = site.url(urllib.parse.quote(driver.spec.entry))
    await driver.clock.start()
    try:
        response = await driver.page.goto(url, wait_until="load", timeout=30_000)
    except Exception as e:  # noqa: BLE001
        raise RecordError(f"{driver.label}: cannot open {driver.spec.entry}: {short_error(e)}") from None
    if response is not None and not response.ok:
        raise RecordError(f"{driver.label}: opening {driver.spec.entry} gave HTTP {response.status}")
    await driver.page.evaluate("() => document.fonts.ready.then(() => true)")
    shot = await driver.settle(film=False)
    driver.origin = driver.clock.now  # video time 0 is state 0
    return shot


PAGE_STATE_JS = Path(__file__).resolve().parent.parent / "judge" / "page_state.js"


async def visible_text(driver: Driver) -> str:
    """The viewport's visible text, extracted exactly as the judge extracts a candidate's."""
    return await driver.page.evaluate(PAGE_STATE_JS.read_text(), {"op": "text"})


async def run_trajectory(driver: Driver, site: ServedSite, actions: list[DemoAction]) -> Trajectory:
    """Open the app, perform `actions`, and collect checkpoints, truths and image uses."""
    out = Trajectory()
    film = driver.film

    async def keep_state(png: bytes) -> None:
        """State k: its picture, visible text and image uses; the film shows it."""
        out.checkpoints.append(png)
        out.texts.append(await visible_text(driver))
        out.image_uses.append(await driver.scan_images())
        if driver.filming:
            film.show(decode_image(png))

    first = await open_app(driver, site)
    out.state0_at = driver.clock.now
    await keep_state(first)
    await driver.hold(driver.opt.intro)
    for k, act in enumerate(actions, start=1):
        step = await driver.perform(k, act)
        settle_from = film.time
        settled = await driver.settle()
        step.checkpoint_at = driver.clock.now
        await keep_state(settled)
        # the settled state is held so that settling and holding last `after_action` together
        await driver.hold(max(1 / film.fps, driver.opt.after_action - (film.time - settle_from)))
        step.span = (step.span[0], film.time)
        out.steps.append(step)
    await driver.hold(driver.opt.outro)
    out.network_images = list(driver.network_images)
    return out
