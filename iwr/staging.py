"""The agent's staging folder: copies (hardlinks) of the task inputs and nothing else.

An agent must not be able to reach the task folder (checkpoints, ground truth). The stage
holds `video.mp4`, `assets/` and `stitched_assets/` only, and the `TaskInputs` built from it
point into the stage.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .benchmark.task import Task, TaskInputs


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        if dst.stat().st_size == src.stat().st_size:
            return
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def stage_inputs(task: Task, stage: Path) -> TaskInputs:
    """Hardlink (or copy) the agent-visible files of `task` into `stage`; inputs pointing there."""
    paths = task.paths
    if not paths.video.is_file():
        raise FileNotFoundError(f"task {task.key}: no video at {paths.video}")
    _link(paths.video, stage / "video.mp4")
    assets = [stage / "assets" / p.name for p in paths.asset_files()]
    for src, dst in zip(paths.asset_files(), assets, strict=True):
        _link(src, dst)
    sheets = [stage / "stitched_assets" / p.name for p in paths.contact_sheets()]
    for src, dst in zip(paths.contact_sheets(), sheets, strict=True):
        _link(src, dst)
    return TaskInputs(
        task_id=task.key, resolution=task.resolution, video=stage / "video.mp4", assets=assets, contact_sheets=sheets
    )
