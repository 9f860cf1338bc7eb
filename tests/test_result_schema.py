"""The versioned file schema: today's files carry `schema_version`; older, unversioned ones are
read back through the explicit upgrades (old-shape files below are as `iwr` wrote them before)."""

import json
from pathlib import Path

import pytest

from iwr.compare import load_result_set
from iwr.errors import IwrError
from iwr.result_schema import (
    SCHEMA_VERSION,
    EvalSummary,
    RunSummary,
    SummaryRow,
    TaskOutcome,
    read_judge_result,
    read_outcome,
    read_summary,
    summary_1_to_2,
    write_record,
)

OLD_RUN_SUMMARY = {
    "run_id": "r1", "model": "openai/gpt-4o", "agents": ["single-shot"], "tasks_jsonl": "/data/data.jsonl",
    "rows": [
        {"task_id": "t1", "agent": "single-shot", "model": "openai/gpt-4o", "seed": 0, "iteration": 0, "ifs": 0.5, "vfs": 0.4,
         "final": 0.45, "status": "ok", "error": None, "error_kind": None, "probe_ifs": None, "self_test": None},
        {"task_id": "t1", "agent": "single-shot", "model": "openai/gpt-4o", "seed": 0, "iteration": "final", "ifs": 0.5,
         "vfs": 0.4,
         "final": 0.45, "status": "ok", "error": None, "error_kind": None, "probe_ifs": None, "self_test": None},
    ],
    "failures": [], "finished_at": "2026-11-30T10:00:00+00:00", "models": ["openai/gpt-4o"], "seeds": [0], "executor": "local",
    "cells": 1, "completed": 1, "stopped_by_budget": None, "not_started": [], "prompt_tokens": 10, "completion_tokens": 5,
    "cost_usd": 0.01, "stopped_by_fuse": None, "tallies": [], "failure_groups": [], "exit_status": 0,
}
OLD_EVAL_SUMMARY = {
    "tasks": [
        {"task_id": "t1", "ifs": 1.0, "vfs": 0.8, "final": 0.9, "lfs": 0.7, "hfs": None, "success_steps": 3, "total_steps": 3,
         "status": "ok", "error": None, "step_pass_rate": 1.0, "vfs_all": 0.8, "probe_ifs": None, "generalization_gap": None,
         "probes": 0, "blocked_requests": 0, "seconds": 4.2},
        {"task_id": "t2", "ifs": 0.0, "vfs": None, "final": 0.0, "lfs": None, "hfs": None, "success_steps": 0, "total_steps": 2,
         "status": "missing", "error": "page not found: x/index.html", "step_pass_rate": None, "vfs_all": None, "probe_ifs": None,
         "generalization_gap": None, "probes": 0, "blocked_requests": 0, "seconds": None},
    ],
    "macro": {"ifs": 0.5, "vfs": 0.8, "final": 0.45, "lfs": 0.7, "hfs": None, "step_pass_rate": 1.0, "vfs_all": 0.8,
              "probe_ifs": None,
              "generalization_gap": None, "tasks": 2, "scored": 2, "infra_errors": [], "model_errors": [], "missing": ["t2"]},
    "protocol": {"name": "offline", "grounder": "dom", "asserter": "offline", "visual": ["ocr", "structural"],
                 "judge_model": None,
                 "versions": {"iwr": "0.1"}},
    "not_judged": [], "stopped_by_fuse": None,
}
OLD_OUTCOME = {
    "task_id": "t1", "agent": "single-shot", "model": "none", "seed": 0, "status": "ok", "error": None, "error_kind": None,
    "stop_reason": "done", "best_iteration": 0, "rows": OLD_RUN_SUMMARY["rows"], "prompt_tokens": 0, "completion_tokens": 0,
    "cost_usd": None, "model_calls": 0, "wall_s": 1.5, "folder": "single-shot/none/t1", "protocol": None,
}


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_old_run_summary_is_upgraded(tmp_path: Path) -> None:
    summary = read_summary(_write(tmp_path / "r1" / "summary.json", OLD_RUN_SUMMARY))
    assert isinstance(summary, RunSummary) and summary.schema_version == SCHEMA_VERSION
    assert [r.iteration for r in summary.rows] == [0, "final"] and summary.cost_usd == 0.01
    assert load_result_set(str(tmp_path / "r1")).scores == {"t1": {"final": 0.45, "ifs": 0.5, "vfs": 0.4}}


