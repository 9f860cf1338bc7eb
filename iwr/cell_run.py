"""One cell of a run (task x agent x model x seed): reconstruct, judge every iteration, write the cell folder.

The cell folder `RUNS/<run_id>/<agent>/<model-slug>/[seed-<n>/]<task_id>/` holds `inputs/`,
`iter_<k>/index.html`, `final/index.html`, `self_test/`, `perception/`, `judge/iter_<k>/` +
`judge_iter_<k>.json` (ground-truth judge, for the record only), `judge_final.json`,
`transcript.jsonl`, `log.jsonl`, `checkpoint.sqlite` (LangGraph) and `result.json` (written
last: the cell is complete). Runs in the driver (local executor) or in a Ray worker.
"""

from __future__ import annotations

import json
import shutil
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import structlog

from .benchmark.judge.types import JudgeResult
from .benchmark.task import Task
from .errors import IwrError
from .grid import GridCell
from .result_schema import StatusName, SummaryRow, TaskOutcome, read_judge_result, read_outcome, write_record
from .run_progress import Progress
from .run_types import RunOptions
from .staging import stage_inputs

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

    from .agents import AgentSpec
    from .benchmark.judge.judge import Judge
    from .benchmark.task import TaskInputs
    from .graphs import ReconstructionState
    from .tools.llm import LLMGateway
    from .tools.llm.gateway import ProviderLimits

log = structlog.get_logger()

RESULT_FILE = "result.json"


class TaskLog:
    """Append-only JSON lines log of one task run (`log.jsonl`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, event: str, **fields: Any) -> None:
        record = {"time": datetime.now(UTC).isoformat(), "event": event, **fields}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, default=str) + "\n")


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
    if result is None:
        return SummaryRow(task_id=cell.task_id, agent=cell.agent, model=cell.model, seed=cell.seed, iteration=iteration,
                          status=status or "infra_error", error=error or "no judge result",
                          error_kind=error_kind or "infra", self_test=self_test)
    status = status or result.status.value
    kind = None if status == "ok" else error_kind or ("infra" if status == "infra_error" else "judge_model")
    return SummaryRow(
        task_id=cell.task_id, agent=cell.agent, model=cell.model, seed=cell.seed, iteration=iteration,
        ifs=result.scores.ifs, vfs=result.scores.vfs, final=result.scores.final,
        status=status, error=error or result.error, error_kind=kind,
        probe_ifs=result.probe_ifs, self_test=self_test,
    )


def finished_outcome(run_dir: Path, cell: GridCell) -> TaskOutcome | None:
    """The outcome of a cell whose result.json exists (the cell is complete), else None."""
    path = cell.folder(run_dir) / RESULT_FILE
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


def failed_outcome(run_dir: Path, cell: GridCell, error: str) -> TaskOutcome:
    """An infra_error outcome for a cell that produced none (its worker was lost); no result.json
    is written, so `--resume` runs the cell again."""
    outcome = TaskOutcome(task_id=cell.task_id, agent=cell.agent, model=cell.model, seed=cell.seed, status="infra_error",
                          error=error, error_kind="infra", folder=str(cell.folder(run_dir).relative_to(run_dir)))
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


class CellRunner:
    """Runs cells of one run in this process: the agents, tasks and options the driver resolved."""

    def __init__(self, opts: RunOptions, run_dir: Path, specs: dict[str, AgentSpec], tasks: dict[str, Task],
                 progress: Progress) -> None:
        self.opts, self.run_dir, self.specs, self.tasks, self.progress = opts, run_dir, specs, tasks, progress
        self._limits: ProviderLimits | None = None

    def provider_limits(self) -> ProviderLimits:
        """The per-provider model-call caps shared by every gateway of this process."""
        if self._limits is None:
            from .tools.llm.gateway import ProviderLimits

            self._limits = ProviderLimits(self.opts.model_concurrency)
        return self._limits

    def _gateway(self, cell: GridCell, task_dir: Path) -> LLMGateway:
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

    async def run_cell(self, cell: GridCell, judge: Judge, max_tokens: int | None = None,
                       max_cost_usd: float | None = None) -> TaskOutcome:
        """Reconstruct and judge one cell; every failure becomes a status. `max_*` cap the agent."""
        spec, task = self.specs[cell.agent], self.tasks[cell.task_id]
        task_dir = cell.folder(self.run_dir)
        if self.opts.resume and (done := finished_outcome(self.run_dir, cell)) is not None:
            return done
        task_dir.mkdir(parents=True, exist_ok=True)
        tlog = TaskLog(task_dir / "log.jsonl")
        label = cell.label
        started = time.monotonic()
        tlog.write("start", task_id=task.key, agent=spec.run_name, model=cell.model, seed=cell.seed, resume=self.opts.resume)
        outcome = TaskOutcome(task_id=task.key, agent=spec.run_name, model=cell.model, seed=cell.seed, status="ok",
                              folder=str(task_dir.relative_to(self.run_dir)),
                              protocol=judge.protocol)
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

    async def _reconstruct(self, spec: AgentSpec, task: Task, inputs: TaskInputs, task_dir: Path, judge: Judge,
                           gateway: LLMGateway | None,
                           tlog: TaskLog, label: str, max_tokens: int | None, max_cost_usd: float | None) -> ReconstructionState:
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
        config: RunnableConfig = {"configurable": {"thread_id": f"{task.key}"}, "recursion_limit": 64}
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

    async def _judge_page(self, judge: Judge, task: Task, page_dir: Path, task_dir: Path, iteration: int) -> JudgeResult:
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

    async def _rows(self, key: GridCell, state: ReconstructionState, task: Task, task_dir: Path,
                    judge: Judge) -> list[SummaryRow]:
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
        judged = sorted(task_dir.glob("judge_iter_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
        rows = [_row(key, int(path.stem.rsplit("_", 1)[1]), read_judge_result(path)) for path in judged]
        rows.append(_row(key, "final", None, status=outcome.status, error=outcome.error, error_kind=outcome.error_kind))
        return rows
