"""What a page fetches: the requests still in flight, and the images it received.

The recorders and the judge both wait for a page's requests before they call it settled (a
module loaded by `import()` may attach the listener the next action needs), so both read one
`PageTraffic`."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page

REQUEST_WAIT_S = 3.0  # real seconds a settle waits for requests; one pending longer is a long poll, not waited for again


class PageTraffic:
    """A page's requests in flight (with when each started) and the image URLs it received (in
    order of first response). Attach it before the page loads."""

    def __init__(self, page: Page) -> None:
        self._pending: dict[Any, float] = {}  # request -> time.monotonic() when it was sent
        self.network_images: list[str] = []
        page.on("request", self._on_request)
        page.on("requestfinished", self._on_done)
        page.on("requestfailed", self._on_done)
        page.on("response", self._on_response)

    @property
    def inflight(self) -> int:
        return len(self._pending)

    def _on_request(self, request: Any) -> None:
        self._pending[request] = time.monotonic()

    def _on_done(self, request: Any) -> None:
        self._pending.pop(request, None)

    def _on_response(self, response: Any) -> None:
        ctype = (response.headers.get("content-type") or "").lower()
        image = response.request.resource_type == "image" or ctype.startswith("image/")
        if response.ok and image and response.url not in self.network_images:
            self.network_images.append(response.url)

    async def idle(self, max_wait: float = REQUEST_WAIT_S) -> bool:
        """Wait (real time) until no request sent less than `max_wait` ago is in flight, at
        most `max_wait`; a request pending longer (a long poll) is not waited for. True when
        none is left."""
        deadline = time.monotonic() + max_wait
        while True:
            now = time.monotonic()
            if not any(now - sent < max_wait for sent in self._pending.values()):
                return True
            if now >= deadline:
                return False
            await asyncio.sleep(0.02)
