"""A non-headless Chromium window filling an X screen, reachable from Playwright over CDP.

Chromium runs in kiosk mode (no browser UI) on the recording's display with a fresh profile
and `--remote-debugging-port=0` on 127.0.0.1 (the port is read from the profile's
`DevToolsActivePort`). Without a window manager the kiosk window comes out a pixel short,
so it is moved and sized with `xdotool`, and the result is checked from the page: the
viewport must be exactly the screen (viewport coordinates = screen coordinates), which a
real mouse event confirms (`screenX - clientX`, `screenY - clientY`). The window is given
the keyboard focus (no window manager does), and a real key confirms that keys reach it.
Without that focus Chromium drops X key events although `document.hasFocus()` says true, so
the recorder also checks every key press reaches the page and gives the focus back if not
(`ScreenPage.refocus`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...tools.browser import find_chromium
from .options import RecordError, short_error
from .x_input import XInput
from .x_server import SETUP_HINT, XDisplay, die_with_parent, stop_process

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, BrowserType, Page

SCREEN_ARGS = [
    "--kiosk", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--password-store=basic",
    "--force-device-scale-factor=1", "--font-render-hinting=none", "--disable-session-crashed-bubble",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
]

# resolves at the next mouse event the page sees: where the viewport is on the screen
_NEXT_MOUSE_JS = """() => new Promise(resolve => addEventListener('mousemove', e => resolve(
  {dx: e.screenX - e.clientX, dy: e.screenY - e.clientY, width: innerWidth, height: innerHeight,
   scale: devicePixelRatio}), {once: true, capture: true}))"""
_VIEWPORT_JS = "() => [innerWidth, innerHeight]"
# resolves at the next key the page sees
_ARM_KEY_JS = """() => ({seen: new Promise(resolve => addEventListener('keydown', e => resolve(e.key),
  {once: true, capture: true}))})"""  # armed before a key: `seen` resolves at the page's next keydown


@dataclass
class ScreenPage:
    """The headed browser as Playwright sees it: one page filling the screen."""

    browser: Browser  # connected over CDP
    context: BrowserContext  # its default context
    page: Page
    version: str
    refocus: Callable[[], Awaitable[None]]  # give the window the X keyboard focus again


async def _devtools_port(profile: Path, proc: subprocess.Popen[bytes], timeout: float) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RecordError(f"Chromium exited at start (code {proc.returncode}) on the recording display")
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(marker.read_text().split()[0])
        await asyncio.sleep(0.05)
    raise RecordError(f"Chromium did not open its DevTools port within {timeout:g} s")


def _xdotool(display: XDisplay, *args: str, check: bool = True) -> str:
    exe = shutil.which("xdotool")
    if exe is None:
        raise RecordError(f"--capture screen needs xdotool: {SETUP_HINT}")
    done = subprocess.run([exe, *args], env=display.env(), capture_output=True, text=True, timeout=10)
    if check and done.returncode != 0:
        raise RecordError(f"xdotool {' '.join(args)} failed: {done.stderr.strip() or done.returncode}")
    return done.stdout


def _windows(display: XDisplay, pid: int) -> list[str]:
    """Chromium's visible top-level windows (by process id, else by class)."""
    found = _xdotool(display, "search", "--onlyvisible", "--pid", str(pid), check=False).split()
    return found or _xdotool(display, "search", "--onlyvisible", "--class", "chromium", check=False).split()


async def fit_window(display: XDisplay, page: Page, pid: int, timeout: float = 5.0) -> None:
    """Move Chromium's window to (0, 0) and size it to the screen; wait until the page sees it."""
    want = [display.width, display.height]
    deadline = time.monotonic() + timeout
    while True:
        windows = _windows(display, pid)
        for win in windows:
            _xdotool(display, "windowmove", win, "0", "0", "windowsize", win, str(display.width), str(display.height))
        await asyncio.sleep(0.1)
        if windows and await page.evaluate(_VIEWPORT_JS) == want:
            return
        if time.monotonic() > deadline:
            got = await page.evaluate(_VIEWPORT_JS)
            raise RecordError(f"the Chromium window's viewport is {got[0]}x{got[1]}, not the screen's "
                              f"{display.width}x{display.height}")