def test_old_eval_summary_is_upgraded(tmp_path: Path) -> None:
    old = dict(OLD_EVAL_SUMMARY)
    del old["not_judged"], old["stopped_by_fuse"]  # eval summaries before the fuse lacked these
    summary = read_summary(_write(tmp_path / "e" / "summary.json", old))
    assert isinstance(summary, EvalSummary) and summary.schema_version == SCHEMA_VERSION
    assert summary.macro.missing == ["t2"] and summary.protocol.visual == ["ocr", "structural"] and summary.not_judged == []
    result = load_result_set(str(tmp_path / "e"))
    assert result.protocol == "offline" and result.failed_kinds == {"t2": "missing"} and result.scores["t1"]["final"] == 0.9


def test_current_files_round_trip(tmp_path: Path) -> None:
    run = RunSummary.model_validate(OLD_RUN_SUMMARY)
    write_record(tmp_path / "run.json", run)
    assert json.loads((tmp_path / "run.json").read_text())["schema_version"] == SCHEMA_VERSION
    assert read_summary(tmp_path / "run.json") == run
    ev = EvalSummary.model_validate(OLD_EVAL_SUMMARY)
    write_record(tmp_path / "eval.json", ev)
    assert json.loads((tmp_path / "eval.json").read_text())["kind"] == "eval"
    assert read_summary(tmp_path / "eval.json") == ev


def test_old_result_json_is_upgraded(tmp_path: Path) -> None:
    outcome = read_outcome(_write(tmp_path / "result.json", OLD_OUTCOME))
    assert isinstance(outcome, TaskOutcome) and outcome.schema_version == SCHEMA_VERSION
    assert outcome.rows[-1] == SummaryRow.model_validate(OLD_RUN_SUMMARY["rows"][-1])


def test_judge_result_without_version_reads_as_version_1(tmp_path: Path) -> None:
    data = {"task_id": "t1", "protocol": OLD_EVAL_SUMMARY["protocol"], "scores": {"ifs": 1.0}}
    result = read_judge_result(_write(tmp_path / "eval.json", data))
    assert result.version == 1 and result.scores.ifs == 1.0


def test_unknown_shapes_and_newer_versions_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="neither 'rows'"):
        summary_1_to_2({"something": []})
    with pytest.raises(IwrError, match="newer than this iwr reads"):
        read_summary(_write(tmp_path / "new.json", {**OLD_RUN_SUMMARY, "schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(IwrError, match="expected a JSON object"):
        read_summary(_write(tmp_path / "list.json", OLD_RUN_SUMMARY["rows"]))
    with pytest.raises(IwrError, match=r"field run\.rows"):
        read_summary(_write(tmp_path / "bad.json", {**OLD_RUN_SUMMARY, "rows": "x"}))


def test_the_judges_summary_rows_are_the_eval_schemas_rows_and_macro_skips_infra_errors() -> None:
    from iwr.benchmark.judge.judge import eval_macro, missing_row, summary_row
    from iwr.benchmark.judge.types import JudgeResult, Protocol, Status

    protocol = Protocol.model_validate(OLD_EVAL_SUMMARY["protocol"])
    rows = [summary_row(JudgeResult(task_id="t1", protocol=protocol, scores={"ifs": 1.0})), missing_row("t2", 3, "no page"),
            summary_row(JudgeResult(task_id="t3", protocol=protocol, scores={"ifs": 0.0}, status=Status.INFRA_ERROR, error="chromium died"))]
    summary = EvalSummary(tasks=rows, macro=eval_macro(rows), protocol=protocol)
    back = EvalSummary.model_validate_json(summary.model_dump_json())
    assert back.macro.missing == ["t2"] and back.macro.infra_errors == ["t3"]
    assert (back.macro.tasks, back.macro.scored, back.macro.ifs) == (3, 2, 0.5)  # the missing page counts 0, infra not at all
    assert back.tasks[1].status == "missing" and back.tasks[1].total_steps == 3
