"""The images a recording used: their first-use order, their bytes from the app's own server, where each was drawn."""

from __future__ import annotations

import mimetypes
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from ...tools.local_server import ServedSite
from ..ground_truth import AssetPlacement
from .driver import ImageUse
from .options import short_error
from .trajectory import Trajectory

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

log = structlog.get_logger()

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".bmp", ".avif"}


def asset_order(trajectories: list[Trajectory]) -> list[str]:
    """Image URLs in first-use order: DOM order per checkpoint, then network-only ones."""
    order: list[str] = []
    seen: set[str] = set()
    for traj in trajectories:
        for uses in traj.image_uses:
            for use in uses:
                if use.url not in seen:
                    seen.add(use.url)
                    order.append(use.url)
        for url in sorted(traj.network_images):
            if url not in seen:
                seen.add(url)
                order.append(url)
    return order


def image_extension(url: str, content_type: str, body: bytes) -> str:
    ext = Path(urllib.parse.urlparse(url).path).suffix.lower()
    if ext in IMAGE_EXTENSIONS:
        return ".jpg" if ext == ".jpeg" else ext
    guessed = mimetypes.guess_extension(content_type.split(";")[0].strip()) if content_type else None
    if guessed in IMAGE_EXTENSIONS:
        return guessed
    if body.startswith(b"\x89PNG"):
        return ".png"
    if body.startswith(b"\xff\xd8"):
        return ".jpg"
    if body[:6] in (b"GIF87a", b"GIF89a"):
        return ".gif"
    return ".bin"


def original_name(url: str, site: ServedSite) -> str:
    """The app-relative path of a served URL (kept only in ground_truth.json)."""
    if url.startswith(site.base_url):
        return urllib.parse.unquote(url[len(site.base_url) :].split("?", 1)[0].split("#", 1)[0])
    return url


async def save_assets(context: BrowserContext, urls: list[str], site: ServedSite, dest: Path, label: str) -> dict[str, str]:
    """Fetch each image once more from the app's server (same bytes) and store it anonymised.

    Returns url -> anonymous file name. Only the app's own server is asked: an image on another
    host (the page's request for it was aborted) is left out, never fetched; a URL that cannot
    be fetched is skipped too (both logged).
    """
    dest.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    for url in urls:
        if not url.startswith(site.base_url):
            log.warning("asset not on the app's server: left out", demo=label, url=url[:200])
            continue
        try:
            response = await context.request.get(url, fail_on_status_code=False)
        except Exception as e:  # noqa: BLE001 - the local server refused or the request failed: skip the image
            log.warning("asset not fetched", demo=label, error=short_error(e))
            continue
        if not response.ok:
            log.warning("asset not fetched", demo=label, status=response.status)
            continue
        body = await response.body()
        name = f"asset_{len(names) + 1:03d}{image_extension(url, response.headers.get('content-type', ''), body)}"
        (dest / name).write_bytes(body)
        names[url] = name
    return names


def placements(uses: list[ImageUse], names: dict[str, str]) -> list[AssetPlacement]:
    return [AssetPlacement(asset=names[use.url], box=use.box) for use in uses if use.box is not None and use.url in names]
