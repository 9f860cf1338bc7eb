"""Video frames for agents without perception: 1 fps samples (the paper's protocol)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import BaseModel, Field

from iwr.core.change import TEXT_CHANGE, changed_share
from iwr.tools.video import sample_frames

PAPER_FPS = 1.0
PAPER_MAX_FRAMES = 64


def save_frames(video: Path, out_dir: Path, *, fps: float = PAPER_FPS, max_frames: int = PAPER_MAX_FRAMES) -> list[Path]:
    """Sample frames at `fps` (at most `max_frames`, spread evenly) and save them as PNGs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for frame in sample_frames(video, fps=fps, max_frames=max_frames):
        path = out_dir / f"frame_{frame.index:05d}_{frame.time:07.2f}s.png"
        if not path.exists():
            Image.fromarray(frame.image).save(path)
        paths.append(path)
    return paths


def distinct_frames(paths: list[Path], *, min_changed: float = 0.002) -> list[Path]:
    """Drop frames that look like the one kept before (share of changed pixels below `min_changed`)."""
    kept: list[Path] = []
    last: np.ndarray | None = None
    for path in paths:
        small = np.asarray(Image.open(path).convert("L").resize((320, 180)), dtype=np.uint8)
        if last is None or changed_share(small, last, TEXT_CHANGE) > min_changed:
            kept.append(path)
            last = small
    return kept


class FrameRecipe(BaseModel):
    """How to compose one still image of a recorded state from several video frames: the
    pixel-wise median of the frames at `times` (what passes through, such as the mouse
    pointer, drops out), then each patch (x0, y0, x1, y1, t) copied from the frame at time t."""

    times: list[float]
    patches: list[tuple[int, int, int, int, float]] = Field(default_factory=list)


def save_composed_frames(video: Path, recipes: list[FrameRecipe], out_dir: Path, *, prefix: str = "state") -> list[Path]:
    """One image per recipe as `<prefix>_<k>.png`, decoding the video once."""
    from iwr.tools.video import frames_at, video_info

    info = video_info(video)
    times = sorted({t for r in recipes for t in r.times} | {p[4] for r in recipes for p in r.patches})
    out_dir.mkdir(parents=True, exist_ok=True)
    shown = dict(zip(times, frames_at(video, times, nearest=False), strict=False))  # the frame on screen at each time
    images: dict[int, np.ndarray] = {f.index: f.image for f in shown.values()}

    def index(t: float) -> int:
        return shown[t].index if t in shown else -1

    wanted = [[index(t) for t in r.times] for r in recipes]
    fallback = images[max(images)] if images else np.zeros((info.height, info.width, 3), np.uint8)
    paths: list[Path] = []
    for k, (recipe, indices) in enumerate(zip(recipes, wanted, strict=True)):
        frames = [images.get(i, fallback) for i in indices] or [fallback]
        distinct = list({id(f): f for f in frames}.values())
        image = distinct[0].copy() if len(distinct) < 3 else np.median(np.stack(distinct), axis=0).astype(np.uint8)
        height, width = image.shape[:2]
        for x0, y0, x1, y1, when in recipe.patches:
            x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
            source = images.get(index(when))
            if x1 > x0 and y1 > y0 and source is not None:
                image[y0:y1, x0:x1] = source[y0:y1, x0:x1]
        path = out_dir / f"{prefix}_{k}.png"
        Image.fromarray(image).save(path)
        paths.append(path)
    return paths
