"""Bad inputs give a clear PerceptionError or an empty result, never a crash; CLI prints one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from iwr.cli import app
from iwr.logging_setup import configure_logging
from iwr.tools.perception import PerceiveOptions, PerceptionError, perceive
from iwr.tools.perception.assets import load_asset, match_assets
from iwr.tools.video import Mp4Writer


def test_missing_empty_and_corrupt_videos(tmp_path: Path) -> None:
    with pytest.raises(PerceptionError, match="not found"):
        perceive(tmp_path / "none.mp4", None, tmp_path / "o1")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(PerceptionError, match="empty"):
        perceive(empty, None, tmp_path / "o2")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 255, 20_000, dtype=np.uint8).tobytes())
    with pytest.raises(PerceptionError):
        perceive(corrupt, None, tmp_path / "o3")


def test_video_without_changes_gives_no_events(tmp_path: Path) -> None:
    frame = np.full((240, 320, 3), 230, np.uint8)
    frame[40:80, 40:200] = (30, 90, 200)
    with Mp4Writer(tmp_path / "still.mp4", 320, 240, 10) as w:
        w.write(frame, repeat=30)
    p = perceive(tmp_path / "still.mp4", None, tmp_path / "out", PerceiveOptions(ocr=False))
    assert p.events == []
    assert 1 <= len(p.keyframes) <= 2
    assert (tmp_path / "out" / "perception.json").is_file()


def test_unreadable_assets_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "b.png").write_bytes(b"\x89PNG broken")
    (tmp_path / "c.svg").write_text("<svg/>")
    assert isinstance(load_asset(tmp_path / "a.txt"), str)
    assert isinstance(load_asset(tmp_path / "b.png"), str)
    frame = np.full((120, 160, 3), 255, np.uint8)
    reports = match_assets(sorted(tmp_path.iterdir()), [frame], [None])
    assert [r.readable for r in reports] == [False, False, False]
    assert all(not r.found for r in reports)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    yield
    configure_logging()  # the CLI bound logging to the runner's (now closed) stderr


def test_cli_errors_are_one_line(tmp_path: Path, restore_logging: None) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["perceive", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output
    (tmp_path / "task").mkdir()
    (tmp_path / "task" / "video.mp4").write_bytes(b"junk")
    result = runner.invoke(app, ["perceive", str(tmp_path / "task"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "cannot decode" in result.output
