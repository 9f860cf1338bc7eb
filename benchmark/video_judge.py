"""Judging pages against a recording alone: a task's `video.mp4`, or a bare video (+ assets).

    source = source_of_task(task)                  # or source_of_video(Path("rec.mp4"), assets)
    trajectory = video_plan_of(source, work_dir)   # perceive once (cached by content and code), plan, changes
    result = await judge_against_video(judge, source, trajectory, page_dir, out_dir)

Nothing of a task but its video, assets and resolution is read: no action sequence, no
checkpoints, no ground truth. Results carry protocol `video`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from pydantic import BaseModel

from ..core.cache_files import cache_dir
from ..core.sources import hash_sources, module_sources
from ..tools.ocr import OcrCache
from ..tools.perception.pipeline import PerceiveOptions, load_perception, perceive
from ..tools.perception.types import Perception, PerceptionError
from .judge.judge import Judge
from .judge.judge_config import default_cache_dir
from .judge.types import JudgeResult, Trajectory
from .judge.video_plan import video_trajectory
from .task import Resolution, Task

PLAN_VERSION = "1"  # bump when the plan or its statements change meaning
PERCEPTION_MODULE = "iwr.tools.perception"  # the pipeline: its code, and all it imports, keys the cache


class VideoSource(BaseModel):
    """What a video-only judgement may read: the recording, its assets, the page size."""

    task_id: str
    video: Path
    assets: Path | None = None
    resolution: Resolution


def _readable(video: Path) -> None:
    """Raise PerceptionError naming the problem when `video` cannot be decoded."""
    import cv2

    if not video.is_file():
        raise PerceptionError(f"video not found: {video}")
    if video.stat().st_size == 0:
        raise PerceptionError(f"video is empty (0 bytes): {video}")
    cap = cv2.VideoCapture(str(video))
    try:
        ok, frame = cap.read() if cap.isOpened() else (False, None)
    finally:
        cap.release()
    if not ok or frame is None:
        raise PerceptionError(f"cannot read video {video}: no frame could be decoded (not a video, or corrupt)")


def source_of_task(task: Task) -> VideoSource:
    """A task's recording, assets and resolution (nothing else of the task)."""
    assets = task.paths.assets if task.paths.assets.is_dir() else None
    return VideoSource(task_id=task.key, video=task.paths.video, assets=assets, resolution=task.resolution)


def source_of_video(video: Path, assets: Path | None = None, resolution: Resolution | None = None,
                    task_id: str | None = None) -> VideoSource:
    """A bare recording (checked readable); the page size defaults to the video's."""
    video = Path(video)
    _readable(video)
    if assets is not None and not Path(assets).is_dir():
        raise PerceptionError(f"assets folder not found: {assets}")
    if resolution is None:
        import cv2

        cap = cv2.VideoCapture(str(video))
        resolution = Resolution(width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        cap.release()
    name = video.parent.name if video.stem == "video" and video.parent.name else video.stem  # a task folder's video.mp4
    return VideoSource(task_id=task_id or name, video=video, assets=assets, resolution=resolution)


def _cache_root() -> Path:
    return cache_dir() / "video_judge"


def perception_version() -> str:
    """Digest of the perception code: the pipeline's files and every package module they import
    (found from the imports, not a kept list), so a changed perception never reuses a stale result."""
    h = hashlib.sha256()
    hash_sources(h, module_sources(PERCEPTION_MODULE))
    return h.hexdigest()[:16]


def _key(video: Path, version: str) -> str:
    h = hashlib.sha256(video.read_bytes())
    h.update(f"\0{PLAN_VERSION}\0{version}".encode())
    return h.hexdigest()[:24]


def perceive_source(source: VideoSource, cache_root: Path | None = None, version: str | None = None) -> Perception:
    """Keyframes and events of the recording (no asset search), cached by the video's content and
    the perception code's version (`perception_version()` unless given)."""
    _readable(source.video)
    folder = (cache_root or _cache_root()) / _key(source.video, version or perception_version())
    if (folder / "perception.json").is_file():
        return load_perception(folder / "perception.json")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        perception = _moved(perceive(source.video, None, tmp, PerceiveOptions(assets=False, sheet=False)), tmp, folder)
        (tmp / "perception.json").write_text(perception.model_dump_json())
        os.rename(tmp, folder)
    except OSError:  # another process stored it first
        shutil.rmtree(tmp, ignore_errors=True)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return load_perception(folder / "perception.json")


def _moved(perception: Perception, src: Path, dst: Path) -> Perception:
    """Keyframe paths written under `src` pointed at `dst` (the folder was renamed)."""
    for k in perception.keyframes:
        if k.path and Path(k.path).is_relative_to(src):
            k.path = str(dst / Path(k.path).relative_to(src))
    return perception


def video_plan_of(source: VideoSource, cache_root: Path | None = None, ocr_cache: OcrCache | None = None) -> Trajectory:
    """The trajectory a page is judged on: perceived from the recording alone."""
    perception = perceive_source(source, cache_root)
    return video_trajectory(perception, source.resolution, ocr_cache or OcrCache(default_cache_dir()))


async def judge_against_video(judge: Judge, source: VideoSource, trajectory: Trajectory, page_dir: Path,
                              out_dir: Path) -> JudgeResult:
    """Judge one page on the recording's own plan; writes `out_dir/eval.json` (protocol `video`)."""
    return await judge.judge(page_dir, trajectory, source.resolution, source.assets, out_dir, source.task_id)
