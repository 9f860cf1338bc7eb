"""The video judge's perception cache: keyed by the recording's bytes and the perception code."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from iwr.benchmark import video_judge
from iwr.benchmark.task import Resolution
from iwr.benchmark.video_judge import VideoSource, perceive_source, perception_version
from iwr.tools.perception.pipeline import PerceiveOptions
from iwr.tools.perception.types import Perception
from iwr.tools.video import VideoInfo


def _video(path: Path) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 5, (64, 48))
    for i in range(5):
        writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
    writer.release()
    return path


def test_a_changed_perception_version_misses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []

    def fake_perceive(video: Path, assets: object, out: Path, options: PerceiveOptions) -> Perception:
        calls.append(out)
        return Perception(video=VideoInfo(path=str(video), width=64, height=48, fps=5.0, frame_count=5, duration=1.0))

    monkeypatch.setattr(video_judge, "perceive", fake_perceive)
    source = VideoSource(task_id="t", video=_video(tmp_path / "video.mp4"), resolution=Resolution(width=64, height=48))
    cache = tmp_path / "cache"
    perceive_source(source, cache, version="a")
    perceive_source(source, cache, version="a")
    assert len(calls) == 1  # the same code: read from the cache
    perceive_source(source, cache, version="b")
    assert len(calls) == 2  # other code: perceived again, in its own folder
    assert len(list(cache.iterdir())) == 2
    perceive_source(source, cache)  # the running code's version
    assert len(calls) == 3


def test_the_perception_version_follows_the_pipeline_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    version = perception_version()
    assert version == perception_version()
    files = video_judge.module_sources(video_judge.PERCEPTION_MODULE)
    assert any(f.name == "pipeline.py" for f in files) and any(f.name == "events.py" for f in files)
    edited = tmp_path / files[0].parent.name / files[0].name  # the same name, one more line
    edited.parent.mkdir()
    edited.write_bytes(files[0].read_bytes() + b"\n# edited\n")
    monkeypatch.setattr(video_judge, "module_sources", lambda *names: [edited, *files[1:]])
    assert perception_version() != version
