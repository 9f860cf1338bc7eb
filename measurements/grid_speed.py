"""Grid throughput: tasks per minute on the local and the Ray executor, and the runner's
per-task overhead over the judge alone.

    python measurements/grid_speed.py [--tasks bundled|DATA.jsonl] [--task ID ...] [--agent NAME ...]
                                    [-j 2] [--ray-cpus 2] [--probes] [--skip-ray] [--check]

Phases, each with a fresh OCR cache (so no phase is served by another's OCR work):
1. the grid (agents x tasks) on the local executor;
2. the judge alone on the final pages that run produced (a fresh judge, the same `-j`);
3. the same grid on a local Ray instance with `--ray-cpus` CPUs (start-up timed apart).

`--check` fails (exit 1) unless Ray's scores equal the local executor's for every row.
Per cell, "runner overhead" is the cell's wall time minus the judge-alone time of its page:
agent work (perception for some baselines), staging, checkpoints, result files.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.tasks_source import resolve_tasks_path
from iwr.grid import GridCell
from iwr.result_schema import RunSummary, SummaryRow, TaskOutcome
from iwr.run_types import RunOptions
from iwr.runner import Runner


def fresh_ocr_cache(root: Path, name: str) -> None:
    """Point the judge's OCR cache at an empty folder (read by JudgeConfig and by Ray workers)."""
    os.environ["IWR_CACHE_DIR"] = str(root / f"cache-{name}")


async def timed_run(opts: RunOptions) -> tuple[RunSummary, float]:
    started = time.perf_counter()
    summary = await Runner(opts).run()
    return summary, time.perf_counter() - started


async def judge_alone(jsonl: Path, run_dir: Path, summary: RunSummary, probes: bool,
                      jobs: int) -> tuple[float, dict[tuple[str, str], float]]:
    """Judge every cell's final page again in a fresh judge with `jobs` in flight, as the runner
    does: the total wall time (judge start included) and the seconds per cell."""
    from iwr.benchmark.judge.judge import Judge, JudgeConfig

    tasks = {t.key: t for t in load_tasks(jsonl)}
    seconds: dict[tuple[str, str], float] = {}
    semaphore = asyncio.Semaphore(jobs)
    started = time.perf_counter()
    async with Judge(JudgeConfig(probes=probes)) as judge:

        async def one(r: SummaryRow) -> None:
            cell = GridCell(task_id=r.task_id, agent=r.agent, model=r.model, seed=r.seed)
            async with semaphore:
                t0 = time.perf_counter()
                await judge.judge_task(tasks[r.task_id], cell.folder(run_dir) / "final", Path(tempfile.mkdtemp(prefix="judge-")))
                seconds[(r.task_id, r.agent)] = time.perf_counter() - t0

        await asyncio.gather(*(one(r) for r in summary.rows if r.iteration == "final"))
    return time.perf_counter() - started, seconds


def scores(summary: RunSummary) -> dict[tuple, tuple]:
    return {(r.task_id, r.agent, r.model, r.seed, str(r.iteration)): (r.ifs, r.vfs, r.final, r.status) for r in summary.rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="bundled")
    ap.add_argument("--task", action="append", default=[])
    ap.add_argument("--agent", action="append", default=[])
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--ray-cpus", type=int, default=2)
    ap.add_argument("--probes", action="store_true", help="also judge the held-out probes (slower)")
    ap.add_argument("--skip-ray", action="store_true")
    ap.add_argument("--check", action="store_true", help="exit 1 unless Ray's scores equal the local ones")
    args = ap.parse_args()

    console = Console()
    jsonl = resolve_tasks_path(args.tasks).resolve()  # before the OCR cache moves (bundled lives in the cache dir)
    root = Path(tempfile.mkdtemp(prefix="grid-speed-"))
    base = dict(tasks=str(jsonl), task_ids=args.task, agents=args.agent or ["blank", "screenshot-slideshow"],
                out=root / "runs", probes=args.probes, jobs=args.jobs)

    fresh_ocr_cache(root, "local")
    local, local_s = asyncio.run(timed_run(RunOptions(**base, run_id="local")))
    cells = local.cells
    fresh_ocr_cache(root, "judge")
    judge_s, alone = asyncio.run(judge_alone(jsonl, root / "runs" / "local", local, args.probes, args.jobs))

    table = Table(title=f"grid: {len(base['agents'])} agents x {cells // len(base['agents'])} tasks = {cells} cells, -j {args.jobs}")
    for col in ("executor", "wall s", "cells/min", "note"):
        table.add_column(col)
    table.add_row("local", f"{local_s:.1f}", f"{60 * cells / local_s:.2f}", "one judge (browser) shared")
    table.add_row("judge alone", f"{judge_s:.1f}", f"{60 * cells / judge_s:.2f}",
                  f"same pages, same -j; runner overhead {(local_s - judge_s) / cells:+.2f} s per cell (agent work included)")

    same = True
    if not args.skip_ray:
        import ray

        fresh_ocr_cache(root, "ray")
        started = time.perf_counter()
        ray.init(num_cpus=args.ray_cpus, include_dashboard=False, log_to_driver=False)
        init_s = time.perf_counter() - started
        try:
            remote, ray_s = asyncio.run(timed_run(RunOptions(**base, run_id="ray", executor="ray")))
        finally:
            ray.shutdown()
        table.add_row("ray", f"{ray_s:.1f}", f"{60 * cells / ray_s:.2f}",
                      f"{args.ray_cpus} CPUs, a judge per worker; +{init_s:.1f}s ray.init not counted")
        same = scores(remote) == scores(local)
        diffs = [k for k in scores(local) if scores(local)[k] != scores(remote).get(k)]
        console.print(table)
        console.print(f"Ray scores equal local scores: {same}" + (f" (differ: {diffs[:5]})" if diffs else ""))
    else:
        console.print(table)

    per_agent = Table(title=f"per cell: runner wall vs judge alone (s, medians; {args.jobs} cells in flight share the machine)")
    for col in ("agent", "cells", "cell wall", "judge alone", "runner overhead", "ratio"):
        per_agent.add_column(col)
    outcomes = {}
    for r in local.rows:
        if r.iteration == "final":
            outcomes[(r.task_id, r.agent)] = r
    walls = {key: _cell_wall(root / "runs" / "local", r) for key, r in outcomes.items()}
    for agent in base["agents"]:
        keys = [k for k in outcomes if k[1].split("+")[0] == agent]
        if not keys:
            continue
        wall = statistics.median(walls[k] for k in keys)
        judge = statistics.median(alone[k] for k in keys)
        per_agent.add_row(agent, str(len(keys)), f"{wall:.2f}", f"{judge:.2f}", f"{wall - judge:+.2f}", f"{wall / judge:.2f}")
    console.print(per_agent)
    console.print(f"load: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores; folder {root}")
    return 0 if (same or not args.check) else 1


def _cell_wall(run_dir: Path, row: SummaryRow) -> float:
    cell = GridCell(task_id=row.task_id, agent=row.agent, model=row.model, seed=row.seed)
    return TaskOutcome.model_validate_json((cell.folder(run_dir) / "result.json").read_text()).wall_s


if __name__ == "__main__":
    sys.exit(main())
