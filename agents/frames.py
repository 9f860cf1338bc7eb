"""Video frames for agents without perception: 1 fps samples (the paper's protocol)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

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
        small = np.asarray(Image.open(path).convert("L").resize((320, 180)), dtype=np.int16)
        if last is None or float((np.abs(small - last) > 24).mean()) > min_changed:
            kept.append(path)
            last = small
    return kept
