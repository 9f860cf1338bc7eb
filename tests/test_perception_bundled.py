"""Perception on a bundled recording, scored against its ground truth, also re-encoded smaller."""

from __future__ import annotations

import statistics
import subprocess
from pathlib import Path

import pytest

from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.ground_truth import GroundTruth
from iwr.benchmark.perception_score import match_events, score_task
from iwr.benchmark.task import ActionType, Task
from iwr.tools.perception import PerceiveOptions, perceive
from iwr.tools.video import ffmpeg_exe

TASK = "task-board"  # typing, Enter, clicks, assets


@pytest.fixture(scope="module")
def task(bundled_jsonl: Path) -> Task:
    tasks = {t.key: t for t in load_tasks(bundled_jsonl)}
    assert TASK in tasks, f"bundled task {TASK} missing from {bundled_jsonl}"
    return tasks[TASK]


def test_bundled_task_meets_the_targets(task: Task, tmp_path: Path) -> None:
    s = score_task(task, tmp_path)
    f = s.figures()
    assert s.error is None
    assert f["event_recall"] >= 0.95 and f["event_precision"] >= 0.9
    assert f["click_error_px_median"] is not None and f["click_error_px_median"] <= 8
    assert f["kind_accuracy"] >= 0.85
    assert f["typed_text_accuracy"] == 1.0
    assert f["asset_precision"] >= 0.9 and f["asset_recall"] >= 0.9
    assert f["keyframe_ratio"] <= 1 / 3 + 1e-9
    assert f["result_coverage"] == 1.0  # every action has a keyframe showing its result


def test_reencoded_at_another_size_and_rate(task: Task, tmp_path: Path) -> None:
    video = tmp_path / "small.mp4"
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(task.paths.video), "-vf", "scale=960:540",
                    "-r", "24", "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p", str(video)],
                    check=True)
    p = perceive(video, None, tmp_path / "out", PerceiveOptions(ocr=False, assets=False, sheet=False))
    assert p.video.width == 960
    truth = GroundTruth.load(task.paths.ground_truth)
    matches = match_events(p, truth)
    assert len(matches) >= 0.9 * len(truth.steps) and len(matches) >= 0.9 * len(p.events)
    k = 1280 / 960
    errors = []
    for ai, ei in matches.items():
        step, e = truth.steps[ai], p.events[ei]
        if task.actions[ai].type is ActionType.CLICK and e.pointer and step.pointer:
            errors.append(((e.pointer[0] * k - step.pointer.x) ** 2 + (e.pointer[1] * k - step.pointer.y) ** 2) ** 0.5)
    assert errors and statistics.median(errors) <= 8
