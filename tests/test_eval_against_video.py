"""`iwr eval --against-video`: a task folder and a bare video, protocol `video`, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner
from video_tasks import TALLY_ID, record_tally, tally_page

from iwr.benchmark.judge.types import JudgeResult
from iwr.cli import app


@pytest.fixture(scope="module")
def tally(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The recorded counter task's data.jsonl, and IWR_CACHE_DIR kept inside the module's folder."""
    base = tmp_path_factory.mktemp("tally_cli")
    return record_tally(base)


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tally: Path) -> Path:
    folder = tally.parent / "cache"  # shared by the tests: the video is perceived once
    monkeypatch.setenv("IWR_CACHE_DIR", str(folder))
    return folder


def test_task_folder_and_bare_video(tally: Path, cache: Path, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    tally_page(pages / TALLY_ID)
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(app, ["eval", "--against-video", "--tasks", str(tally), "--pages", str(pages), "--out", str(out),
                              "--no-visual"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["protocol"]["name"] == "video" and summary["tasks"][0]["ifs"] == 1.0
    result = JudgeResult.load(out / TALLY_ID / "eval.json")
    assert result.protocol.name == "video" and result.trajectory == "video"
    assert all("keyframe_" in (s.checkpoint or "") for s in result.steps)  # never the task's checkpoints
    assert "video protocol" in res.output

    # a bare video (copied away from its task folder) and a page folder holding index.html
    video = tmp_path / "recording.mp4"
    shutil.copy(tally.parent / "data" / TALLY_ID / "video.mp4", video)
    broken = tally_page(tmp_path / "broken", add=2)
    out2 = tmp_path / "out2"
    res = runner.invoke(app, ["eval", "--video", str(video), "--pages", str(broken), "--out", str(out2), "--no-visual"])
    assert res.exit_code == 0, res.output
    bare = json.loads((out2 / "summary.json").read_text())
    assert bare["protocol"]["name"] == "video"
    assert bare["tasks"][0]["task_id"] == "recording" and bare["tasks"][0]["ifs"] == 0.0

    # an annotated eval of the same page is never put in one table with the video one
    out3 = tmp_path / "out3"
    res = runner.invoke(app, ["eval", "--tasks", str(tally), "--pages", str(pages), "--out", str(out3), "--no-visual",
                              "--no-probes"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["compare", str(out / "summary.json"), str(out3 / "summary.json")])
    assert res.exit_code != 0 and "protocols differ" in res.output


def test_unreadable_videos_are_clear_errors(tmp_path: Path) -> None:
    page = tally_page(tmp_path / "page")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    runner = CliRunner()
    for video, words in ((empty, "video is empty"), (corrupt, "cannot read video"), (tmp_path / "none.mp4", "not found")):
        res = runner.invoke(app, ["eval", "--video", str(video), "--pages", str(page), "--out", str(tmp_path / "o")])
        assert res.exit_code == 2, res.output
        assert words in res.output and str(video) in res.output
        assert not (tmp_path / "o" / "summary.json").exists()
    res = runner.invoke(app, ["eval", "--against-video", "--pages", str(page), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "--tasks" in res.output
    res = runner.invoke(app, ["eval", "--tasks", "bundled", "--video", str(empty), "--pages", str(page), "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 2 and "either --video or --tasks" in res.output
