"""Messages made ready for one model call: images budgeted and encoded once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .images import EncodedImage, apply_image_budget, encode_image
from .types import ImagePart, Message


@dataclass(frozen=True)
class PreparedMessages:
    """Messages of one call in the three forms it needs: sent, logged and cache-keyed."""

    wire: list[dict[str, Any]]  # OpenAI-format messages with data URLs
    logged: list[dict[str, Any]]  # images as {"image_sha256", "path"}
    keyed: list[dict[str, Any]]  # images as {"image_sha256"} (no paths: content-addressed)
    dropped_images: int


def prepare_messages(messages: list[Message], max_images: int, max_side: int | None) -> PreparedMessages:
    """Apply the image budget and encode the images (as data URLs to send, by hash to log and key)."""
    kept, dropped = apply_image_budget(messages, max_images)
    wire: list[dict[str, Any]] = []
    logged: list[dict[str, Any]] = []
    keyed: list[dict[str, Any]] = []
    for m in kept:
        if isinstance(m.content, str):
            for out in (wire, logged, keyed):
                out.append({"role": m.role, "content": m.content})
            continue
        w: list[dict[str, Any]] = []
        lg: list[dict[str, Any]] = []
        k: list[dict[str, Any]] = []
        for part in m.content:
            if isinstance(part, ImagePart):
                enc: EncodedImage = encode_image(part, max_side)
                url: dict[str, Any] = {"url": enc.data_url()}
                if part.detail:
                    url["detail"] = part.detail
                w.append({"type": "image_url", "image_url": url})
                lg.append({"image_sha256": enc.sha256, "path": str(part.path) if part.path else None})
                k.append({"image_sha256": enc.sha256, "detail": part.detail})
            else:
                for out_list in (w, lg, k):
                    out_list.append({"type": "text", "text": part.text})
        wire.append({"role": m.role, "content": w})
        logged.append({"role": m.role, "content": lg})
        keyed.append({"role": m.role, "content": k})
    return PreparedMessages(wire, logged, keyed, dropped)
