"""Held-out probes: performed on a fresh headless page, never filmed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...tools.local_server import ServedSite
from ..demo import DemoProbe, DemoSpec
from ..page_clock import PageClock
from .driver import Driver, TimeFilm
from .options import RecordOptions
from .trajectory import Trajectory, new_recording_page, run_trajectory

if TYPE_CHECKING:
    from playwright.async_api import Browser


def start_pointer_of(spec: DemoSpec) -> tuple[float, float]:
    """Where the pointer rests when a recording starts."""
    return spec.resolution.width * 0.5, spec.resolution.height * 0.6


async def record_probe(browser: Browser, spec: DemoSpec, site: ServedSite, options: RecordOptions, probe: DemoProbe,
                       label: str) -> Trajectory:
    """Perform a held-out probe on a fresh headless page (not filmed; the demo's frame clock)."""
    pcontext, ppage = await new_recording_page(browser, spec, site, options)
    try:
        pdriver = Driver(ppage, spec, TimeFilm(options.fps, start_pointer_of(spec)), options,
                         f"{label} probe {probe.name!r}", PageClock(ppage, 1000 / options.fps))
        return await run_trajectory(pdriver, site, probe.actions)
    finally:
        await pcontext.close()
