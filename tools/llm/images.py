"""Image budget and encoding for model requests.

Budget policy (simple, documented): keep every contact sheet first (up to `max_images`),
then fill the remaining slots with frames sampled evenly over the request's frames (first
and last kept when two or more slots remain). Images keep their original order in the
messages. Images whose longer side exceeds `max_image_side` are downscaled; everything is
sent as a base64 data URL (JPEG stays JPEG, everything else becomes PNG).
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass

from .types import ImagePart, Message, TextPart


@dataclass(frozen=True)
class EncodedImage:
    """An image ready to send: its bytes, MIME type and content hash."""

    data: bytes
    mime: str
    sha256: str

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


def evenly_spaced(n: int, k: int) -> list[int]:
    """`k` indices out of range(n), spread evenly, including both ends when k >= 2."""
    if k <= 0 or n <= 0:
        return []
    if k >= n:
        return list(range(n))
    if k == 1:
        return [n // 2]
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def select_images(parts: list[ImagePart], max_images: int) -> set[int]:
    """Indices (into `parts`) of the images kept under the budget."""
    sheets = [i for i, p in enumerate(parts) if p.kind == "contact_sheet"]
    frames = [i for i, p in enumerate(parts) if p.kind != "contact_sheet"]
    kept = set(sheets[:max_images])
    room = max_images - len(kept)
    kept.update(frames[j] for j in evenly_spaced(len(frames), room))
    return kept


def apply_image_budget(messages: list[Message], max_images: int) -> tuple[list[Message], int]:
    """Drop images beyond the budget across all messages; returns (messages, dropped count)."""
    images = [p for m in messages for p in m.parts() if isinstance(p, ImagePart)]
    if len(images) <= max_images:
        return messages, 0
    kept_ids = {id(images[i]) for i in select_images(images, max_images)}
    out: list[Message] = []
    for m in messages:
        if isinstance(m.content, str):
            out.append(m)
            continue
        parts: list[TextPart | ImagePart] = [p for p in m.content if not isinstance(p, ImagePart) or id(p) in kept_ids]
        out.append(Message(role=m.role, content=parts))
    return out, len(images) - len(kept_ids)


def _sniff_mime(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    return "application/octet-stream"


def encode_image(part: ImagePart, max_side: int | None) -> EncodedImage:
    """Read, downscale if needed, and encode one image."""
    raw = part.read()
    mime = _sniff_mime(raw)
    needs_convert = mime == "application/octet-stream"
    if max_side is not None or needs_convert:
        from PIL import Image

        with Image.open(io.BytesIO(raw)) as opened:
            opened.load()
            img: Image.Image = opened
            too_big = max_side is not None and max(img.size) > max_side
            if too_big or needs_convert:
                if too_big:
                    assert max_side is not None
                    scale = max_side / max(img.size)
                    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
                    img = img.resize(size, Image.Resampling.LANCZOS)
                buf = io.BytesIO()
                if mime == "image/jpeg":
                    img.convert("RGB").save(buf, format="JPEG", quality=90)
                else:
                    mime = "image/png"
                    if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                        img = img.convert("RGBA")
                    img.save(buf, format="PNG")
                raw = buf.getvalue()
    return EncodedImage(data=raw, mime=mime, sha256=hashlib.sha256(raw).hexdigest())
