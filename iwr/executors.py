"""Where grid cells run: `local` (asyncio in this process, one judge = one browser shared by the
cells) or `ray` (one Ray task per cell, a judge per worker process, outcomes streamed back).

Either way the driver (`Runner.run`) schedules through `run_cells`, which keeps at most `-j`
cells in flight, starts no cell once the budget is spent, and calls `record` (store + progress)
in the driver for every outcome as it arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from .errors import IwrError
from .grid import GridCell
from .result_schema import TaskOutcome

if TYPE_CHECKING:
    from .budget import Budget
    from .runner import Runner

log = structlog.get_logger()


class CellExecutor(Protocol):
    """Runs one cell to an outcome; an async context manager around its resources."""

    protocol: dict[str, Any] | None  # the judge protocol, when known before the first outcome

    async def __aenter__(self) -> "CellExecutor": ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def run_cell(self, cell: GridCell, max_tokens: int | None, max_cost_usd: float | None) -> TaskOutcome: ...


async def run_cells(cells: list[GridCell], executor: CellExecutor, runner: "Runner", budget: "Budget",
                    record: Callable[[GridCell, TaskOutcome], None]) -> list[GridCell]:
    """Run `cells` with `runner.opts.jobs` in flight; return the cells the budget left unstarted."""
    queue = list(cells)

    async def worker() -> None:
        while queue and budget.exhausted_reason is None:
            cell = queue.pop(0)
            runner.progress.started(cell.label, runner.specs[cell.agent].max_iters + 1)
            outcome = await executor.run_cell(cell, budget.remaining_tokens(), budget.remaining_cost())
            record(cell, outcome)

    await asyncio.gather(*(worker() for _ in range(min(runner.opts.jobs, len(cells)))))
    return queue


class LocalExecutor:
    """Cells as coroutines of this process, sharing one judge (browser)."""

    def __init__(self, runner: "Runner") -> None:
        self.runner = runner
        self.protocol: dict[str, Any] | None = None
        self._judge: Any = None

    async def __aenter__(self) -> "LocalExecutor":
        from .benchmark.judge.judge import Judge, JudgeConfig

        try:
            self._judge = await Judge(JudgeConfig(probes=self.runner.opts.probes)).__aenter__()
        except Exception as e:  # noqa: BLE001 - no browser, no run: one clear line
            raise IwrError(f"the judge could not start ({type(e).__name__}: {e})") from e
        self.protocol = self._judge.protocol.model_dump(mode="json")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._judge is not None:
            await self._judge.__aexit__(None, None, None)

    async def run_cell(self, cell: GridCell, max_tokens: int | None, max_cost_usd: float | None) -> TaskOutcome:
        try:
            return await self.runner.run_cell(cell, self._judge, max_tokens, max_cost_usd)
        except Exception as e:  # noqa: BLE001 - run_cell reports its own failures; this is the last guard
            from .runner import failed_outcome

            return failed_outcome(self.runner, cell, f"{type(e).__name__}: {e}")


class RayExecutor:
    """One Ray task per cell (1 CPU each); connects to `--ray-address` or starts a local Ray."""

    def __init__(self, runner: "Runner") -> None:
        self.runner = runner
        self.protocol: dict[str, Any] | None = None
        self._started_ray = False
        self._remote: Any = None
        self._opts_json = ""

    async def __aenter__(self) -> "RayExecutor":
        try:
            import ray
        except ImportError as e:
            raise IwrError("--executor ray needs Ray: pip install 'iwr[ray]'") from e
        from .ray_worker import remote_run_cell

        if not ray.is_initialized():
            ray.init(address=self.runner.opts.ray_address, include_dashboard=False, log_to_driver=False)
            self._started_ray = True
        self._remote = remote_run_cell
        self._opts_json = worker_options(self.runner).model_dump_json()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._started_ray:
            import ray

            ray.shutdown()

    async def run_cell(self, cell: GridCell, max_tokens: int | None, max_cost_usd: float | None) -> TaskOutcome:
        ref = self._remote.remote(self._opts_json, self.runner.opts.api_key, cell.model_dump_json(), max_tokens, max_cost_usd)
        try:
            return TaskOutcome.model_validate_json(await ref)
        except Exception as e:  # noqa: BLE001 - a lost worker is an infra error of this cell (retried on --resume)
            log.warning("ray cell failed", cell=cell.label, error=f"{type(e).__name__}: {e}")
            from .runner import failed_outcome

            return failed_outcome(self.runner, cell, f"ray worker failed: {type(e).__name__}: {str(e).splitlines()[0][:300]}")


def worker_options(runner: "Runner") -> Any:
    """The run options a worker needs: absolute paths, the resolved tasks file, the run id fixed."""
    return runner.opts.model_copy(update={
        "tasks": str(runner.jsonl.resolve()) if runner.jsonl else runner.opts.tasks,
        "out": runner.opts.out.resolve(),
        "run_id": runner.run_id,
    })


def make_executor(runner: "Runner") -> CellExecutor:
    return RayExecutor(runner) if runner.opts.executor == "ray" else LocalExecutor(runner)
