"""The trajectories a task is judged on: its demo and its held-out probes, with checkpoints,
pointer hints, target boxes and recorded page times from the ground truth."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..ground_truth import GroundTruth
from ..task import Action, Box, Point, Task
from .types import Trajectory


def visual_steps(trajectory: Trajectory) -> set[int]:
    """States that get visual scores: state 0 and the steps with `visual_evaluation_flag`."""
    return {0} | {i for i, a in enumerate(trajectory.actions, start=1) if a.visual_evaluation_flag}


def has_reference_texts(trajectory: Trajectory) -> bool:
    """True when every checkpoint's visible DOM text was recorded (our recorded tasks)."""
    n = len(trajectory.actions)
    return n > 0 and all(k in trajectory.checkpoint_texts for k in range(n + 1))


def safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "probe"


def load_truth(task: Task) -> GroundTruth | None:
    """The task's ground_truth.json, or None when the task has none (official data)."""
    path = task.paths.ground_truth
    return GroundTruth.load(path) if path.is_file() else None


def _pointer_hints(actions: Sequence[Action], steps: Sequence[Any]) -> list[Point | None]:
    by_index = {s.index: s for s in steps}
    hints: list[Point | None] = []
    for i in range(1, len(actions) + 1):
        s = by_index.get(i)
        hint = None
        if s is not None:
            hint = s.pointer or (s.target_box.center if s.target_box is not None else None)
        hints.append(hint)
    return hints


def _target_boxes(actions: Sequence[Action], steps: Sequence[Any]) -> list[Box | None]:
    by_index = {s.index: s for s in steps}
    return [by_index[i].target_box if i in by_index else None for i in range(1, len(actions) + 1)]


def demo_trajectory(task: Task, truth: GroundTruth | None = None) -> Trajectory:
    """The task's action sequence with checkpoints step_0..step_N and pointer hints."""
    p = task.paths
    n = len(task.actions)
    return Trajectory(
        name="demo",
        actions=list(task.actions),
        checkpoints=[p.checkpoint(k) if p.checkpoint(k).is_file() else None for k in range(n + 1)],
        pointer_hints=_pointer_hints(task.actions, truth.steps) if truth is not None else [],
        checkpoint_texts=dict(truth.checkpoint_texts) if truth is not None else {},
        target_boxes=_target_boxes(task.actions, truth.steps) if truth is not None else [],
        page_clock=truth.page_clock if truth is not None else None,
        page_times=truth.page_times() if truth is not None else None,
    )


def probe_trajectory(task: Task, probe: Any, truth: GroundTruth | None = None) -> Trajectory:
    """A held-out probe with its checkpoints `checkpoints/probes/<name>/step_k.png`."""
    folder = task.paths.checkpoints / "probes" / probe.name
    n = len(probe.actions)
    cps = [folder / f"step_{k}.png" for k in range(n + 1)]
    return Trajectory(
        name=f"probe:{probe.name}",
        actions=list(probe.actions),
        checkpoints=[c if c.is_file() else None for c in cps],
        pointer_hints=_pointer_hints(probe.actions, probe.steps),
        checkpoint_texts=dict(getattr(probe, "checkpoint_texts", {}) or {}),
        target_boxes=_target_boxes(probe.actions, probe.steps),
        page_clock=truth.page_clock if truth is not None else None,
        page_times=probe.page_times() if hasattr(probe, "page_times") else None,  # probe: its own times
    )
