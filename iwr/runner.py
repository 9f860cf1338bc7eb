"""The experiment runner behind `iwr run`: a grid of tasks x agents x models x seeds, with resume.

The driver plans the grid (`iwr.grid`), loads finished cells on `--resume`, and hands the rest
to an executor (`iwr.executors`: local asyncio with one shared judge, or Ray with a judge per
worker); it alone writes the store, and stops starting cells once the run budget is spent.

Layout: `RUNS/<run_id>/<agent>/<model-slug>/[seed-<n>/]<task_id>/` holds `inputs/` (the agent's
staging copy of video and assets, nothing else), `iter_<k>/index.html`, `final/index.html`,
`self_test/`, `perception/`, `judge/iter_<k>/` + `judge_iter_<k>.json` (ground-truth judge,
for the record only), `judge_final.json`, `transcript.jsonl`, `log.jsonl`,
`checkpoint.sqlite` (LangGraph) and `result.json` (written last: the task is complete).
`RUNS/<run_id>/summary.json` has one row per task x iteration plus the `final` row, and the
run store `RUNS/runs.sqlite` gets the same rows.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import structlog

from .benchmark.judge.types import JudgeResult
from .benchmark.task import Task
from .errors import IwrError
from .result_schema import RunSummary, StatusName, SummaryRow, TaskOutcome, read_judge_result, read_outcome, write_record
from .run_types import RunOptions
from .budget import Budget
from .fuse import Fuse, RunGate
from .grid import NO_MODEL, GridCell, plan_grid
from .staging import stage_inputs

if TYPE_CHECKING:
    from .agents import AgentSpec
    from .graphs import ReconstructionState
    from .tools.llm import LLMGateway

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
RESULT_FILE = "result.json"
SUMMARY_FILE = "summary.json"


class Progress(Protocol):
    """Live progress sink (the CLI shows it with rich)."""

    def planned(self, total: int) -> None: ...

    def started(self, key: str, total: int) -> None: ...

    def update(self, key: str, note: str) -> None: ...

    def finished(self, key: str, outcome: TaskOutcome) -> None: ...

    def stopped(self, reason: str) -> None: ...

    def notice(self, text: str) -> None: ...


class _Quiet:
    def planned(self, total: int) -> None: ...

    def started(self, key: str, total: int) -> None: ...

    def update(self, key: str, note: str) -> None: ...

    def finished(self, key: str, outcome: TaskOutcome) -> None: ...

    def stopped(self, reason: str) -> None: ...

    def notice(self, text: str) -> None: ...


class TaskLog:
    """Append-only JSON lines log of one task run (`log.jsonl`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, event: str, **fields: Any) -> None:
        record = {"time": datetime.now(timezone.utc).isoformat(), "event": event, **fields}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, default=str) + "\n")


def api_key_present() -> bool:
    return any(os.environ.get(v) for v in API_KEY_VARS)


def default_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")


def _rebase(value: str | None, base: Path, task_dir: Path) -> str | None:
    """A judge path relative to its out dir, made relative to the task folder."""
    if not value:
        return value
    p = Path(value)
    if p.is_absolute():
        return value
    return str((base / p).relative_to(task_dir)) if (base / p).exists() else value


def rebased_result(result: JudgeResult, out_dir: Path, task_dir: Path) -> JudgeResult:
    """A copy of `result` whose screenshot paths are relative to the task folder."""
    data = result.model_copy(deep=True)
    data.state0_screenshot = _rebase(data.state0_screenshot, out_dir, task_dir)
    for step in data.steps:
        step.screenshot = _rebase(step.screenshot, out_dir, task_dir)
    data.probes = [rebased_result(p, out_dir, task_dir) for p in data.probes]
    return data


