"""`--executor ray`: the same grid on a local Ray instance (started here, 2 CPUs) gives the same
scores as the local executor; the driver alone writes the store; Ray is imported lazily.

The grid is 2 offline agents (blank, screenshot-slideshow) x the short mini task; the full
2-agent x all-bundled-tasks comparison is `python measurements/grid_speed.py --check`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from iwr.run_types import RunOptions
from iwr.runner import Runner
from iwr.store import RunStore

ray = pytest.importorskip("ray")

AGENTS = ["blank", "screenshot-slideshow"]


def _scores(rows: list) -> dict[tuple, tuple]:
    keys = [(r.task_id, r.agent, r.model, r.seed, str(r.iteration)) for r in rows]
    assert len(keys) == len(set(keys))
    return {k: (r.ifs, r.vfs, r.final, r.status) for k, r in zip(keys, rows, strict=True)}


def test_ray_is_not_imported_unless_chosen() -> None:
    code = "import sys, iwr.cli, iwr.runner, iwr.executors; assert 'ray' not in sys.modules, 'ray imported'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).returncode == 0


@pytest.mark.timeout(600)
def test_ray_executor_gives_the_local_executors_scores(mini_jsonl: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    base = dict(tasks=str(mini_jsonl), task_ids=["mini-shop-twin"], agents=AGENTS, out=out, probes=False, jobs=2)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        async def both() -> tuple:
            # run side by side: the Ray workers are other processes, the local grid runs in this one
            return await asyncio.gather(Runner(RunOptions(**base, run_id="local")).run(),
                                        Runner(RunOptions(**base, run_id="ray", executor="ray")).run())

        local, remote = asyncio.run(both())
    finally:
        ray.shutdown()
    assert remote.executor == "ray" and remote.completed == remote.cells == 2
    assert not remote.failures, remote.failures
    assert _scores(remote.rows) == _scores(local.rows)
    with RunStore(out) as store:
        assert _scores(store.rows("ray")) == _scores(remote.rows)
        info = store.run("ray")
    assert info is not None and info.protocol and info.protocol.name == "offline"  # learnt from the workers
    for agent in AGENTS:  # the workers wrote the cell folders
        assert (out / "ray" / agent / "none" / "mini-shop-twin" / "judge_final.json").is_file()
