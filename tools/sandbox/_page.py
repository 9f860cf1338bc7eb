"""A candidate page in a fresh locked-down browser context: routes, stubs, dialogs, popups,
downloads, crashes, and a bounded close."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from ._browser import BrowserHandle
from ._site import SandboxSite, serve_site

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

log = structlog.get_logger()

# Run in every frame before the page's own scripts.
SANDBOX_INIT_SCRIPT = r"""
(() => {
  if (window.__iwrSandbox) return;
  const stats = { dialogs: 0, opens: 0, beacons: 0 };
  try {
    Object.defineProperty(window, '__iwrSandbox', {
      value: () => Object.assign({}, stats), configurable: false, writable: false, enumerable: false,
    });
  } catch (e) {}
  window.alert = function () { stats.dialogs++; };
  window.confirm = function () { stats.dialogs++; return false; };
  window.prompt = function () { stats.dialogs++; return null; };
  window.print = function () { stats.dialogs++; };
  window.open = function () { stats.opens++; return null; };
  try {
    const beacon = navigator.sendBeacon ? navigator.sendBeacon.bind(navigator) : null;
    navigator.sendBeacon = function (url, data) {
      try {
        if (beacon && new URL(url, location.href).origin === location.origin) return beacon(url, data);
      } catch (e) {}
      stats.beacons++;
      return false;
    };
  } catch (e) {}
  try { Object.defineProperty(navigator, 'serviceWorker', { get() { return undefined; } }); } catch (e) {}
})();
"""


# How long a page that missed a deadline gets to answer a trivial script before it is judged
# hung. 1 s judged a legitimate huge page hung while it still parsed on a loaded machine
# (the hostile corpus's huge_dom, load average 18).
HANG_PROBE_SECONDS = 3.0


@dataclass
class SandboxPage:
    """One candidate page in its own locked-down context, with what the sandbox saw."""

    site: SandboxSite
    context: BrowserContext
    page: Page
    load_timeout: float
    blocked_urls: list[str] = field(default_factory=list)
    dialogs: int = 0
    popups: int = 0
    downloads: int = 0
    crashed: bool = False
    hung: bool = False
    stub_stats: dict[str, int] = field(default_factory=dict)
    replies: set[asyncio.Future[None]] = field(default_factory=set, init=False, repr=False, compare=False)

    def reply(self, answer: Awaitable[object]) -> None:
        """Run an answer to the page (dismiss a dialog, close a popup, cancel a download) in
        the background, errors ignored; it is kept in `replies` until done."""
        task = asyncio.ensure_future(_quiet(answer))
        self.replies.add(task)
        task.add_done_callback(self.replies.discard)

    async def settle_replies(self, timeout: float = 1.0) -> None:
        """Wait up to `timeout` seconds for the answers still running, then cancel the rest."""
        if not self.replies:
            return
        _, late = await asyncio.wait(set(self.replies), timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def mark_hung(self) -> None:
        """The renderer stopped answering: the context will be killed, not closed politely."""
        self.hung = True

    async def goto(self) -> None:
        """Load the entry page (bounded by `load_timeout`); raises on timeout or failure."""
        await asyncio.wait_for(
            self.page.goto(self.site.url, wait_until="load", timeout=self.load_timeout * 1000),
            self.load_timeout + 1.0,
        )

    async def alive(self, timeout: float = HANG_PROBE_SECONDS) -> bool:
        """Whether the renderer answers a trivial script within `timeout` seconds."""
        if self.crashed or self.hung or self.page.is_closed():
            return False
        try:
            await asyncio.wait_for(self.page.evaluate("1"), timeout)
            return True
        except Exception:  # noqa: BLE001
            return False

    async def collect_stats(self, timeout: float = 1.0) -> None:
        """Fold the init script's counters (stubbed dialogs, window.open, beacons) in."""
        if self.crashed or self.hung or self.page.is_closed():
            return
        with contextlib.suppress(Exception):
            stats = await asyncio.wait_for(self.page.evaluate("() => window.__iwrSandbox ? window.__iwrSandbox() : null"),
                                           timeout)
            if isinstance(stats, dict):
                self.stub_stats = {k: int(v) for k, v in stats.items()}

    @property
    def total_dialogs(self) -> int:
        return self.dialogs + self.stub_stats.get("dialogs", 0)

    @property
    def total_popups(self) -> int:
        """Windows the page tried to open: stubbed `window.open` calls and real new pages (links)."""
        return self.popups + self.stub_stats.get("opens", 0)