async def check_viewport(page: Page, x: XInput, display: XDisplay, pid: int) -> None:
    """Confirm with a real pointer event that viewport (0, 0) is screen (0, 0) at scale 1; a
    window found elsewhere is moved back once."""
    for attempt in range(2):
        seen = asyncio.ensure_future(page.evaluate(_NEXT_MOUSE_JS))
        await asyncio.sleep(0.1)
        for px, py in ((display.width // 3, display.height // 3), (display.width // 2, display.height // 2)):
            x.move(px, py)  # no log needed: this is before the video starts
            await asyncio.sleep(0.05)
        try:
            got = await asyncio.wait_for(seen, timeout=3.0)
        except TimeoutError:
            raise RecordError("the page saw no pointer event from the X server: input cannot reach it") from None
        if got["width"] != display.width or got["height"] != display.height or got["scale"] != 1:
            raise RecordError(f"viewport {got['width']}x{got['height']} at scale {got['scale']}, want "
                              f"{display.width}x{display.height} at scale 1")
        if got["dx"] == 0 and got["dy"] == 0:
            x.log.events.clear()
            return
        if attempt == 0:
            for win in _windows(display, pid):
                _xdotool(display, "windowmove", "--relative", win, str(-got["dx"]), str(-got["dy"]))
            await asyncio.sleep(0.2)
    raise RecordError(f"the viewport sits at screen ({got['dx']}, {got['dy']}), not (0, 0), and cannot be moved")


async def give_focus(page: Page, display: XDisplay, pid: int) -> None:
    """Give Chromium's window the X keyboard focus (with no window manager nothing else does)."""
    for win in _windows(display, pid):
        _xdotool(display, "windowfocus", "--sync", win, check=False)
    await page.bring_to_front()


async def focus_keyboard(page: Page, x: XInput, display: XDisplay, pid: int, attempts: int = 3) -> None:
    """Give Chromium's window the X keyboard focus and confirm with a real key (Shift, on the
    blank page) that keys reach the page; the listener is in place before the key is sent, and
    focus and key are tried again (a busy machine can be slow to hand the focus over)."""
    try:
        for _ in range(attempts):
            await give_focus(page, display, pid)
            armed = await page.evaluate_handle(_ARM_KEY_JS)  # returns once the listener is in place
            codes = x.chord_codes("Shift")
            x.keys_down(codes, "Shift")
            x.keys_up(codes)
            try:
                await asyncio.wait_for(armed.evaluate("(o) => o.seen"), timeout=3.0)
                return
            except TimeoutError:
                continue
        raise RecordError("the page saw no key from the X server: the window has no keyboard focus")
    finally:
        x.log.events.clear()


@contextlib.asynccontextmanager
async def headed_chromium(display: XDisplay, browser_type: BrowserType, x: XInput,
                          timeout: float = 20.0) -> AsyncIterator[ScreenPage]:
    """Start Chromium on `display`, connect Playwright (`browser_type.connect_over_cdp`), fit
    and check its window; on exit disconnect and kill Chromium with all its processes."""
    home = Path(tempfile.mkdtemp(prefix="iwr-screen-chromium-"))
    profile = home / "profile"
    proc: subprocess.Popen[bytes] | None = None
    browser: Any = None
    try:
        with (home / "chromium.log").open("wb") as log:
            proc = subprocess.Popen(
                [find_chromium(), *SCREEN_ARGS, f"--user-data-dir={profile}", "--window-position=0,0",
                 f"--window-size={display.width},{display.height}", "about:blank"],
                env=display.env(home), stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                preexec_fn=die_with_parent,
            )
        port = await _devtools_port(profile, proc, timeout)
        try:
            browser = await browser_type.connect_over_cdp(f"http://127.0.0.1:{port}", timeout=timeout * 1000)
        except Exception as e:  # noqa: BLE001 - any Playwright error becomes a one-line error
            raise RecordError(f"cannot connect to the headed Chromium over CDP: {short_error(e)}") from None
        context = browser.contexts[0]
        pages = context.pages or [await context.new_page()]
        page = pages[0]
        await fit_window(display, page, proc.pid)
        await check_viewport(page, x, display, proc.pid)
        await focus_keyboard(page, x, display, proc.pid)
        pid = proc.pid
        yield ScreenPage(browser=browser, context=context, page=page, version=browser.version,
                         refocus=lambda: give_focus(page, display, pid))
    finally:
        if browser is not None:
            with contextlib.suppress(Exception):
                await browser.close()
        stop_process(proc)
        shutil.rmtree(home, ignore_errors=True)
