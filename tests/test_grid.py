"""Grid planning, budgets, the scheduler, per-provider model concurrency, the store migration
and the `iwr run` grid options (all fast: no browser)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iwr.benchmark.judge.types import Protocol
from iwr.budget import Budget
from iwr.cli import app
from iwr.errors import IwrError
from iwr.executors import run_cells
from iwr.grid import NO_MODEL, GridCell, parse_seeds, plan_grid
from iwr.result_schema import SummaryRow, TaskOutcome
from iwr.store import STORE_VERSION, RunStore
from iwr.tools.llm import LLMGateway, LLMSettings, Message
from iwr.tools.llm.fake_server import FakeOpenAIServer
from iwr.tools.llm.gateway import ProviderLimits


def test_plan_is_the_cross_product_and_offline_agents_ignore_the_model() -> None:
    cells = plan_grid(["t1", "t2"], [("iterative", True), ("blank", False)], ["a/m1", "b/m2"], [0, 3])
    llm = [c for c in cells if c.agent == "iterative"]
    assert len(llm) == 2 * 2 * 2 and len(set(llm)) == len(llm)
    assert {(c.model, c.seed) for c in llm} == {("a/m1", 0), ("a/m1", 3), ("b/m2", 0), ("b/m2", 3)}
    offline = [c for c in cells if c.agent == "blank"]
    assert {(c.task_id, c.model, c.seed) for c in offline} == {(t, NO_MODEL, s) for t in ("t1", "t2") for s in (0, 3)}
    per_task = len(cells) // 2  # task-major: a budget stop leaves whole tasks with every agent
    assert {c.task_id for c in cells[:per_task]} == {"t1"} and {c.agent for c in cells[:per_task]} == {"iterative", "blank"}


def test_cell_folders_keep_the_single_seed_layout_and_separate_seeds(tmp_path: Path) -> None:
    zero = GridCell(task_id="t1", agent="single-shot", model="openai/gpt-4o")
    three = zero.model_copy(update={"seed": 3})
    assert zero.folder(tmp_path) == tmp_path / "single-shot" / "openai_gpt-4o" / "t1"
    assert three.folder(tmp_path) == tmp_path / "single-shot" / "openai_gpt-4o" / "seed-3" / "t1"
    assert zero.label != three.label


def test_parse_seeds() -> None:
    assert parse_seeds("3") == [0, 1, 2]
    assert parse_seeds("0,5,7") == [0, 5, 7]
    for bad in ("0", "1,1", "x", "-1,2"):
        with pytest.raises(ValueError):
            parse_seeds(bad)


def _outcome(cell: GridCell, tokens: int = 0, cost: float | None = 0.0, calls: int = 1) -> TaskOutcome:
    row = SummaryRow(task_id=cell.task_id, agent=cell.agent, model=cell.model, seed=cell.seed, iteration="final", final=0.5)
    return TaskOutcome(task_id=cell.task_id, agent=cell.agent, model=cell.model, seed=cell.seed, status="ok", rows=[row],
                       prompt_tokens=tokens, cost_usd=cost, model_calls=calls)


def test_budget_counts_tokens_and_known_costs() -> None:
    cell = GridCell(task_id="t", agent="a", model="m")
    b = Budget(max_tokens=100, max_cost_usd=1.0)
    b.add(_outcome(cell, tokens=60, cost=0.4))
    assert b.exhausted_reason is None and b.remaining_tokens() == 40
    b.add(_outcome(cell, tokens=10, cost=None))
    assert b.unknown_cost_cells == 1 and b.cost_usd == pytest.approx(0.4)
    b.add(_outcome(cell, tokens=30, cost=0.0))
    assert b.exhausted_reason and "token" in b.exhausted_reason
    dollars = Budget(max_cost_usd=0.5)
    dollars.add(_outcome(cell, cost=0.5))
    assert dollars.exhausted_reason and "cost" in dollars.exhausted_reason


def test_time_budget_starts_no_cell_that_would_end_past_the_cap() -> None:
    cell = GridCell(task_id="t", agent="a", model="m")
    b = Budget(max_minutes=1.0)
    assert b.exhausted_reason is None  # nothing finished yet: the first cells may start
    b.add(_outcome(cell).model_copy(update={"wall_s": 20.0}))
    assert b.exhausted_reason is None  # 20 s per cell on average, 60 s left
    b.started -= 45  # 45 s elapsed: a 20 s cell would end past the minute
    assert b.exhausted_reason and "time budget" in b.exhausted_reason
    earlier = Budget(max_minutes=1.0)
    earlier.add(_outcome(cell).model_copy(update={"wall_s": 3600.0}), fresh=False)  # finished by an earlier run
    assert earlier.exhausted_reason is None and earlier.cell_seconds == {}


def test_time_budget_judges_each_agent_by_its_own_cells() -> None:
    quick, slow = GridCell(task_id="t", agent="single-shot", model="m"), GridCell(task_id="t", agent="iterative", model="m")
    b = Budget(max_minutes=10.0)
    b.add(_outcome(quick).model_copy(update={"wall_s": 60.0}))
    b.started -= 7 * 60  # 7 of 10 minutes spent
    assert b.refuses("single-shot") is None and b.refuses("iterative") is None  # no iterative cell done: the mean of all
    b.add(_outcome(slow).model_copy(update={"wall_s": 240.0}))
    assert b.refuses("single-shot") is None  # 1 min left after a 1-min cell
    assert b.refuses("iterative") and "time budget" in (b.refuses("iterative") or "")  # a 4-min cell would end past 10
    assert b.exhausted_reason is None  # all agents: the mean cell of 2.5 min still fits


def test_scheduler_stops_starting_cells_when_the_time_is_spent() -> None:
    cells = [GridCell(task_id=f"t{i}", agent="a", model="m") for i in range(20)]
    budget = Budget(max_minutes=1 / 60)  # 1 s; each cell sleeps 0.1 s, 2 s for all

    def record(cell: GridCell, outcome: TaskOutcome) -> None:
        budget.add(outcome.model_copy(update={"wall_s": 0.3}))  # as if each cell took 0.3 s

    left = asyncio.run(run_cells(cells, _SleepyExecutor(tokens=0, seconds=0.1), 1, budget, record))
    assert 0 < len(left) < len(cells)  # some ran, then the clock stopped the rest


class _SleepyExecutor:
    """Cells that take a moment and spend tokens; records the in-flight peak and the caps passed."""

    protocol = None

    def __init__(self, tokens: int, seconds: float = 0.02) -> None:
        self.tokens, self.seconds = tokens, seconds
        self.in_flight = self.peak = 0
        self.caps: list[int | None] = []

    async def run_cell(self, cell: GridCell, max_tokens: int | None, max_cost_usd: float | None) -> TaskOutcome:
        self.caps.append(max_tokens)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(self.seconds)
        self.in_flight -= 1
        return _outcome(cell, tokens=self.tokens)


def test_scheduler_keeps_jobs_in_flight_and_stops_starting_cells_when_the_budget_is_spent() -> None:
    cells = [GridCell(task_id=f"t{i}", agent="a", model="m") for i in range(10)]
    executor = _SleepyExecutor(tokens=40)
    budget = Budget(max_tokens=100)
    done: list[GridCell] = []

    def record(cell: GridCell, outcome: TaskOutcome) -> None:
        done.append(cell)
        budget.add(outcome)

    started: list[GridCell] = []
    left = asyncio.run(run_cells(cells, executor, 2, budget, record, started=started.append))
    # 2 in flight at a time: after 2 cells 80 tokens (go on), after 4 cells 160 (stop); none lost or doubled
    assert executor.peak == 2
    assert len(done) == 4 and left == cells[4:]
    assert sorted(done + left, key=cells.index) == cells and set(started) == set(done)
    assert executor.caps[:2] == [100, 100] and min(c for c in executor.caps if c is not None) == 20
    unlimited = _SleepyExecutor(tokens=40)
    assert asyncio.run(run_cells(cells, unlimited, 3, Budget(), lambda c, o: None)) == []
    assert unlimited.peak == 3


def test_provider_limits_parse_and_reject_bad_entries() -> None:
    limits = ProviderLimits.parse("openai=4, default=8")
    assert limits.limit_for("openai") == 4 and limits.limit_for("anthropic") == 8
    assert ProviderLimits.parse("openai=2").limit_for("anthropic") is None
    for bad in ("openai", "openai=x", "=3", "openai=0"):
        with pytest.raises(ValueError):
            ProviderLimits.parse(bad)


def test_gateways_share_a_per_provider_cap_on_requests_in_flight() -> None:
    delay = 0.4
    with FakeOpenAIServer([{"fault": "delay", "seconds": delay, "text": "ok"}] * 6) as srv:
        limits = ProviderLimits({"openai": 2})
        settings = LLMSettings(model=srv.model, api_base=srv.api_base, api_key="x", cache=False, max_retries=0)
        gateways = [LLMGateway(settings, limits=limits) for _ in range(3)]  # e.g. three tasks of one run

        async def calls() -> None:
            await asyncio.gather(*(g.complete([Message(role="user", content=f"q{i}-{j}")], "draft")
                                   for i, g in enumerate(gateways) for j in range(2)))

        started = time.monotonic()
        asyncio.run(calls())
        elapsed = time.monotonic() - started
    assert srv.model.split("/")[0] == "openai"
    assert limits.peak["openai"] == 2
    assert elapsed >= 3 * delay * 0.95  # six calls, two at a time


def test_store_migrates_a_results_table_without_seeds(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "runs.sqlite")
    db.executescript("""
        CREATE TABLE runs (run_id TEXT PRIMARY KEY, created_at REAL NOT NULL, config TEXT NOT NULL, git_commit TEXT,
                           versions TEXT NOT NULL, protocol TEXT);
        CREATE TABLE results (run_id TEXT NOT NULL, task_id TEXT NOT NULL, agent TEXT NOT NULL, model TEXT NOT NULL,
                              iteration TEXT NOT NULL, status TEXT NOT NULL, error TEXT, ifs REAL, vfs REAL, final REAL,
                              lfs REAL, hfs REAL, probe_ifs REAL, step_pass_rate REAL, vfs_all REAL, prompt_tokens INTEGER,
                              completion_tokens INTEGER, cost_usd REAL, wall_s REAL, path TEXT, updated_at REAL NOT NULL,
                              PRIMARY KEY (run_id, task_id, agent, model, iteration));
        INSERT INTO runs VALUES ('old', 1.0, '{}', NULL, '{}', NULL);
        INSERT INTO results (run_id, task_id, agent, model, iteration, status, final, updated_at)
            VALUES ('old', 't1', 'blank', 'none', 'final', 'ok', 0.25, 1.0);
    """)
    db.close()
    with RunStore(tmp_path) as store:
        [row] = store.rows("old")
        assert (row.task_id, row.seed, row.final) == ("t1", 0, 0.25)
        assert store.is_complete("old", "t1", "blank", "none", seed=0)
        store.record(row.model_copy(update={"seed": 1}))  # seeds are part of the key now
        assert [r.seed for r in store.rows("old")] == [0, 1]
        offline = Protocol(name="offline", grounder="dom", asserter="offline", visual=["ocr"])
        store.set_protocol("old", offline)
        assert store.run("old").protocol == offline  # type: ignore[union-attr]
    db = sqlite3.connect(tmp_path / "runs.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == STORE_VERSION  # upgraded once, versioned from now on
    db.execute(f"PRAGMA user_version = {STORE_VERSION + 1}")
    db.close()
    with pytest.raises(IwrError, match="newer than this iwr reads"):
        RunStore(tmp_path)


@pytest.mark.parametrize("args, message", [
    (["--seeds", "0"], "seeds"),
    (["--model-concurrency", "openai"], "model concurrency"),
    (["--executor", "spark"], "--executor"),
])
def test_run_rejects_bad_grid_options_with_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    import gc

    gc.collect()  # an earlier test's dead LiteLLM logging coroutine, collected during the call, prints "Exception ignored" there
    result = CliRunner().invoke(app, ["run", "--agent", "blank", "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


def test_progress_line_counts_running_failed_tokens_and_cost() -> None:
    from iwr.commands.run import RichProgress

    progress = RichProgress(total=3)
    cells = [GridCell(task_id=f"t{i}", agent="a", model="m") for i in range(3)]
    for c in cells:
        progress.started(c.label, 1)
    progress.finished(cells[0].label, _outcome(cells[0], tokens=100, cost=0.25))
    failed = _outcome(cells[1], tokens=20, cost=None).model_copy(update={"status": "model_error", "error": "auth: no key"})
    progress.finished(cells[1].label, failed)
    line = progress.describe()
    assert "1 running" in line and "1 failed" in line and "120 tokens" in line and "$0.2500+?" in line


def test_a_run_configuration_from_before_grids_is_upgraded_for_resume(tmp_path: Path) -> None:
    from iwr.run_types import EXECUTION_OPTIONS, RunOptions
    from iwr.runner import upgraded_config

    opts = RunOptions(agents=["single-shot"], models=["openai/gpt-4o"], max_tokens=500)
    today = opts.model_dump(mode="json", exclude=set(EXECUTION_OPTIONS))
    old = {k: v for k, v in today.items() if k not in ("models", "seeds")} | {"model": "openai/gpt-4o", "max_tokens": None,
                                                                           "max_cost_usd": None}
    assert upgraded_config(old) == today
    offline = {k: v for k, v in old.items()} | {"model": None}
    assert upgraded_config(offline)["models"] == []
