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

Modules: `_processes` (the dead proxy, Chromium's processes), `_browser` (browser handle and
pool), `_site` (serving a staged page), `_page` (the locked-down context and page).
"""

from ._browser import BrowserHandle, BrowserPool
from ._page import SANDBOX_INIT_SCRIPT, InitStep, Sandbox, SandboxPage, apply_init_steps, open_sandboxed_page
from ._site import ASSETS_PLACEHOLDER, SandboxSite, serve_site

__all__ = [
    "ASSETS_PLACEHOLDER", "SANDBOX_INIT_SCRIPT", "BrowserHandle", "BrowserPool", "InitStep", "Sandbox", "SandboxPage",
    "SandboxSite",
    "apply_init_steps", "open_sandboxed_page", "serve_site",
]
