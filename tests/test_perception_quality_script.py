"""measurements/perception_quality.py: one row of `iwr perceive --score` figures per set, missing sets named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "measurements" / "perception_quality.py"


def test_figures_for_a_given_set_and_missing_sets_named(mini_jsonl: Path, tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(SCRIPT), "--bundled-composed", str(mini_jsonl), "--corpus-screen",
                          str(tmp_path / "nowhere.jsonl"), "--no-record", "--out", str(tmp_path / "out"), "--json"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    figures = result["sets"]["bundled-composed"]
    assert figures["event_recall"] is not None and figures["event_recall"] >= 0.5
    assert figures["seconds_per_video_second"] > 0
    assert set(result["sets"]) == {"bundled-composed"}
    assert "no such tasks file" in result["missing"]["corpus-screen"]
    assert "no path given" in result["missing"]["bundled-screen"]
    assert "--no-record" in result["missing"]["corpus-composed"]
    assert any((tmp_path / "out" / "bundled-composed").iterdir())
