"""Validity reports saved, read back, and two runs compared verdict by verdict."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from iwr.benchmark.validity import AppReport, Judged, Outcome, PageReport
from iwr.benchmark.validity.saved_reports import compare_reports, load_reports, save_report


def _app(step: int | None = 3, vfs: float = 0.9, extra_page: bool = False) -> AppReport:
    judged = {"gt": Judged(ifs=0.5, vfs=vfs, step=step, outcome=Outcome.AT_STEP if step == 3 else Outcome.LATE,
                           reason=f"step {step} assertion failed", seconds=12.0)}
    pages = [PageReport(name="reference", kind="reference", label="reference", description="/a/ref"),
             PageReport(name="mutant-001", kind="mutant", label="arithmetic", description="/a/m1", truth=3, judged=judged)]
    if extra_page:
        pages.append(PageReport(name="blank", kind="blank", label="blank", description="/a/blank"))
    return AppReport(name="calc", pages=pages, deterministic=True, probe_seconds=10.0, judge_seconds=20.0)


def test_a_saved_run_reads_back_the_same(tmp_path: Path) -> None:
    save_report(_app(), tmp_path)
    [back] = load_reports(tmp_path)
    assert back == _app()
    assert back.pages[1].judged["gt"].outcome is Outcome.AT_STEP
    assert compare_reports([_app()], load_reports(tmp_path)).same


def test_timings_paths_and_tiny_vfs_noise_are_not_differences() -> None:
    after = _app(vfs=0.9 + 1e-8)
    after.probe_seconds = 99.0
    after.pages[0] = replace(after.pages[0], description="/elsewhere/ref")
    diff = compare_reports([_app()], [after])
    assert diff.same, diff.differences
    assert diff.compared > 10
    assert 0 < diff.max_float_delta < 1e-6


def test_a_changed_verdict_a_vfs_change_and_a_new_page_are_each_reported() -> None:
    diff = compare_reports([_app()], [_app(step=4, vfs=0.8, extra_page=True)])
    assert not diff.same
    lines = "\n".join(diff.differences)
    assert "calc/pages/mutant-001/judged/gt/step: 3 -> 4" in lines
    assert "calc/pages/mutant-001/judged/gt/outcome: 'at step' -> 'late'" in lines
    assert "calc/pages/mutant-001/judged/gt/vfs: 0.9 -> 0.8" in lines
    assert "calc/pages/blank: only after" in lines
    assert compare_reports([_app()], []).differences == ["calc: only before"]
