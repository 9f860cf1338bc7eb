"""The experiment runner behind `iwr run`: a grid of tasks x agents x models x seeds, with resume.

The driver plans the grid (`iwr.grid`), loads finished cells on `--resume`, and hands the rest
to an executor (`iwr.executors`: local asyncio with one shared judge, or Ray with a judge per
worker); it alone writes the store, and stops starting cells once the run budget is spent.

Each cell runs in `iwr.cell_run` (its folder layout is described there).
`RUNS/<run_id>/summary.json` (`iwr.result_schema.RunSummary`) has one row per task x iteration
plus the `final` row, and the run store `RUNS/runs.sqlite` gets the same rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import structlog

from .benchmark.task import Task
from .budget import Budget
from .cell_run import CellRunner, finished_outcome
from .errors import IwrError
from .fuse import Fuse, RunGate
from .grid import NO_MODEL, GridCell
from .result_schema import RunSummary, TaskOutcome, write_record
from .run_plan import inputs_mode, plan_run, resolve_specs
from .run_progress import Progress, QuietProgress
from .run_types import RunOptions

if TYPE_CHECKING:
    from .agents import AgentSpec
    from .benchmark.judge.judge import Judge
    from .executors import ExecutorSetup

log = structlog.get_logger()

API_KEY_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OPENROUTER_API_KEY",
    "MISTRAL_API_KEY",
    "DEEPSEEK_API_KEY",
    "DASHSCOPE_API_KEY",
    "TOGETHERAI_API_KEY",
    "AZURE_API_KEY",
)
SUMMARY_FILE = "summary.json"


def api_key_present() -> bool:
    return any(os.environ.get(v) for v in API_KEY_VARS)


def default_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


class Runner:
    """Runs the grid of `opts` on an executor; the driver alone writes the store and summary."""

    def __init__(self, opts: RunOptions, progress: Progress | None = None) -> None:
        self.opts = opts
        self.progress = progress or QuietProgress()
        self.run_id = opts.run_id or default_run_id()
        self.run_dir = opts.out / self.run_id
        self.specs: dict[str, AgentSpec] = {}
        self.tasks: dict[str, Task] = {}
        self.jsonl: Path | None = None
        self.cells: list[GridCell] = []
        self._cell_runner: CellRunner | None = None
        self._checked = False  # the preflight passed

    # ------------------------------------------------------------ setup

    def prepare(self) -> list[GridCell]:
        """Resolve agents and tasks and plan the grid (raises IwrError on bad options)."""
        plan = plan_run(self.opts)
        self.jsonl, self.specs, self.tasks, self.cells = plan.jsonl, plan.specs, plan.tasks, plan.cells
        self._cell_runner = CellRunner(self.opts, self.run_dir, self.specs, self.tasks, self.progress)
        return self.cells

    def _specs(self) -> list[AgentSpec]:
        return resolve_specs(self.opts)

    def inputs_mode(self) -> Literal["images", "text"]:
        """--inputs; `auto` is text when a model of the run takes no images (see `run_plan.inputs_mode`)."""
        return inputs_mode(self.opts)

    def _store_config(self) -> dict[str, Any]:
        from .run_types import EXECUTION_OPTIONS

        config = self.opts.model_dump(mode="json", exclude=set(EXECUTION_OPTIONS))
        config["tasks_jsonl"] = str(self.jsonl)
        config["agent_labels"] = list(self.specs)
        return config

    # ------------------------------------------------------------ run (driver)

    async def run(self) -> RunSummary:
        from .executors import make_executor, run_cells
        from .store import RunStore, git_commit

        cells = self.prepare()
        if not self.opts.skip_preflight and not self._checked:
            self.check_models()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        budget = Budget(max_tokens=self.opts.max_tokens, max_cost_usd=self.opts.max_cost_usd, max_minutes=self.opts.max_minutes)
        gate = RunGate(budget, Fuse(self.opts.fuse))
        outcomes: dict[GridCell, TaskOutcome] = {}
        with RunStore(self.opts.out) as store:
            executor = make_executor(self.executor_setup(), self.opts.executor)
            async with executor:
                existing = store.run(self.run_id) if self.opts.resume else None
                if existing is not None and "models" not in existing.config:
                    store.replace_config(self.run_id, upgraded_config(existing.config))
                store.start_run(
                    self.run_id, self._store_config(), versions=_versions(), protocol=executor.protocol,
                    commit=git_commit(Path(__file__).resolve().parent.parent), resume=self.opts.resume,
                )
                self.progress.planned(len(cells))
                protocol_known = executor.protocol is not None

                def record(cell: GridCell, outcome: TaskOutcome, fresh: bool = True) -> None:
                    nonlocal protocol_known
                    outcomes[cell] = outcome
                    if fresh:
                        gate.add(outcome)
                    else:  # cells finished by an earlier run count against the budget, not towards the fuse
                        budget.add(outcome, fresh=False)
                    if outcome.protocol and not protocol_known:  # the Ray driver learns it from the workers
                        store.set_protocol(self.run_id, outcome.protocol)
                        protocol_known = True
                    _store_rows(store, self.run_id, outcome, self.run_dir.name)
                    self.progress.finished(cell.label, outcome)

                todo = []
                for cell in cells:
                    done = self.finished_outcome(cell) if self.opts.resume else None
                    if done is None:
                        todo.append(cell)
                    else:
                        record(cell, done, fresh=False)
                not_started = await run_cells(todo, executor, self.opts.jobs, gate, record,
                                              started=lambda c: self.progress.started(c.label, self.specs[c.agent].max_iters + 1))
        if not_started:
            self.progress.stopped(gate.refuses(not_started[0].agent) or "budget spent")
        return self._summary(cells, outcomes, gate, not_started)

    def check_models(self) -> None:
        """Preflight every model the run will call; raise IwrError naming each problem (nothing is written)."""
        from .tools.llm.preflight import ModelUse, preflight

        specs = list(self.specs.values()) or self._specs()  # the agents alone tell which models are called
        model_specs = [s for s in specs if s.needs_model]
        self._checked = not model_specs
        if not model_specs:
            return
        role = "agent" + (" and critic" if any(s.critic for s in model_specs) else "")
        report = preflight([ModelUse(m, role, self.opts.api_base, self.opts.api_key) for m in self.opts.models])
        for warning in report.warnings:
            self.progress.notice(f"warning: {warning}")
        if report.problems:
            raise PreflightFailed([str(p) for p in report.problems])
        self._checked = True

    def _summary(self, cells: list[GridCell], outcomes: dict[GridCell, TaskOutcome], gate: RunGate,
                 not_started: list[GridCell]) -> RunSummary:
        from .tally import exit_status, group_failures, tally

        budget, fuse = gate.budget, gate.fuse
        done = [outcomes[c] for c in cells if c in outcomes]
        finals = [row for o in done for row in o.rows if row.iteration == "final"]
        summary = RunSummary(
            run_id=self.run_id,
            model=", ".join(self.opts.models) or NO_MODEL,
            models=list(self.opts.models),
            seeds=list(self.opts.seeds),
            agents=list(self.specs),
            tasks_jsonl=str(self.jsonl),
            executor=self.opts.executor,
            rows=[row for o in done for row in o.rows],
            failures=[o for o in done if o.status != "ok"],
            finished_at=datetime.now(UTC).isoformat(),
            cells=len(cells),
            completed=len(done),
            stopped_by_budget=(budget.refuses(not_started[0].agent) or "budget spent") if not_started and not fuse.reason else None,
            stopped_by_fuse=fuse.reason if not_started else None,
            tallies=tally(finals), failure_groups=group_failures(finals),
            exit_status=exit_status(finals, fuse.reason if not_started else None),
            not_started=[c.label for c in not_started],
            prompt_tokens=sum(o.prompt_tokens for o in done),
            completion_tokens=sum(o.completion_tokens for o in done),
            cost_usd=None if any(o.cost_usd is None and o.model_calls for o in done) else sum(o.cost_usd or 0.0 for o in done),
        )
        write_record(self.run_dir / SUMMARY_FILE, summary)
        return summary

    def finished_outcome(self, cell: GridCell) -> TaskOutcome | None:
        """The outcome of a cell whose result.json exists (the cell is complete), else None."""
        return finished_outcome(self.run_dir, cell)

    def executor_setup(self) -> ExecutorSetup:
        """What the executors need of this run (after `prepare`)."""
        from .executors import ExecutorSetup

        worker_options = self.opts.model_copy(update={
            "tasks": str(self.jsonl.resolve()) if self.jsonl else self.opts.tasks,
            "out": self.opts.out.resolve(),
            "run_id": self.run_id,
        })
        return ExecutorSetup(run_dir=self.run_dir, probes=self.opts.probes, worker_options=worker_options, run_cell=self.run_cell)

    async def run_cell(self, cell: GridCell, judge: Judge, max_tokens: int | None = None,
                       max_cost_usd: float | None = None) -> TaskOutcome:
        """Reconstruct and judge one cell in this process (see `iwr.cell_run.CellRunner`)."""
        if self._cell_runner is None:
            raise IwrError("Runner.prepare() must run before cells")
        return await self._cell_runner.run_cell(cell, judge, max_tokens, max_cost_usd)


def upgraded_config(config: dict[str, Any]) -> dict[str, Any]:
    """A run configuration stored before grid runs (one `model`, run budgets in the config) in
    today's form, so `--resume` of such a run compares like with like."""
    out = {k: v for k, v in config.items() if k not in ("model", "max_tokens", "max_cost_usd")}
    out["models"] = [config["model"]] if config.get("model") else []
    out.setdefault("seeds", [0])
    return out


