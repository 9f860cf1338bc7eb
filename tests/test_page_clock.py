"""Page time: the recorder and the judge give a page one clock (fixed start, seeded random,
time that flows as the video shows). The fixture app `tests/fixtures/clock_app` gives each
errand the id `new Date().getTime()`, shows "N s since start" (setInterval), hides a toast
2 s after saving (setTimeout) and slides a panel open (0.6 s CSS transition)."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iwr.benchmark.dataset import load_task
from iwr.benchmark.ground_truth import GroundTruth
from iwr.benchmark.judge.judge import Judge, JudgeConfig, demo_trajectory
from iwr.benchmark.judge.types import JudgeResult
from iwr.benchmark.page_clock import DEFAULT_PACE, DEFAULT_START
from iwr.benchmark.recorder import record_demos
from iwr.tools.video import frame_at

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "tests" / "fixtures" / "clock_app"
TASK_ID = "clock-errands"
SAVE, DETAILS = 6, 7  # the steps that show the toast and open the panel
PANEL_WIDTH, TOAST_BOTTOM = 360, 40  # from the app's CSS


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("clock_rec") / "dataset"
    record_demos([APP / "demo.yaml"], out)
    return load_task(out / "data.jsonl", TASK_ID)


@pytest.fixture(scope="module")
def truth(task) -> GroundTruth:
    return GroundTruth.load(task.paths.ground_truth)


def _rgb(path_or_frame: Path | np.ndarray) -> np.ndarray:
    if isinstance(path_or_frame, Path):
        return np.asarray(Image.open(path_or_frame).convert("RGB")).astype(int)
    return path_or_frame.astype(int)


def test_recorded_checkpoints_agree_with_the_demo(truth: GroundTruth) -> None:
    texts = truth.checkpoint_texts
    # time-based ids are distinct: ticking the second errand ticks the second
    assert "eggs (done)" in texts[5] and "milk (to do)" in texts[5] and "1 of 2 done" in texts[5]
    assert "Saved 2 errands" in texts[SAVE]
    assert "Saved 2 errands" not in texts[DETAILS]  # 2 s later the toast is gone
    assert "Opened after 27 s" in texts[DETAILS] and "27 s since start" in texts[DETAILS]
    # the elapsed display reads the page time of every checkpoint
    for step in truth.steps:
        shown = re.search(r"(\d+) s since start", texts[step.index])
        assert shown and int(shown.group(1)) == math.floor(step.checkpoint_at), step.index


def test_page_time_is_video_time_and_the_policy_is_recorded(task, truth: GroundTruth) -> None:
    assert truth.page_clock is not None and truth.page_clock.start == DEFAULT_START
    meta = json.loads(task.paths.metadata.read_text())
    assert meta["page_clock"]["start"].startswith("2026-01-01T12:00:00") and meta["page_clock"]["random_seed"]
    offset = truth.state0_at
    for step in truth.steps:
        video_input, video_checkpoint = step.input_at - offset, step.checkpoint_at - offset
        assert step.span[0] < video_input < video_checkpoint < step.span[1]
    gaps = [b.input_at - a.input_at for a, b in itertools.pairwise(truth.steps)]
    assert all(2.5 < g < 6 for g in gaps)  # a human pace, as the video shows it


def test_video_films_what_timers_and_transitions_do_during_holds(task, truth: GroundTruth) -> None:
    video, offset = task.paths.video, truth.state0_at
    h, w = _rgb(task.paths.checkpoint(0)).shape[:2]
    toast = np.s_[h - TOAST_BOTTOM - 50 : h - TOAST_BOTTOM, w // 2 - 60 : w // 2 + 60]
    shown, hidden = _rgb(task.paths.checkpoint(SAVE))[toast], _rgb(task.paths.checkpoint(SAVE - 1))[toast]
    assert np.abs(shown - hidden).mean() > 20  # the toast is in checkpoint 6 only
    saved = truth.steps[SAVE - 1].input_at - offset
    at_1s, at_2_5s = (_rgb(frame_at(video, saved + t))[toast] for t in (1.0, 2.5))
    assert np.abs(at_1s - shown).mean() < 8 and np.abs(at_2_5s - hidden).mean() < 8
    # the panel slides over 0.6 s of video: mid-way at 0.3 s, fully open at the checkpoint
    opened = truth.steps[DETAILS - 1].input_at - offset
    row = h // 2
    open_row = _rgb(task.paths.checkpoint(DETAILS))[row]
    mid_row = _rgb(frame_at(video, opened + 0.3))[row]
    panel = open_row[w - 10]
    inner = w - PANEL_WIDTH + 20  # inside the open panel, not yet covered half-way
    assert np.abs(open_row[inner] - panel).max() < 12 and np.abs(mid_row[inner] - panel).max() > 40
    assert np.abs(mid_row[w - PANEL_WIDTH // 4] - panel).max() < 12


def _defective(dest: Path, find: str, replace: str) -> Path:
    shutil.copytree(APP, dest)
    page = dest / "index.html"
    text = page.read_text()
    assert find in text
    page.write_text(text.replace(find, replace))
    return dest


@pytest.fixture(scope="module")
def judged(task, tmp_path_factory: pytest.TempPathFactory) -> dict[str, JudgeResult]:
    """One judge session: the app itself, a defective copy, and the app as an official task
    (no ground truth, so no recorded page times)."""
    base = tmp_path_factory.mktemp("clock_judge")
    frozen = _defective(base / "frozen", "const newId = () => new Date().getTime();", "const newId = () => 1767268800000;")
    official = demo_trajectory(task)
    assert official.page_times is None and official.page_clock is None

    async def run() -> dict[str, JudgeResult]:
        async with Judge(JudgeConfig(visual=False, probes=False)) as judge:
            return {
                "reference": await judge.judge_task(task, APP, base / "ref"),
                "frozen ids": await judge.judge_task(task, frozen, base / "bad"),
                "official": await judge.judge(APP, official, task.resolution, None, base / "official", TASK_ID),
            }

    return asyncio.run(run())


def test_judge_gives_candidates_the_recorded_page_time(truth: GroundTruth, judged: dict[str, JudgeResult]) -> None:
    ref = judged["reference"]
    assert ref.scores.ifs == 1.0, [(v.index, v.error, v.assertion) for v in ref.steps if not v.passed]
    applied = ref.page_clock
    assert applied is not None and applied.source == "recorded" and applied.policy.start == DEFAULT_START
    for step in truth.steps:  # the candidate got each input at the reference's page time
        assert applied.applied.inputs[step.index - 1] == pytest.approx(step.input_at, abs=0.002)
        assert applied.applied.checkpoints[step.index - 1] >= step.checkpoint_at - 0.002


def test_defect_fails_at_its_step(judged: dict[str, JudgeResult]) -> None:
    """ids from a frozen constant: ticking the second errand ticks the first (step 5)."""
    bad = judged["frozen ids"]
    first_failure = next(v.index for v in bad.steps if not v.passed)
    assert first_failure == 5 and bad.scores.ifs == pytest.approx(4 / 7)


def test_without_recorded_times_the_judge_keeps_a_default_pace(judged: dict[str, JudgeResult]) -> None:
    result = judged["official"]
    applied = result.page_clock
    assert applied is not None and applied.source == "default pace" and applied.pace == DEFAULT_PACE
    assert applied.policy.start == DEFAULT_START  # the default start date, as recorded
    inputs = applied.applied.inputs
    assert inputs[0] == pytest.approx(applied.applied.state0 + DEFAULT_PACE, abs=0.002)
    assert all(b - a == pytest.approx(DEFAULT_PACE, abs=0.002) for a, b in itertools.pairwise(inputs))
    # time-based ids differ at that pace too: the tick lands on the second errand
    assert [v.passed for v in result.steps[:5]] == [True] * 5
