"""Headless Chromium through Playwright: one launcher for the recorder, the judge and tests.

Uses the system Chromium (Debian package `chromium`); Playwright's own browser download is
not available offline. Chromium writes into $HOME, so each launch gets its own HOME.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import IwrError

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    "--font-render-hinting=none",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
]


class BrowserNotFound(IwrError, RuntimeError):
    """No Chromium binary could be found."""


def find_chromium() -> str:
    """Path of the Chromium binary: $IWR_CHROMIUM, else the Debian locations."""
    env = os.environ.get("IWR_CHROMIUM")
    if env:
        if not Path(env).exists():
            raise BrowserNotFound(f"IWR_CHROMIUM={env} does not exist")
        return env
    for cand in CHROMIUM_CANDIDATES:
        if Path(cand).exists():
            return cand
    found = shutil.which("chromium")
    if found:
        return found
    raise BrowserNotFound("Chromium not found: install it with `apt-get install -y chromium` or set IWR_CHROMIUM")


@asynccontextmanager
async def launch_browser() -> AsyncIterator[Browser]:
    """Start Playwright and a headless Chromium with its own HOME; close both on exit."""
    from playwright.async_api import async_playwright

    home = tempfile.mkdtemp(prefix="iwr-chromium-")
    env: dict[str, str | float | bool] = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home, XDG_CACHE_HOME=home)
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=find_chromium(), headless=True, args=LAUNCH_ARGS, env=env
            )
            try:
                yield browser
            finally:
                await browser.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