class PreflightFailed(IwrError):
    """The models of a run cannot be used as configured; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"preflight found {len(problems)} problem(s); nothing was run or written "
                         f"(--skip-preflight starts anyway):\n{lines}")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("iwr", "langgraph", "litellm", "playwright", "rapidocr"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def _store_rows(store: Any, run_id: str, outcome: TaskOutcome, run_dir_name: str) -> None:
    from .store import ResultRow

    for row in outcome.rows:
        final = row.iteration == "final"
        store.record(ResultRow(
            run_id=run_id, task_id=row.task_id, agent=row.agent, model=row.model, seed=row.seed, iteration=str(row.iteration),
            status=row.status, error=row.error, error_kind=row.error_kind, ifs=row.ifs, vfs=row.vfs, final=row.final,
            probe_ifs=row.probe_ifs,
            prompt_tokens=outcome.prompt_tokens if final else None,
            completion_tokens=outcome.completion_tokens if final else None,
            cost_usd=outcome.cost_usd if final else None,
            wall_s=outcome.wall_s if final else None,
            path=str(Path(run_dir_name) / outcome.folder),
        ))


def run(opts: RunOptions, progress: Progress | None = None) -> RunSummary:
    """Run synchronously (the CLI entry)."""
    return asyncio.run(Runner(opts, progress).run())


ProgressFactory = Callable[[], Progress]
