"""`iwr compare`: paired deltas checked against a hand computation."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from iwr.cli import app
from iwr.compare import compare, load_result_set, paired_bootstrap
from iwr.errors import IwrError
from iwr.result_schema import RunSummary, SummaryRow, write_record


def write_run(folder: Path, rows: list[dict]) -> Path:
    """A run folder whose summary.json (current schema) holds `rows`."""
    folder.mkdir(parents=True)
    summary = RunSummary(run_id=folder.name, model="m", agents=sorted({r["agent"] for r in rows}), tasks_jsonl="data.jsonl",
                         rows=[SummaryRow.model_validate(r) for r in rows])
    write_record(folder / "summary.json", summary)
    return folder


def rows(agent: str, finals: dict[str, float], ifs: dict[str, float], iteration: str = "final") -> list[dict]:
    return [{"task_id": t, "agent": agent, "model": "m", "iteration": iteration, "final": f, "ifs": ifs[t], "vfs": 0.5,
             "status": "ok"}
            for t, f in finals.items()]


@pytest.fixture()
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    a = write_run(tmp_path / "a", rows("single-shot", {"t1": 0.2, "t2": 0.5, "t3": 0.9}, {"t1": 0.0, "t2": 0.5, "t3": 1.0}))
    b_rows = rows("iterative", {"t1": 0.4, "t2": 0.8, "t3": 0.6, "t4": 1.0}, {"t1": 1.0, "t2": 0.5, "t3": 0.5, "t4": 1.0})
    b_rows.append({"task_id": "t1", "agent": "iterative", "model": "m", "iteration": 0, "final": 0.1, "ifs": 0.0, "vfs": 0.1,
                   "status": "ok"})
    return a, write_run(tmp_path / "b", b_rows)


def test_deltas_match_hand_computation(two_runs: tuple[Path, Path]) -> None:
    a, b = two_runs
    result = compare(load_result_set(str(a)), load_result_set(str(b)), samples=2000)
    final = next(d for d in result.deltas if d.metric == "final")
    # paired tasks t1..t3: deltas +0.2, +0.3, -0.3 -> mean 0.0667
    assert final.n == 3
    assert final.delta == pytest.approx((0.2 + 0.3 - 0.3) / 3)
    assert final.mean_a == pytest.approx((0.2 + 0.5 + 0.9) / 3)
    assert final.ci_low <= final.delta <= final.ci_high
    assert final.ci_low >= -0.3 - 1e-9 and final.ci_high <= 0.3 + 1e-9  # bounded by the extreme deltas
    assert result.flipped_to_pass == ["t1"] and result.flipped_to_fail == ["t3"]
    assert result.unpaired == ["t4"]


def test_selector_picks_an_iteration(two_runs: tuple[Path, Path]) -> None:
    _, b = two_runs
    it0 = load_result_set(f"{b}#iteration=0")
    assert it0.scores == {"t1": {"final": 0.1, "ifs": 0.0, "vfs": 0.1}}


def test_bootstrap_interval_is_degenerate_for_constant_deltas() -> None:
    low, high, p = paired_bootstrap(np.zeros(5), np.full(5, 0.25), samples=500, seed=1)
    assert low == pytest.approx(0.25) and high == pytest.approx(0.25) and p == 0.0


def test_mixed_protocols_are_refused(tmp_path: Path) -> None:
    for name, proto in (("x", "offline"), ("y", "official")):  # eval summaries of before the schema version
        (tmp_path / name).mkdir()
        protocol = {"name": proto, "grounder": "dom", "asserter": "offline", "visual": []}
        (tmp_path / name / "summary.json").write_text(json.dumps({"protocol": protocol, "macro": {"tasks": 1, "scored": 1},
                                                                  "tasks": [{"task_id": "t", "ifs": 1.0, "final": 1.0,
                                                                             "status": "ok"}]}))
    with pytest.raises(IwrError, match="protocols differ"):
        compare(load_result_set(str(tmp_path / "x")), load_result_set(str(tmp_path / "y")))


def test_cli_prints_table_and_errors_cleanly(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = two_runs
    runner = CliRunner()
    ok = runner.invoke(app, ["compare", str(a), str(b)])
    assert ok.exit_code == 0, ok.output
    assert "+6.67" in ok.output and "t1" in ok.output
    missing = runner.invoke(app, ["compare", str(a), str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "no summary.json" in missing.output


def test_each_side_says_what_was_scored_and_why_the_rest_failed(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", rows("single-shot", {"t1": 0.2, "t2": 0.5}, {"t1": 0.0, "t2": 0.5}))
    b_rows = [
        *rows("iterative", {"t1": 0.4}, {"t1": 1.0}),
        {"task_id": "t2", "agent": "iterative", "model": "m", "iteration": "final", "status": "model_error", "error_kind": "auth",
         "error": "auth [draft]: Incorrect API key provided."},
        {"task_id": "t3", "agent": "iterative", "model": "m", "iteration": "final", "status": "infra_error",
         "error_kind": "infra"},
    ]
    b = write_run(tmp_path / "b", b_rows)
    result = compare(load_result_set(str(a)), load_result_set(str(b)))
    assert result.a_tasks == "2 of 2 tasks scored"
    assert result.b_tasks == "1 of 3 tasks scored; 1 failed: auth (t2); 1 infra failure(s), not scored: t3"
    assert result.unpaired == ["t2", "t3"] and [d.n for d in result.deltas if d.metric == "final"] == [1]
    out = CliRunner().invoke(app, ["compare", str(a), str(b)]).output
    assert "B: 1 of 3 tasks scored; 1 failed: auth (t2)" in out
    nothing = write_run(tmp_path / "c", [{**b_rows[1], "task_id": "t1"}])
    out = CliRunner().invoke(app, ["compare", str(a), str(nothing)]).output
    assert "B: 0 of 1 tasks scored; 1 failed: auth (t1)" in out and "nothing to compare" in out
