"""What a run's options resolve to: its agents, its tasks and the grid of cells. The driver
(`Runner`) and every Ray worker resolve the same options the same way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import structlog

from .benchmark.task import Task
from .errors import IwrError
from .grid import GridCell, plan_grid
from .run_types import RunOptions

if TYPE_CHECKING:
    from .agents import AgentSpec

log = structlog.get_logger()


@dataclass(frozen=True)
class RunPlan:
    """The resolved run: the tasks file, agents by run name, tasks by key, and the cells."""

    jsonl: Path
    specs: dict[str, AgentSpec]
    tasks: dict[str, Task]
    cells: list[GridCell]


def plan_run(opts: RunOptions) -> RunPlan:
    """Resolve agents and tasks and plan the grid (raises IwrError on bad options)."""
    specs = resolve_specs(opts)
    jsonl, tasks = resolve_tasks(opts)
    cells = plan_grid([t.key for t in tasks], [(s.run_name, s.needs_model) for s in specs], opts.models, opts.seeds)
    return RunPlan(jsonl=jsonl, specs={s.run_name: s for s in specs}, tasks={t.key: t for t in tasks}, cells=cells)


def resolve_specs(opts: RunOptions) -> list[AgentSpec]:
    """The agents of `--agent`, configured by the run's switches."""
    from .agents import resolve_agent

    inputs = inputs_mode(opts)
    specs = [
        resolve_agent(
            name,
            max_iters=opts.max_iters if name == "iterative" else None,
            repair_style=opts.repair_style,
            use_perception=opts.perception,
            reasoning_effort=opts.reasoning_effort,
            oracle_feedback=opts.oracle_feedback,
            critic=opts.critic if name == "iterative" else None,
            inputs=inputs,
        )
        for name in opts.agents
    ]
    for spec in specs:
        if spec.needs_model and not opts.models:
            raise IwrError(f"agent {spec.name} needs a model: pass --model provider/name")
    if not specs:
        raise IwrError("no agent given: pass --agent NAME (see `iwr agents`)")
    return specs


def inputs_mode(opts: RunOptions) -> Literal["images", "text"]:
    """--inputs; `auto` is text when a model of the run takes no images (its agents are labelled +text)."""
    if opts.inputs != "auto":
        return opts.inputs
    from .tools.llm.vision import image_support

    for model in opts.models:
        support = image_support(model, opts.api_base)
        if not support.images:
            log.info("text-only model: agents get the video as text", model=model, source=support.source)
            return "text"
    return "images"


def resolve_tasks(opts: RunOptions) -> tuple[Path, list[Task]]:
    """The tasks file and the tasks of `--task` in it (all when none is named)."""
    from .benchmark.dataset import load_tasks
    from .benchmark.tasks_source import resolve_tasks_path

    jsonl = resolve_tasks_path(opts.tasks)
    tasks = load_tasks(jsonl)
    if opts.task_ids:
        wanted = set(opts.task_ids)
        unknown = wanted - {t.key for t in tasks}
        if unknown:
            raise IwrError(f"unknown task id(s) {', '.join(sorted(unknown))} in {jsonl}")
        tasks = [t for t in tasks if t.key in wanted]
    if not tasks:
        raise IwrError(f"no tasks in {jsonl}")
    return jsonl, tasks
