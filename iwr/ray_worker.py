"""The Ray side of `--executor ray`: a remote function running one grid cell in a worker process.

Imported only when that executor is chosen. Each worker keeps one event loop and one judge
(one browser) for all the cells it runs, and closes them when the worker exits. The worker
writes the cell's folder; the outcome goes back to the driver, which alone writes the store.

On a multi-machine cluster every node needs this package installed and the runs folder and
tasks file at the same paths as the driver (a shared filesystem): cells write their files there.
The `--model-concurrency` caps hold per worker process, not across the cluster.
"""

from __future__ import annotations

import asyncio
import atexit
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ray

from .grid import GridCell
from .run_types import RunOptions

if TYPE_CHECKING:
    from .benchmark.judge.judge import Judge
    from .cell_run import CellRunner


@dataclass
class _Worker:
    key: str
    loop: asyncio.AbstractEventLoop
    cells: CellRunner
    judge: Judge

    def close(self) -> None:
        try:
            self.loop.run_until_complete(self.judge.__aexit__(None, None, None))
        finally:
            self.loop.close()


_current: _Worker | None = None


def _worker(opts_json: str, api_key: str | None) -> _Worker:
    """This process's runner and judge for these options (made on first use)."""
    global _current
    if _current is not None and _current.key == opts_json:
        return _current
    if _current is not None:
        _current.close()
        _current = None
    from .benchmark.judge.judge import Judge, JudgeConfig
    from .cell_run import CellRunner
    from .run_plan import plan_run
    from .run_progress import QuietProgress

    opts = RunOptions.model_validate_json(opts_json).model_copy(update={"api_key": api_key})
    if opts.run_id is None:
        raise ValueError("a worker's options carry the driver's run id")
    plan = plan_run(opts)  # the driver resolved the same options: same agents, tasks and cells
    cells = CellRunner(opts, opts.out / opts.run_id, plan.specs, plan.tasks, QuietProgress())
    loop = asyncio.new_event_loop()
    judge = loop.run_until_complete(Judge(JudgeConfig(probes=opts.probes)).__aenter__())
    _current = _Worker(opts_json, loop, cells, judge)
    return _current


def _close_current() -> None:
    if _current is not None:
        _current.close()


atexit.register(_close_current)


@ray.remote(num_cpus=1, max_retries=0)
def remote_run_cell(opts_json: str, api_key: str | None, cell_json: str, max_tokens: int | None,
                    max_cost_usd: float | None) -> str:
    """Run one cell in this worker; returns the TaskOutcome as JSON."""
    w = _worker(opts_json, api_key)
    cell = GridCell.model_validate_json(cell_json)
    outcome = w.loop.run_until_complete(w.cells.run_cell(cell, w.judge, max_tokens, max_cost_usd))
    return outcome.model_dump_json()
