"""Self-testers: the judge run on the agent's own plan (or, as a labelled ablation, the truth)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from iwr.benchmark.judge.types import JudgeResult, Trajectory
from iwr.benchmark.task import Resolution, Task


class PageJudge(Protocol):
    """The part of `iwr.benchmark.judge.Judge` the self-testers use."""

    async def judge(
        self, page_dir: Path, trajectory: Trajectory, resolution: Resolution, assets_dir: Path | None, out_dir: Path, task_id: str
    ) -> JudgeResult: ...

    async def judge_task(self, task: Task, page_dir: Path, out_dir: Path) -> JudgeResult: ...


class PlanSelfTester:
    """Judges the page on the trajectory the graph built from the agent's own plan."""

    def __init__(self, judge: PageJudge, task_id: str) -> None:
        self._judge = judge
        self._task_id = task_id

    async def test(
        self, page_dir: Path, trajectory: Trajectory, resolution: Resolution, assets_dir: Path | None, out_dir: Path
    ) -> JudgeResult:
        return await self._judge.judge(page_dir, trajectory, resolution, assets_dir, out_dir, self._task_id)


class OracleSelfTester:
    """ABLATION ONLY (`oracle_feedback`): ignores the plan and judges on the ground-truth demo
    trajectory, as rendering-in-the-loop papers do (never the probes). Runs are labelled ORACLE."""

    def __init__(self, judge: PageJudge, task: Task) -> None:
        self._judge = judge
        self._task = task

    async def test(
        self, page_dir: Path, trajectory: Trajectory, resolution: Resolution, assets_dir: Path | None, out_dir: Path
    ) -> JudgeResult:
        from iwr.benchmark.judge.judge import demo_trajectory, load_truth

        task = self._task
        truth_trajectory = demo_trajectory(task, load_truth(task))  # the demo only: probes stay held out
        return await self._judge.judge(page_dir, truth_trajectory, task.resolution, assets_dir, out_dir, task.key)
