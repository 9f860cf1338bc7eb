"""A sandbox for untrusted candidate pages: local serving, a locked-down browser context,
hang and crash recovery.

Usage::

    async with BrowserHandle() as handle:               # relaunchable headless Chromium
        async with Sandbox(handle) as sb:
            site = sb.site(page_dir, assets_dir)         # served on 127.0.0.1, own port
            async with sb.open(site, resolution) as sp:  # fresh context + page
                await sp.goto()
                ...                                      # sp.page, sp.blocked_urls, sp.dialogs
                sp.mark_hung()                           # after a timeout: context is killed

What a page can and cannot do:
- Only `page_dir` (a staged copy, `__PLACEHOLDER_ASSETS_BASE_DIR__` rewritten to `assets`) and
  the task's assets (mounted at `/assets`) are served; paths out of them give 404.
- Every request not to the site's origin is aborted and recorded (`blocked_urls`), websockets
  included; main-frame navigation away is aborted without an error page. As a second wall the
  browser runs behind a dead proxy with DNS disabled, so nothing that slips past the routes
  (workers, preconnects) reaches the network; loopback is the only reachable address.
- Dialogs are answered (alert/confirm/prompt replaced by stubs, real ones dismissed) and
  counted; popups are closed; downloads and service workers are blocked; `window.open` and
  cross-origin `navigator.sendBeacon` are neutered by an init script.
- One fresh context per page (own storage, no permissions); closing is bounded: if a hung
  renderer stops the context from closing, the browser process is killed and relaunched.
- A memory watchdog kills a renderer whose resident memory exceeds a limit (the page then
  counts as crashed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from .browser import LAUNCH_ARGS, find_chromium
from .local_server import serve_directory

log = structlog.get_logger()

ASSETS_PLACEHOLDER = "__PLACEHOLDER_ASSETS_BASE_DIR__"
_REWRITE_SUFFIXES = {".html", ".htm", ".css", ".js", ".mjs", ".json", ".svg"}

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


class Blackhole:
    """A TCP listener on 127.0.0.1 that records the first line of each connection and drops it.

    The sandboxed browser uses it as its proxy: any request that escaped the routes ends here
    (recorded in `escaped`) instead of on the network.
    """

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port: int = self._sock.getsockname()[1]
        self.escaped: list[str] = []
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="iwr-blackhole", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            try:
                conn.settimeout(1.0)
                first = conn.recv(2048).split(b"\r\n", 1)[0].decode("latin-1", "replace")
                if first:
                    self.escaped.append(first)
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode("latin-1")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _descendants(root: int) -> list[int]:
    kids = _children_map()
    out: list[int] = []
    stack = [root]
    while stack:
        for child in kids.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("latin-1")
    except OSError:
        return ""


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


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
        self._pw: Any = None
        self._browser: Any = None
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

    async def start(self) -> "BrowserHandle":
        from playwright.async_api import async_playwright

        if self._blackhole is None:
            self._blackhole = Blackhole()
        self._home = tempfile.mkdtemp(prefix="iwr-sandbox-")
        env = dict(os.environ, HOME=self._home, XDG_CONFIG_HOME=self._home, XDG_CACHE_HOME=self._home)
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
        for pid in _descendants(os.getpid()):
            if f"--iwr-handle={self._marker}" in _cmdline(pid):
                return [pid, *_descendants(pid)]
        return []

    async def _watch_memory(self) -> None:
        while True:
            await asyncio.sleep(self.watchdog_interval)
            try:
                pids = await asyncio.to_thread(self._own_pids)
                for pid in pids:
                    if _rss_mb(pid) > self.memory_limit_mb and "--type=renderer" in _cmdline(pid):
                        log.warning("sandbox.renderer_killed", pid=pid, reason="memory")
                        self.killed_renderers += 1
                        _kill(pid)
            except Exception:  # noqa: BLE001 - the watchdog must never die
                continue

    async def _shutdown(self, *, kill: bool) -> None:
        if kill:
            for pid in self._own_pids():
                _kill(pid)
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

    async def __aenter__(self) -> "BrowserHandle":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class BrowserPool:
    """`size` browser handles shared by concurrent workers: `async with pool.acquire() as h`."""

    def __init__(self, size: int = 1, **handle_kwargs: Any) -> None:
        self.handles = [BrowserHandle(**handle_kwargs) for _ in range(max(1, size))]
        self._free: asyncio.Queue[BrowserHandle] = asyncio.Queue()

    async def __aenter__(self) -> "BrowserPool":
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


@dataclass
class SandboxSite:
    """A page served on 127.0.0.1: `url` is its entry page, `origin` the only allowed origin."""

    page_dir: Path
    base_url: str
    entry: str = "index.html"
    requests: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.base_url + self.entry

    @property
    def origin(self) -> str:
        return self.base_url.rstrip("/")


def _stage_page(page_dir: Path, dest: Path) -> None:
    """Copy the page folder (symlinks kept as links, so the server refuses those leaving it)
    and rewrite the assets placeholder in text files."""
    shutil.copytree(page_dir, dest, symlinks=True, ignore_dangling_symlinks=True, dirs_exist_ok=True)
    for path in dest.rglob("*"):
        if path.is_symlink() or not path.is_file() or path.suffix.lower() not in _REWRITE_SUFFIXES:
            continue
        raw = path.read_bytes()
        if ASSETS_PLACEHOLDER.encode() in raw:
            path.write_bytes(raw.replace(ASSETS_PLACEHOLDER.encode(), b"assets"))


@contextlib.contextmanager
def serve_site(page_dir: Path, assets_dir: Path | None = None, entry: str = "index.html") -> Iterator[SandboxSite]:
    """Serve a staged copy of `page_dir` (+ `assets_dir` at /assets) on 127.0.0.1."""
    page_dir = Path(page_dir)
    if not (page_dir / entry).is_file():
        raise FileNotFoundError(f"{page_dir / entry} does not exist")
    with tempfile.TemporaryDirectory(prefix="iwr-site-") as tmp:
        staged = Path(tmp) / "page"
        _stage_page(page_dir, staged)
        mounts = {"assets": Path(assets_dir)} if assets_dir is not None and Path(assets_dir).is_dir() else {}
        with serve_directory(staged, mounts) as served:
            yield SandboxSite(
                page_dir=page_dir, base_url=served.base_url, entry=entry,
                requests=served.requests, not_found=served.not_found,
            )


@dataclass
class SandboxPage:
    """One candidate page in its own locked-down context, with what the sandbox saw."""

    site: SandboxSite
    context: Any
    page: Any
    load_timeout: float
    blocked_urls: list[str] = field(default_factory=list)
    dialogs: int = 0
    popups: int = 0
    downloads: int = 0
    crashed: bool = False
    hung: bool = False
    stub_stats: dict[str, int] = field(default_factory=dict)

    def mark_hung(self) -> None:
        """The renderer stopped answering: the context will be killed, not closed politely."""
        self.hung = True

    async def goto(self) -> None:
        """Load the entry page (bounded by `load_timeout`); raises on timeout or failure."""
        await asyncio.wait_for(
            self.page.goto(self.site.url, wait_until="load", timeout=self.load_timeout * 1000),
            self.load_timeout + 1.0,
        )

    async def alive(self, timeout: float = 2.0) -> bool:
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
            stats = await asyncio.wait_for(self.page.evaluate("() => window.__iwrSandbox ? window.__iwrSandbox() : null"), timeout)
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

    async def __aenter__(self) -> "Sandbox":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stack.close()

    def site(self, page_dir: Path, assets_dir: Path | None = None, entry: str = "index.html") -> SandboxSite:
        """Serve a page until the sandbox exits."""
        return self._stack.enter_context(serve_site(page_dir, assets_dir, entry))

    def open(self, site: SandboxSite, width: int, height: int, init_scripts: Sequence["InitStep"] = ()) -> contextlib.AbstractAsyncContextManager[SandboxPage]:
        return open_sandboxed_page(
            self.handle, site, width, height, init_scripts=init_scripts,
            load_timeout=self.load_timeout, close_timeout=self.close_timeout,
        )


# an init script, or a set-up step awaited with the context (e.g. installing a clock), in order
InitStep = str | Callable[[Any], Awaitable[None]]


async def apply_init_steps(context: Any, steps: Sequence[InitStep]) -> None:
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
            asyncio.ensure_future(_quiet(p.close()))

        context.on("page", on_new_page)
        yield sp
    finally:
        await _close_context(handle, context, sp, close_timeout)


def _watch_page(sp: SandboxPage, page: Any) -> None:
    def on_dialog(dialog: Any) -> None:
        sp.dialogs += 1
        asyncio.ensure_future(_quiet(dialog.dismiss()))

    def on_crash(_: Any) -> None:
        sp.crashed = True

    def on_download(download: Any) -> None:
        sp.downloads += 1
        asyncio.ensure_future(_quiet(download.cancel()))

    page.on("dialog", on_dialog)
    page.on("crash", on_crash)
    page.on("download", on_download)


async def _quiet(coro: Any) -> None:
    with contextlib.suppress(Exception):
        await coro


async def _close_context(handle: BrowserHandle | Any, context: Any, sp: SandboxPage | None, timeout: float) -> None:
    """Close the context; when it does not close in time, kill and relaunch the browser."""
    if sp is not None:
        await sp.collect_stats()
    try:
        await asyncio.wait_for(context.close(), timeout)
        return
    except Exception as exc:  # noqa: BLE001
        log.warning("sandbox.context_close_failed", error=repr(exc), hung=bool(sp and sp.hung))
    if isinstance(handle, BrowserHandle):
        await handle.restart()