def _row(cell: GridCell, iteration: int | Literal["final"], result: JudgeResult | None,
         status: StatusName | None = None, error: str | None = None, self_test: float | None = None,
         error_kind: str | None = None) -> SummaryRow:
    ident = {"task_id": cell.task_id, "agent": cell.agent, "model": cell.model, "seed": cell.seed}
    if result is None:
        return SummaryRow(**ident, iteration=iteration, status=status or "infra_error", error=error or "no judge result",
                          error_kind=error_kind or "infra", self_test=self_test)
    status = status or result.status.value
    kind = None if status == "ok" else error_kind or ("infra" if status == "infra_error" else "judge_model")
    return SummaryRow(
        **ident, iteration=iteration,
        ifs=result.scores.ifs, vfs=result.scores.vfs, final=result.scores.final,
        status=status, error=error or result.error, error_kind=kind,
        probe_ifs=result.probe_ifs, self_test=self_test,
    )


class Runner:
    """Runs the grid of `opts` on an executor; the driver alone writes the store and summary."""

    def __init__(self, opts: RunOptions, progress: Progress | None = None) -> None:
        self.opts = opts
        self.progress = progress or _Quiet()
        self.run_id = opts.run_id or default_run_id()
        self.run_dir = opts.out / self.run_id
        self.specs: dict[str, "AgentSpec"] = {}
        self.tasks: dict[str, Task] = {}
        self.jsonl: Path | None = None
        self.cells: list[GridCell] = []
        self._limits: Any = None
        self._checked = False  # the preflight passed

    # ------------------------------------------------------------ setup

    def prepare(self) -> list[GridCell]:
        """Resolve agents and tasks and plan the grid (raises IwrError on bad options)."""
        specs = self._specs()
        self.jsonl, tasks = self._tasks()
        self.specs = {s.run_name: s for s in specs}
        self.tasks = {t.key: t for t in tasks}
        self.cells = plan_grid([t.key for t in tasks], [(s.run_name, s.needs_model) for s in specs],
                               self.opts.models, self.opts.seeds)
        return self.cells

    def _specs(self) -> list["AgentSpec"]:
        from .agents import resolve_agent

        specs = [
            resolve_agent(
                name,
                max_iters=self.opts.max_iters if name == "iterative" else None,
                repair_style=self.opts.repair_style,
                use_perception=self.opts.perception,
                reasoning_effort=self.opts.reasoning_effort,
                oracle_feedback=self.opts.oracle_feedback,
                critic=self.opts.critic if name == "iterative" else None,
                inputs=self.inputs_mode(),
            )
            for name in self.opts.agents
        ]
        for spec in specs:
            if spec.needs_model and not self.opts.models:
                raise IwrError(f"agent {spec.name} needs a model: pass --model provider/name")
        if not specs:
            raise IwrError("no agent given: pass --agent NAME (see `iwr agents`)")
        return specs

    def inputs_mode(self) -> Literal["images", "text"]:
        """--inputs; `auto` is text when a model of the run takes no images (its agents are labelled +text)."""
        if self.opts.inputs != "auto":
            return self.opts.inputs
        from .tools.llm.vision import image_support

        for model in self.opts.models:
            support = image_support(model, self.opts.api_base)
            if not support.images:
                log.info("text-only model: agents get the video as text", model=model, source=support.source)
                return "text"
        return "images"

    def _tasks(self) -> tuple[Path, list[Task]]:
        from .benchmark.dataset import load_tasks
        from .benchmark.tasks_source import resolve_tasks_path

        jsonl = resolve_tasks_path(self.opts.tasks)
        tasks = load_tasks(jsonl)
        if self.opts.task_ids:
            wanted = set(self.opts.task_ids)
            unknown = wanted - {t.key for t in tasks}
            if unknown:
                raise IwrError(f"unknown task id(s) {', '.join(sorted(unknown))} in {jsonl}")
            tasks = [t for t in tasks if t.key in wanted]
        if not tasks:
            raise IwrError(f"no tasks in {jsonl}")
        return jsonl, tasks

    def provider_limits(self) -> Any:
        """The per-provider model-call caps shared by every gateway of this process."""
        if self._limits is None:
            from .tools.llm.gateway import ProviderLimits

            self._limits = ProviderLimits(self.opts.model_concurrency)
        return self._limits

    def _gateway(self, cell: GridCell, task_dir: Path) -> "LLMGateway":
        from .tools.llm import LLMGateway, LLMSettings

        extra: dict[str, Any] = {}
        if self.opts.llm_timeout is not None:
            extra["timeout"] = self.opts.llm_timeout
        if self.opts.llm_max_retries is not None:
            extra["max_retries"] = self.opts.llm_max_retries
        if self.opts.llm_retry_max_wait is not None:
            extra["retry_max_wait"] = self.opts.llm_retry_max_wait
            extra["retry_base_wait"] = min(1.0, self.opts.llm_retry_max_wait)
        settings = LLMSettings(
            model=cell.model,
            api_base=self.opts.api_base,
            api_key=self.opts.api_key,
            reasoning_effort=self.opts.reasoning_effort,
            cache=self.opts.cache,
            seed=cell.seed,
            **extra,
        )
        # one response cache per seed: seed n must not be answered from seed m's calls
        cache = self.run_dir / ("llm_cache.sqlite" if cell.seed == 0 else f"llm_cache_seed{cell.seed}.sqlite")
        return LLMGateway(settings, cache_path=cache, transcript_path=task_dir / "transcript.jsonl",
                          limits=self.provider_limits())

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
        budget = Budget(max_tokens=self.opts.max_tokens, max_cost_usd=self.opts.max_cost_usd)
        gate = RunGate(budget, Fuse(self.opts.fuse))
        outcomes: dict[GridCell, TaskOutcome] = {}
        with RunStore(self.opts.out) as store:
            executor = make_executor(self)
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
                        budget.add(outcome)
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
                not_started = await run_cells(todo, executor, self, gate, record)  # type: ignore[arg-type]
        if not_started:
            self.progress.stopped(gate.exhausted_reason or "budget spent")
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
            finished_at=datetime.now(timezone.utc).isoformat(),
            cells=len(cells),
            completed=len(done),
            stopped_by_budget=(budget.exhausted_reason or "budget spent") if not_started and not fuse.reason else None,
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
        path = cell.folder(self.run_dir) / RESULT_FILE
        if not path.is_file():
            return None
        try:
            outcome = read_outcome(path)
        except IwrError:  # a torn file cannot happen (atomic write), but never trust it blindly
            return None
        from .tools.llm.errors import PROVIDER_KINDS

        if outcome.status == "model_error" and outcome.error_kind in PROVIDER_KINDS:
            return None  # the model could not be used (key, name, endpoint, provider): run the cell again
        return outcome

    # ------------------------------------------------------------ one cell (local or Ray worker)

    async def run_cell(self, cell: GridCell, judge: Any, max_tokens: int | None = None,
                       max_cost_usd: float | None = None) -> TaskOutcome:
        """Reconstruct and judge one cell; every failure becomes a status. `max_*` cap the agent."""
        spec, task = self.specs[cell.agent], self.tasks[cell.task_id]
        task_dir = cell.folder(self.run_dir)
        if self.opts.resume and (done := self.finished_outcome(cell)) is not None:
            return done
        task_dir.mkdir(parents=True, exist_ok=True)
        tlog = TaskLog(task_dir / "log.jsonl")
        label = cell.label
        started = time.monotonic()
        tlog.write("start", task_id=task.key, agent=spec.run_name, model=cell.model, seed=cell.seed, resume=self.opts.resume)
        outcome = TaskOutcome(task_id=task.key, agent=spec.run_name, model=cell.model, seed=cell.seed, status="ok",
                              folder=str(task_dir.relative_to(self.run_dir)),
                              protocol=judge.protocol.model_dump(mode="json"))
        gateway = None
        try:
            inputs = stage_inputs(task, task_dir / "inputs")
            gateway = self._gateway(cell, task_dir) if spec.needs_model else None
            state = await self._reconstruct(spec, task, inputs, task_dir, judge, gateway, tlog, label, max_tokens, max_cost_usd)
            outcome.stop_reason = state.stop_reason
            outcome.best_iteration = state.best_iteration
            outcome.rows = await self._rows(cell, state, task, task_dir, judge)
        except Exception as e:  # noqa: BLE001 - every failure becomes a reported status
            outcome.status, outcome.error, outcome.error_kind = _classify(e)
            tlog.write("error", status=outcome.status, error=outcome.error, trace=traceback.format_exc(limit=8))
            log.warning("task failed", task=task.key, agent=spec.run_name, status=outcome.status, error=outcome.error)
            outcome.rows = self._rows_after_failure(cell, task_dir, outcome)
        if gateway is not None:
            total = gateway.total()
            outcome.prompt_tokens, outcome.completion_tokens = total.prompt_tokens, total.completion_tokens
            outcome.cost_usd = None if total.unknown_cost_calls else total.cost_usd
            outcome.model_calls = total.calls
        outcome.wall_s = round(time.monotonic() - started, 3)
        tlog.write("finish", status=outcome.status, stop_reason=outcome.stop_reason, best=outcome.best_iteration)
        write_record(task_dir / RESULT_FILE, outcome)
        return outcome

    async def _reconstruct(self, spec: "AgentSpec", task: Task, inputs: Any, task_dir: Path, judge: Any, gateway: Any,
                           tlog: TaskLog, label: str, max_tokens: int | None, max_cost_usd: float | None) -> "ReconstructionState":
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        from .agents import build_context
        from .agents.self_test import OracleSelfTester, PlanSelfTester
        from .graphs import PageVersion, ReconstructionState, build_graph, state_serializer

        async def on_iteration(page: PageVersion) -> None:
            self.progress.update(label, f"judging iteration {page.iteration}")
            result = await self._judge_page(judge, task, page.path.parent, task_dir, page.iteration)
            tlog.write("iteration", iteration=page.iteration, kind=page.kind, ifs=result.scores.ifs,
                       final=result.scores.final, status=result.status.value)

        tester = OracleSelfTester(judge, task) if spec.oracle_feedback else PlanSelfTester(judge, task.key)
        ctx = build_context(
            spec, work_dir=task_dir, gateway=gateway, self_tester=tester, on_iteration=on_iteration,
            max_tokens=max_tokens, max_cost_usd=max_cost_usd,
        )
        config = {"configurable": {"thread_id": f"{task.key}"}, "recursion_limit": 64}
        async with aiosqlite.connect(task_dir / "checkpoint.sqlite") as conn:
            saver = AsyncSqliteSaver(conn, serde=state_serializer())
            graph = build_graph().compile(checkpointer=saver)
            snapshot = await graph.aget_state(config)
            if snapshot.values and not snapshot.next:
                return ReconstructionState.model_validate(snapshot.values)
            start = None if snapshot.values else ReconstructionState(inputs=inputs)
            tlog.write("graph", resume=start is None, next=list(snapshot.next or ()))
            async for update in graph.astream(start, config, context=ctx, durability="sync", stream_mode="updates"):
                for node in update:
                    tlog.write("node", node=node)
                    self.progress.update(label, node)
            final = await graph.aget_state(config)
        return ReconstructionState.model_validate(final.values)

    async def _judge_page(self, judge: Any, task: Task, page_dir: Path, task_dir: Path, iteration: int) -> JudgeResult:
        """Ground-truth judgement of one iteration's page, for the record (never shown to the agent)."""
        out = task_dir / "judge" / f"iter_{iteration}"
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        try:
            result = await judge.judge_task(task, page_dir, out)
        except Exception as e:  # noqa: BLE001 - a judge crash is an infra error of this page
            from .benchmark.judge.types import Protocol, Scores, Status

            result = JudgeResult(task_id=task.key, status=Status.INFRA_ERROR, error=f"judge failed: {e!r}",
                                 protocol=Protocol(name="offline", grounder="?", asserter="?", visual=[]),
                                 scores=Scores(ifs=0.0))
        write_record(task_dir / f"judge_iter_{iteration}.json", rebased_result(result, out, task_dir))
        return result

    async def _rows(self, key: GridCell, state: Any, task: Task, task_dir: Path, judge: Any) -> list[SummaryRow]:
        rows: list[SummaryRow] = []
        best: JudgeResult | None = None
        for page in state.pages:
            path = task_dir / f"judge_iter_{page.iteration}.json"
            if not path.is_file():  # killed between page and judgement: judge it now
                await self._judge_page(judge, task, page.path.parent, task_dir, page.iteration)
            result = read_judge_result(path)
            rows.append(_row(key, page.iteration, result, self_test=page.self_test))
            if page.iteration == state.best_iteration:
                best = result
        if best is None:
            rows.append(_row(key, "final", None, status="model_error", error="no page was produced", error_kind="no_page"))
            return rows
        shutil.copyfile(task_dir / f"judge_iter_{state.best_iteration}.json", task_dir / "judge_final.json")
        rows.append(_row(key, "final", best))
        return rows

    def _rows_after_failure(self, key: GridCell, task_dir: Path, outcome: TaskOutcome) -> list[SummaryRow]:
        """Rows for whatever pages were judged before the failure, and a failed final row."""
        rows = []
        for path in sorted(task_dir.glob("judge_iter_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1])):
            rows.append(_row(key, int(path.stem.rsplit("_", 1)[1]), read_judge_result(path)))
        rows.append(_row(key, "final", None, status=outcome.status, error=outcome.error, error_kind=outcome.error_kind))
        return rows


def upgraded_config(config: dict[str, Any]) -> dict[str, Any]:
    """A run configuration stored before grid runs (one `model`, run budgets in the config) in
    today's form, so `--resume` of such a run compares like with like."""
    out = {k: v for k, v in config.items() if k not in ("model", "max_tokens", "max_cost_usd")}
    out["models"] = [config["model"]] if config.get("model") else []
    out.setdefault("seeds", [0])
    return out


def failed_outcome(runner: Runner, cell: GridCell, error: str) -> TaskOutcome:
    """An infra_error outcome for a cell that produced none (its worker was lost); no result.json
    is written, so `--resume` runs the cell again."""
    outcome = TaskOutcome(task_id=cell.task_id, agent=cell.agent, model=cell.model, seed=cell.seed, status="infra_error",
                          error=error, error_kind="infra", folder=str(cell.folder(runner.run_dir).relative_to(runner.run_dir)))
    outcome.rows = [_row(cell, "final", None, status="infra_error", error=error, error_kind="infra")]
    return outcome


def _classify(e: BaseException) -> tuple[StatusName, str, str]:
    """(status, error, kind): model_error with the ModelError's kind for failed or unusable model
    calls, infra_error for everything else."""
    from .tools.llm import ModelError

    if isinstance(e, ModelError):
        kind, text = e.kind, str(e)
        return "model_error", text if text.startswith(kind) else f"{kind}: {text}", kind
    return "infra_error", f"{type(e).__name__}: {e}", "infra"


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
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def _store_rows(store: Any, run_id: str, outcome: TaskOutcome, run_dir_name: str) -> None:
    from .store import ResultRow

    for row in outcome.rows:
        final = row.iteration == "final"
        store.record(ResultRow(
            run_id=run_id, task_id=row.task_id, agent=row.agent, model=row.model, seed=row.seed, iteration=str(row.iteration),
            status=row.status, error=row.error, error_kind=row.error_kind, ifs=row.ifs, vfs=row.vfs, final=row.final, probe_ifs=row.probe_ifs,
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
