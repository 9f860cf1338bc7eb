"""`iwr perceive DATA.jsonl --out DIR`: every task of a data set, no ground truth needed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iwr.cli import app
from iwr.logging_setup import configure_logging
from iwr.tools.perception import load_perception
from iwr.tools.perception.synthetic import make_synthetic_recording


@pytest.fixture
def restore_logging() -> Iterator[None]:
    yield
    configure_logging()  # the CLI bound logging to the runner's (now closed) stderr


def _line(task_id: str) -> str:
    return json.dumps({"id": task_id, "recording_details": {"resolution": "1280x720"}, "action_sequence": []})


def test_a_data_set_is_perceived_task_by_task_without_ground_truth(tmp_path: Path, restore_logging: None) -> None:
    rec = tmp_path / "rec"
    truth = make_synthetic_recording(rec)
    root = tmp_path / "set"
    for key in ("one", "two"):
        task = root / "data" / key
        task.mkdir(parents=True)
        shutil.copy(truth.video, task / "video.mp4")
        shutil.copytree(truth.assets_dir, task / "assets")
    (root / "data.jsonl").write_text(_line("one") + "\n" + _line("two") + "\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["perceive", str(root / "data.jsonl"), "--out", str(out), "--no-ocr"])
    assert result.exit_code == 0, result.output
    assert "[1/2] one:" in result.output and "[2/2] two:" in result.output
    assert "perceived 2 of 2 tasks" in result.output
    for key in ("one", "two"):
        p = load_perception(out / key / "perception.json")
        assert len(p.events) == len(truth.actions)
        assert any(a.found for a in p.assets)


def test_a_bad_task_is_reported_and_the_others_still_perceived(tmp_path: Path, restore_logging: None) -> None:
    rec = tmp_path / "rec"
    truth = make_synthetic_recording(rec)
    root = tmp_path / "set"
    (root / "data" / "good").mkdir(parents=True)
    shutil.copy(truth.video, root / "data" / "good" / "video.mp4")
    (root / "data" / "broken").mkdir(parents=True)
    (root / "data" / "broken" / "video.mp4").write_bytes(b"not a video")
    (root / "data.jsonl").write_text(_line("broken") + "\n" + _line("good") + "\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["perceive", str(root), "--out", str(out), "--no-ocr", "--no-assets"])
    assert result.exit_code == 2
    assert "[1/2] broken: error: cannot decode" in result.output
    assert "[2/2] good:" in result.output and "perceived 1 of 2 tasks" in result.output
    assert "could not be perceived: broken" in result.output and "Traceback" not in result.output
    assert (out / "good" / "perception.json").is_file()


def test_bad_data_sets_give_one_line_errors(tmp_path: Path, restore_logging: None) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["perceive", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2 and "no such tasks file" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    result = runner.invoke(app, ["perceive", str(bad)])
    assert result.exit_code == 2 and "error:" in result.output and "Traceback" not in result.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    result = runner.invoke(app, ["perceive", str(empty)])
    assert result.exit_code == 2 and "no tasks" in result.output
