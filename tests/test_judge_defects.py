"""Planted defects on the bundled apps (offline protocol, real Chromium and OCR): each ends
the prefix exactly at its `breaks_at_step`; a visual-only defect keeps IFS 1 and loses VFS.
At least 3 apps. Shares its judge helpers with `test_judge_validity.py` (a separate file so
the two long halves of the validation can run on different pytest workers).
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import yaml

from iwr.benchmark.bundled import bundled_apps
from iwr.benchmark.judge.judge import Judge
from iwr.benchmark.task import Task
from test_judge_validity import _explain, judge, judge_pages, tasks  # noqa: F401 - fixtures `judge` and `tasks`

DEFECT_APPS = 3


def _defect_apps() -> list[Path]:
    apps = [a.dir for a in bundled_apps() if (a.dir / "defects.yaml").is_file()]
    return apps[:DEFECT_APPS]


def _apply_defect(app_dir: Path, defect: dict, dest: Path) -> Path:
    shutil.copytree(app_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    target = dest / defect["file"]
    text = target.read_text(encoding="utf-8")
    assert text.count(defect["find"]) == 1, (app_dir.name, defect["name"])
    target.write_text(text.replace(defect["find"], defect["replace"]), encoding="utf-8")
    return dest


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("app_dir", _defect_apps(), ids=lambda p: p.name)
def test_planted_defects_break_at_their_step(loop: asyncio.AbstractEventLoop, judge: Judge, app_dir: Path,
                                            tasks: dict[str, Task], tmp_path: Path) -> None:
    task_id = str(yaml.safe_load((app_dir / "demo.yaml").read_text())["id"])
    task = tasks[task_id]
    defects = yaml.safe_load((app_dir / "defects.yaml").read_text())
    visual_only = any(d.get("breaks_at_step") is None for d in defects)
    # visual scores (OCR) only where they are compared: the visual-only defects and the reference
    pages = [("reference", app_dir, visual_only)] + [
        (d["name"], _apply_defect(app_dir, d, tmp_path / "pages" / d["name"]), d.get("breaks_at_step") is None)
        for d in defects
    ]
    results = judge_pages(loop, judge, task, pages, tmp_path / "out")
    ref = results["reference"]
    assert ref.scores.ifs == 1.0, _explain(ref)
    for d in defects:
        r = results[d["name"]]
        if d.get("breaks_at_step") is None:
            assert r.scores.ifs == 1.0, (d["name"], _explain(r))
            assert r.scores.vfs is not None and ref.scores.vfs is not None
            # the reference reproduces its own checkpoints: any visual defect scores lower
            assert r.scores.vfs < ref.scores.vfs - 1e-3, (d["name"], r.scores.vfs, ref.scores.vfs)
        else:
            assert r.success_steps == d["breaks_at_step"] - 1, (d["name"], _explain(r))
