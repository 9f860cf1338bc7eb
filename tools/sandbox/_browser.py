"""A headless Chromium for untrusted pages that can be killed and relaunched, and a pool of them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import structlog

from ..browser import LAUNCH_ARGS, find_chromium
from ._processes import Blackhole, cmdline, descendants, kill_pid, rss_mb

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

log = structlog.get_logger()


def _sandbox_launch_args(blackhole_port: int, marker: str, js_heap_mb: int) -> list[str]:
    return [
        *LAUNCH_ARGS,
        f"--proxy-server=http://127.0.0.1:{blackhole_port}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--force-webrtc-ip-handling-policy",
        "--disable-smooth-scrolling",
        "--disable-renderer-backgrounding",
        "--disable-background-timer-throttling",
        "--disable-backgrounding-occluded-windows",
        "--disable-breakpad",
        "--disable-crash-reporter",
        f"--js-flags=--max-old-space-size={js_heap_mb}",
        f"--iwr-handle={marker}",
    ]


class BrowserHandle:
    """A headless Chromium for untrusted pages that can be killed and relaunched.

    `browser` is the current Playwright browser; `restart()` kills this handle's own browser
    processes (found by a unique marker among this process's descendants) and launches anew.
    `memory_limit_mb` bounds each renderer's resident memory (a watchdog kills offenders).
    """

    def __init__(self, *, memory_limit_mb: int = 2048, js_heap_mb: int = 1024, watchdog_interval: float = 0.1) -> None:
        self.memory_limit_mb = memory_limit_mb
        self.js_heap_mb = js_heap_mb
        self.watchdog_interval = watchdog_interval
        self.restarts = 0
        self.killed_renderers = 0
        self._marker = uuid.uuid4().hex
        self._pw: Playwright | None = None
        self._browser: Browser | None = None
        self._home: str | None = None
        self._blackhole: Blackhole | None = None
        self._watchdog: asyncio.Task[None] | None = None

    @property
    def browser(self) -> Any:
        if self._browser is None:
            raise RuntimeError("BrowserHandle not started")
        return self._browser

    @property
    def escaped_requests(self) -> list[str]:
        """Requests that slipped past the routes and were stopped at the dead proxy."""
        return self._blackhole.escaped if self._blackhole else []

    async def start(self) -> BrowserHandle:
        from playwright.async_api import async_playwright

        if self._blackhole is None:
            self._blackhole = Blackhole()
        self._home = tempfile.mkdtemp(prefix="iwr-sandbox-")
        env: dict[str, str | float | bool] = {**os.environ, "HOME": self._home, "XDG_CONFIG_HOME": self._home,
                                              "XDG_CACHE_HOME": self._home}
        self._pw = await async_playwright().start()
        self._browser = await self._pw.chromium.launch(
            executable_path=find_chromium(),
            headless=True,
            args=_sandbox_launch_args(self._blackhole.port, self._marker, self.js_heap_mb),
            env=env,
            timeout=30_000,
        )
        if self._watchdog is None and self.memory_limit_mb > 0:
            self._watchdog = asyncio.create_task(self._watch_memory())
        return self

    def _own_pids(self) -> list[int]:
        """Chromium processes of this handle: the marked browser process and its descendants."""
        for pid in descendants(os.getpid()):
            if f"--iwr-handle={self._marker}" in cmdline(pid):
                return [pid, *descendants(pid)]
        return []

    async def _watch_memory(self) -> None:
        while True:
            await asyncio.sleep(self.watchdog_interval)
            try:
                pids = await asyncio.to_thread(self._own_pids)
                for pid in pids:
                    if rss_mb(pid) > self.memory_limit_mb and "--type=renderer" in cmdline(pid):
                        log.warning("sandbox.renderer_killed", pid=pid, reason="memory")
                        self.killed_renderers += 1
                        kill_pid(pid)
            except Exception:  # noqa: BLE001 - the watchdog must never die
                continue

    async def _shutdown(self, *, kill: bool) -> None:
        if kill:
            for pid in self._own_pids():
                kill_pid(pid)
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._browser.close(), 5.0)
        if self._pw is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pw.stop(), 5.0)
        self._browser = self._pw = None
        if self._home:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

    async def restart(self) -> None:
        """Kill this handle's browser processes and launch a fresh browser."""
        log.warning("sandbox.browser_restart", restarts=self.restarts + 1)
        self.restarts += 1
        await self._shutdown(kill=True)
        await self.start()

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(BaseException):
                await self._watchdog
            self._watchdog = None
        await self._shutdown(kill=False)
        if self._blackhole is not None:
            self._blackhole.close()
            self._blackhole = None

    async def __aenter__(self) -> BrowserHandle:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class BrowserPool:
    """`size` browser handles shared by concurrent workers: `async with pool.acquire() as h`."""

    def __init__(self, size: int = 1, **handle_kwargs: Any) -> None:
        self.handles = [BrowserHandle(**handle_kwargs) for _ in range(max(1, size))]
        self._free: asyncio.Queue[BrowserHandle] = asyncio.Queue()

    async def __aenter__(self) -> BrowserPool:
        for h in self.handles:
            await h.start()
            self._free.put_nowait(h)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for h in self.handles:
            await h.close()

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[BrowserHandle]:
        handle = await self._free.get()
        try:
            yield handle
        finally:
            self._free.put_nowait(handle)
