"""What a recorded page fetches: requests still in flight, and the images it received."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page


class PageTraffic:
    """Counts a page's requests in flight and lists the image URLs it received (in order of
    first response); both recorders read it."""

    def __init__(self, page: Page) -> None:
        self.inflight = 0
        self.network_images: list[str] = []
        page.on("request", self._on_request)
        page.on("requestfinished", self._on_done)
        page.on("requestfailed", self._on_done)
        page.on("response", self._on_response)

    def _on_request(self, request: Any) -> None:
        self.inflight += 1

    def _on_done(self, request: Any) -> None:
        self.inflight = max(0, self.inflight - 1)

    def _on_response(self, response: Any) -> None:
        ctype = (response.headers.get("content-type") or "").lower()
        image = response.request.resource_type == "image" or ctype.startswith("image/")
        if response.ok and image and response.url not in self.network_images:
            self.network_images.append(response.url)
