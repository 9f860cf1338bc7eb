"""Where grid cells run: `local` (asyncio in this process, one judge = one browser shared by the
cells) or `ray` (one Ray task per cell, a judge per worker process, outcomes streamed back).

Either way the driver (`Runner.run`) schedules through `run_cells`, which keeps at most `-j`
cells in flight, starts no cell once the budget is spent, and calls `record` (store + progress)
in the driver for every outcome as it arrives. Executors see the run only through `ExecutorSetup`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from .benchmark.judge.types import Protocol as JudgeProtocol
from .cell_run import failed_outcome
from .errors import IwrError
from .grid import GridCell
from .result_schema import ExecutorName, TaskOutcome
from .run_types import RunOptions

if TYPE_CHECKING:
    from .benchmark.judge.judge import Judge

log = structlog.get_logger()

CellFunction = Callable[[GridCell, "Judge", int | None, float | None], Awaitable[TaskOutcome]]


@dataclass(frozen=True)
class ExecutorSetup:
    """What an executor needs of the run (built by `Runner.executor_setup`)."""

    run_dir: Path  # where failed cells' folders are named from
    probes: bool  # the local judge also replays held-out probes
    worker_options: RunOptions  # what a Ray worker rebuilds the run from (absolute paths, run id fixed)
    run_cell: CellFunction  # one cell in this process, with this process's judge


class CellExecutor(Protocol):
    """Runs one cell to an outcome; an async context manager around its resources."""

    protocol: JudgeProtocol | None  # the judge protocol, when known before the first outcome

    async def __aenter__(self) -> CellExecutor: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def run_cell(self, cell: GridCell, max_tokens: int | None, max_cost_usd: float | None) -> TaskOutcome: ...


class CellGate(Protocol):
    """What the scheduler asks of a budget (a `Budget`, or a `RunGate` adding the fuse)."""

    def refuses(self, agent: str | None) -> str | None: ...
    def remaining_tokens(self) -> int | None: ...
    def remaining_cost(self) -> float | None: ...


async def run_cells(cells: list[GridCell], executor: CellExecutor, jobs: int, budget: CellGate,
                    record: Callable[[GridCell, TaskOutcome], None],
                    started: Callable[[GridCell], None] = lambda cell: None) -> list[GridCell]:
    """Run `cells` with `jobs` in flight (`started` told of each); return the cells the budget left unstarted."""
    queue = list(cells)

    async def worker() -> None:
        while queue and budget.refuses(queue[0].agent) is None:
            cell = queue.pop(0)
            started(cell)
            outcome = await executor.run_cell(cell, budget.remaining_tokens(), budget.remaining_cost())
            record(cell, outcome)

    await asyncio.gather(*(worker() for _ in range(min(jobs, len(cells)))))
    return queue


class LocalExecutor:
    """Cells as coroutines of this process, sharing one judge (browser)."""

    def __init__(self, setup: ExecutorSetup) -> None:
        self.setup = setup
        self.protocol: JudgeProtocol | None = None
        self._judge: Judge | None = None

    async def __aenter__(self) -> LocalExecutor:
        from .benchmark.judge.judge import Judge, JudgeConfig

        try:
            self._judge = await Judge(JudgeConfig(probes=self.setup.probes)).__aenter__()
        except Exception as e:
            raise IwrError(f"the judge could not start ({type(e).__name__}: {e})") from e
        self.protocol = self._judge.protocol
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._judge is not None:
            await self._judge.__aexit__(None, None, None)

    async def run_cell(self, cell: GridCell, max_tokens: int | None, max_cost_usd: float | None) -> TaskOutcome:
        assert self._judge is not None, "LocalExecutor used outside `async with`"
        try:
            return await self.setup.run_cell(cell, self._judge, max_tokens, max_cost_usd)
        except Exception as e:  # noqa: BLE001 - run_cell reports its own failures; this is the last guard
            return failed_outcome(self.setup.run_dir, cell, f"{type(e).__name__}: {e}")


class RayExecutor:
    """One Ray task per cell (1 CPU each); connects to `--ray-address` or starts a local Ray."""

    def __init__(self, setup: ExecutorSetup) -> None:
        self.setup = setup
        self.protocol: JudgeProtocol | None = None
        self._started_ray = False
        self._remote: Any = None
        self._opts_json = ""

    async def __aenter__(self) -> RayExecutor:
        try:
            import ray
        except ImportError as e:
            raise IwrError("--executor ray needs Ray: pip install 'iwr[ray]'") from e
        from .ray_worker import remote_run_cell

        if not ray.is_initialized():
            ray.init(address=self.setup.worker_options.ray_address, include_dashboard=False, log_to_driver=False)
            self._started_ray = True
        self._remote = remote_run_cell
        self._opts_json = self.setup.worker_options.model_dump_json()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._started_ray:
            import ray

            ray.shutdown()

    async def run_cell(self, cell: GridCell, max_tokens: int | None, max_cost_usd: float | None) -> TaskOutcome:
        ref = self._remote.remote(self._opts_json, self.setup.worker_options.api_key, cell.model_dump_json(), max_tokens,
                                  max_cost_usd)
        try:
            return TaskOutcome.model_validate_json(await ref)
        except Exception as e:  # noqa: BLE001 - a lost worker is an infra error of this cell (retried on --resume)
            log.warning("ray cell failed", cell=cell.label, error=f"{type(e).__name__}: {e}")
            return failed_outcome(self.setup.run_dir, cell,
                                  f"ray worker failed: {type(e).__name__}: {str(e).splitlines()[0][:300]}")


def make_executor(setup: ExecutorSetup, kind: ExecutorName) -> CellExecutor:
    """The executor named by `--executor`."""
    return RayExecutor(setup) if kind == "ray" else LocalExecutor(setup)
