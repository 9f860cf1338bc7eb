"""Gather what a report shows from a runs folder: store rows, runs, tasks, judge results.

Kept apart from rendering so `--format md|csv|json` and the HTML view share one model.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .benchmark.judge.types import JudgeResult
from .errors import IwrError
from .result_schema import read_judge_result
from .store import STORE_NAME, ResultRow, RunInfo, RunStore
from .tally import FailureGroup, group_failures, tally_config


class LeaderboardRow(BaseModel):
    """Mean scores of one agent x model over its tasks (final pages); see `iwr.tally` for how
    failures count (model failures as 0, infra failures left out, no mean when nothing was scored)."""

    run_id: str
    agent: str
    model: str
    protocol: str | None
    tasks: int
    failed: int  # model failures (no page, or the model could not be used): 0 in the means
    scored: int = 0
    failed_kinds: dict[str, int] = Field(default_factory=dict)
    infra: int = 0  # infra failures: not scored, not in the means
    ifs: float | None
    vfs: float | None
    final: float | None
    probe_ifs: float | None
    cost_usd: float | None  # None when any task's cost is unknown
    cost_known_tasks: int
    tokens: int
    wall_s: float


class CurvePoint(BaseModel):
    iteration: int
    final: float
    ifs: float
    vfs: float | None
    n: int


class TaskView(BaseModel):
    """One task of one agent x model: the final row, its judge result and files."""

    run_id: str
    agent: str
    model: str
    task_id: str
    row: ResultRow
    folder: Path | None
    judge: JudgeResult | None = None
    judge_dir: Path | None = None
    page: Path | None = None
    transcript: Path | None = None
    keyframes: list[Path] = Field(default_factory=list)


class ReportData(BaseModel):
    runs_dir: Path
    runs: list[RunInfo]
    leaderboard: list[LeaderboardRow]
    failures: list[FailureGroup] = Field(default_factory=list)  # failed final pages by kind (model failures, then infra)
    categories: dict[str, dict[str, dict[str, float]]]  # axis -> label -> "agent|model" -> mean final
    curves: dict[str, list[CurvePoint]]  # "agent|model" -> points
    tasks: list[TaskView]


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.fmean(vals) if vals else None


def _leaderboard(rows: list[ResultRow], protocols: dict[str, str | None]) -> list[LeaderboardRow]:
    groups: dict[tuple[str, str, str], list[ResultRow]] = defaultdict(list)
    for r in rows:
        if r.iteration == "final":
            groups[(r.run_id, r.agent, r.model)].append(r)
    board = []
    for (run_id, agent, model), rs in groups.items():
        t = tally_config(agent, model, rs)
        costs = [r.cost_usd for r in rs]
        known = [c for c in costs if c is not None]
        board.append(LeaderboardRow(
            run_id=run_id, agent=agent, model=model, protocol=protocols.get(run_id), tasks=len(rs), failed=t.failed_count,
            scored=t.scored, failed_kinds=t.failed, infra=len(t.infra),
            ifs=t.ifs, vfs=t.vfs, final=t.final,
            probe_ifs=_mean([r.probe_ifs for r in rs if r.status == "ok"]),
            cost_usd=sum(known) if len(known) == len(costs) else None, cost_known_tasks=len(known),
            tokens=sum((r.prompt_tokens or 0) + (r.completion_tokens or 0) for r in rs),
            wall_s=sum(r.wall_s or 0.0 for r in rs),
        ))
    return sorted(board, key=lambda b: -(b.final or 0.0))


def _curves(rows: list[ResultRow]) -> dict[str, list[CurvePoint]]:
    by: dict[str, dict[int, list[ResultRow]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.iteration.isdigit() and r.final is not None:
            by[f"{r.agent}|{r.model}"][int(r.iteration)].append(r)
    return {
        key: [CurvePoint(iteration=i, final=statistics.fmean(x.final or 0 for x in rs),
                         ifs=statistics.fmean(x.ifs or 0 for x in rs),
                         vfs=_mean([x.vfs for x in rs]), n=len(rs)) for i, rs in sorted(its.items())]
        for key, its in by.items()
    }


def _task_classifications(runs: list[RunInfo]) -> dict[str, dict[str, str]]:
    """task id -> {interaction, visual, domain} from the tasks file each run recorded."""
    from .benchmark.dataset import load_tasks

    out: dict[str, dict[str, str]] = {}
    for run in runs:
        source = run.config.get("tasks_jsonl") or run.config.get("tasks")
        if not source or not Path(str(source)).is_file():
            continue
        try:
            tasks = load_tasks(Path(str(source)))
        except Exception:  # noqa: BLE001 - a moved tasks file only loses the breakdown
            continue
        for t in tasks:
            c = t.classification
            out[t.key] = {"interaction": c.interaction_complexity or "?", "visual": c.visual_complexity or "?",
                          "domain": c.domain or "?"}
    return out


def _categories(rows: list[ResultRow], classes: dict[str, dict[str, str]]) -> dict[str, dict[str, dict[str, float]]]:
    acc: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for r in rows:
        if r.iteration != "final" or r.task_id not in classes or r.status == "infra_error":
            continue  # as in the leaderboard: model failures count 0, infra failures are left out
        for axis, label in classes[r.task_id].items():
            acc[axis][label][f"{r.agent}|{r.model}"].append(r.final or 0.0)
    return {axis: {label: {k: statistics.fmean(v) for k, v in cfg.items()} for label, cfg in sorted(labels.items())} for axis, labels in acc.items()}


def _final_judge_file(folder: Path) -> Path | None:
    """The judge result of the kept page: `judge_final.json`, else `final/eval.json`, else the last iteration's."""
    for name in ("judge_final.json", "final/eval.json", "final/judge.json", "eval.json"):
        if (folder / name).is_file():
            return folder / name
    iters = sorted(folder.glob("judge_iter_*.json"),
                   key=lambda p: int(p.stem.rsplit("_", 1)[-1]) if p.stem.rsplit("_", 1)[-1].isdigit() else -1)
    return iters[-1] if iters else None