class Sandbox:
    """Serves candidate pages and opens each in a fresh locked-down context of `handle`."""

    def __init__(self, handle: BrowserHandle | Any, *, load_timeout: float = 20.0, close_timeout: float = 5.0) -> None:
        self.handle = handle
        self.load_timeout = load_timeout
        self.close_timeout = close_timeout
        self._stack = contextlib.ExitStack()

    async def __aenter__(self) -> Sandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stack.close()

    def site(self, page_dir: Path, assets_dir: Path | None = None, entry: str = "index.html") -> SandboxSite:
        """Serve a page until the sandbox exits."""
        return self._stack.enter_context(serve_site(page_dir, assets_dir, entry))

    def open(self, site: SandboxSite, width: int, height: int,
             init_scripts: Sequence[InitStep] = ()) -> contextlib.AbstractAsyncContextManager[SandboxPage]:
        return open_sandboxed_page(
            self.handle, site, width, height, init_scripts=init_scripts,
            load_timeout=self.load_timeout, close_timeout=self.close_timeout,
        )


# an init script, or a set-up step awaited with the context (e.g. installing a clock), in order
InitStep = str | Callable[[Any], Awaitable[None]]


async def apply_init_steps(context: BrowserContext, steps: Sequence[InitStep]) -> None:
    """Add init scripts and run set-up steps on a browser context, in order."""
    for step in steps:
        if isinstance(step, str):
            await context.add_init_script(script=step)
        else:
            await step(context)


_CONTEXT_OPTIONS = {"timezone_id", "locale", "color_scheme"}  # what callers may set


def _browser_of(handle: BrowserHandle | Any) -> Any:
    return handle.browser if isinstance(handle, BrowserHandle) else handle


@contextlib.asynccontextmanager
async def open_sandboxed_page(
    handle: BrowserHandle | Any,
    site: SandboxSite,
    width: int,
    height: int,
    *,
    init_scripts: Sequence[InitStep] = (),
    load_timeout: float = 20.0,
    close_timeout: float = 5.0,
    context_options: Mapping[str, Any] | None = None,
) -> AsyncIterator[SandboxPage]:
    """A fresh context + page for `site` with every sandbox rule in place (not yet loaded).

    `handle` is a `BrowserHandle` (recoverable) or a plain Playwright browser.
    `init_scripts` run after the sandbox's own, in order: scripts are added as init
    scripts, callables are awaited with the context. `context_options` go to
    `new_context` (e.g. time zone, locale); they cannot loosen the sandbox's own options.
    """
    browser = _browser_of(handle)
    context = await asyncio.wait_for(
        browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=1,
            service_workers="block",
            accept_downloads=False,
            permissions=[],
            java_script_enabled=True,
            bypass_csp=False,
            **{k: v for k, v in (context_options or {}).items() if k in _CONTEXT_OPTIONS},
        ),
        30.0,
    )
    sp: SandboxPage | None = None
    try:
        context.set_default_timeout(load_timeout * 1000)
        await context.add_init_script(SANDBOX_INIT_SCRIPT)
        await apply_init_steps(context, init_scripts)
        origin = site.origin
        blocked: list[str] = []

        async def on_route(route: Any) -> None:
            request = route.request
            url = request.url
            if url == origin or url.startswith(origin + "/"):
                await route.continue_()
                return
            blocked.append(url)
            await route.abort("aborted" if request.is_navigation_request() else "blockedbyclient")

        await context.route("**/*", on_route)

        async def on_ws(ws: Any) -> None:
            blocked.append(ws.url)
            with contextlib.suppress(Exception):
                await ws.close(code=1008, reason="blocked by sandbox")

        with contextlib.suppress(AttributeError):
            await context.route_web_socket(re.compile(".*"), on_ws)

        page = await context.new_page()
        sp = SandboxPage(site=site, context=context, page=page, load_timeout=load_timeout, blocked_urls=blocked)
        _watch_page(sp, page)
        main = page

        def on_new_page(p: Any) -> None:
            if p is main:
                return
            sp.popups += 1
            sp.reply(p.close())

        context.on("page", on_new_page)
        yield sp
    finally:
        await _close_context(handle, context, sp, close_timeout)


def _watch_page(sp: SandboxPage, page: Page) -> None:
    def on_dialog(dialog: Any) -> None:
        sp.dialogs += 1
        sp.reply(dialog.dismiss())

    def on_crash(_: Any) -> None:
        sp.crashed = True

    def on_download(download: Any) -> None:
        sp.downloads += 1
        sp.reply(download.cancel())

    page.on("dialog", on_dialog)
    page.on("crash", on_crash)
    page.on("download", on_download)


async def _quiet(answer: Awaitable[object]) -> None:
    with contextlib.suppress(Exception):
        await answer


async def _close_context(handle: BrowserHandle | Any, context: BrowserContext, sp: SandboxPage | None, timeout: float) -> None:
    """Close the context; when it does not close in time, kill and relaunch the browser.
    The page's answers still running are then awaited (bounded) or cancelled."""
    if sp is not None:
        await sp.collect_stats()
    try:
        try:
            await asyncio.wait_for(context.close(), timeout)
            return
        except Exception as exc:  # noqa: BLE001
            log.warning("sandbox.context_close_failed", error=repr(exc), hung=bool(sp and sp.hung))
        if isinstance(handle, BrowserHandle):
            await handle.restart()
    finally:
        if sp is not None:
            await sp.settle_replies()
