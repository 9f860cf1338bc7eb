"""A contact sheet PNG: keyframes in a grid with event boxes, pointer marks and asset boxes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .types import Perception

TILE_WIDTH = 480
EVENT_COLOUR = (40, 40, 230)  # BGR red
POINTER_COLOUR = (230, 60, 200)
ASSET_COLOUR = (40, 170, 40)


def _label(img: np.ndarray, text: str, org: tuple[int, int], colour: tuple[int, int, int], scale: float = 0.4) -> None:
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x, y = org
    cv2.rectangle(img, (x, y - th - 3), (x + tw + 2, y + 2), colour, -1)
    cv2.putText(img, text, (x + 1, y - 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)


def render_sheet(perception: Perception, frames: list[np.ndarray], path: Path, columns: int = 3) -> Path:
    """Draw the annotated keyframes (BGR images, same order as `perception.keyframes`)."""
    if not frames:
        raise ValueError("no keyframes to draw")
    H, W = frames[0].shape[:2]
    k = TILE_WIDTH / W
    th = int(round(H * k))
    header = 22
    tiles = []
    for kf, frame in zip(perception.keyframes, frames, strict=False):  # the caller may draw fewer frames
        tile = cv2.resize(frame, (TILE_WIDTH, th), interpolation=cv2.INTER_AREA)
        for rep in perception.assets:
            for m in rep.matches:
                if m.keyframe == kf.index:
                    b = m.box
                    p0, p1 = (int(b.x * k), int(b.y * k)), (int((b.x + b.width) * k), int((b.y + b.height) * k))
                    cv2.rectangle(tile, p0, p1, ASSET_COLOUR, 1)
                    _label(tile, m.asset, (p0[0], max(10, p0[1])), ASSET_COLOUR, 0.32)
        for e in perception.events:
            if e.after_keyframe != kf.index:
                continue
            for r in e.regions:
                b = r.box
                cv2.rectangle(tile, (int(b.x * k), int(b.y * k)), (int((b.x + b.width) * k), int((b.y + b.height) * k)),
                              EVENT_COLOUR, 2)
            if e.pointer is not None:
                c = (int(e.pointer[0] * k), int(e.pointer[1] * k))
                cv2.circle(tile, c, 7, POINTER_COLOUR, 2)
                cv2.drawMarker(tile, c, POINTER_COLOUR, cv2.MARKER_CROSS, 10, 1)
        bar = np.full((header, TILE_WIDTH, 3), 255, np.uint8)
        what = ", ".join(f"{e.kind}" + (f" '{e.typed_text}'" if e.typed_text else "") for e in perception.events if e.after_keyframe == kf.index)
        text = f"#{kf.index}  t={kf.time:.1f}s  {what or kf.reason}"
        cv2.putText(bar, text[:70], (4, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (20, 20, 20), 1, cv2.LINE_AA)
        tiles.append(np.vstack([bar, tile]))
    rows = []
    blank = np.full_like(tiles[0], 235)
    for i in range(0, len(tiles), columns):
        row = tiles[i:i + columns] + [blank] * (columns - len(tiles[i:i + columns]))
        rows.append(np.hstack([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=200) for t in row]))
    sheet = np.vstack(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    return path