def _task_view(runs_dir: Path, r: ResultRow) -> TaskView:
    folder = runs_dir / r.path if r.path else None
    view = TaskView(run_id=r.run_id, agent=r.agent, model=r.model, task_id=r.task_id, row=r, folder=folder)
    if folder is None or not folder.is_dir():
        return view
    judge_file = _final_judge_file(folder)
    if judge_file is not None:
        try:
            view.judge = read_judge_result(judge_file)
            view.judge_dir = judge_file.parent
        except IwrError:
            view.judge = None
    for name in ("final/index.html", "index.html"):
        if (folder / name).is_file():
            view.page = folder / name
            break
    if (folder / "transcript.jsonl").is_file():
        view.transcript = folder / "transcript.jsonl"
    view.keyframes = sorted(folder.glob("perception/keyframes/*.png"))[:24]
    return view


def gather(runs_dir: Path, run_id: str | None = None) -> ReportData:
    """Read a runs folder (or one run inside it) into a ReportData."""
    if not (runs_dir / STORE_NAME).is_file():
        if (runs_dir.parent / STORE_NAME).is_file():  # given a run folder: its parent holds the store
            run_id = run_id or runs_dir.name
            runs_dir = runs_dir.parent
        else:
            raise IwrError(f"{runs_dir}: no {STORE_NAME} here or in the parent folder (is this a runs folder?)")
    with RunStore(runs_dir) as store:
        runs = [r for r in store.runs() if run_id is None or r.run_id == run_id]
        if run_id is not None and not runs:
            raise IwrError(f"no run {run_id!r} in {runs_dir}")
        rows = [r for r in store.rows() if run_id is None or r.run_id == run_id]
    protocols: dict[str, str | None] = {r.run_id: r.protocol.name if r.protocol else None for r in runs}
    return ReportData(
        runs_dir=runs_dir, runs=runs, leaderboard=_leaderboard(rows, protocols),
        failures=group_failures(r for r in rows if r.iteration == "final"),
        categories=_categories(rows, _task_classifications(runs)), curves=_curves(rows),
        tasks=[_task_view(runs_dir, r) for r in rows if r.iteration == "final"],
    )


def flat_rows(data: ReportData) -> list[dict[str, Any]]:
    """Leaderboard as plain dicts (csv/json/md)."""
    return [row.model_dump(mode="json") for row in data.leaderboard]
