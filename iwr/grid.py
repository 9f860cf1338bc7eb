"""The grid of a run: tasks x agents x models x seeds, one `GridCell` per combination."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

NO_MODEL = "none"


class GridCell(BaseModel):
    """One task x agent x model x seed; `agent` is the agent's run name (label with switches)."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    agent: str
    model: str  # NO_MODEL for agents that need no model
    seed: int = 0

    @property
    def label(self) -> str:
        parts = [self.task_id, self.agent] + ([self.model] if self.model != NO_MODEL else [])
        return "/".join(parts) + (f"#s{self.seed}" if self.seed else "")

    def folder(self, run_dir: Path) -> Path:
        """`<agent>/<model-slug>/<task_id>/` (seed 0) or `<agent>/<model-slug>/seed-<n>/<task_id>/`."""
        base = run_dir / self.agent / model_slug(self.model)
        return (base / f"seed-{self.seed}" if self.seed else base) / self.task_id


def model_slug(model: str | None) -> str:
    """A folder name for a model string (`openai/gpt-4o` -> `openai_gpt-4o`)."""
    if not model:
        return NO_MODEL
    return re.sub(r"[^a-z0-9.\-]+", "_", model.lower()).strip("_") or NO_MODEL


def parse_seeds(text: str) -> list[int]:
    """`"3"` -> [0, 1, 2]; `"0,5,7"` -> [0, 5, 7] (raises ValueError otherwise)."""
    text = text.strip()
    if "," not in text:
        count = int(text)
        if count < 1:
            raise ValueError("--seeds N needs N >= 1")
        return list(range(count))
    seeds = [int(p) for p in text.split(",") if p.strip()]
    if any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise ValueError("--seeds list must hold distinct non-negative integers")
    return seeds


def plan_grid(task_ids: Sequence[str], agents: Sequence[tuple[str, bool]], models: Sequence[str],
              seeds: Sequence[int]) -> list[GridCell]:
    """Every combination, task-major then agent, model and seed; `agents` are (run name, needs model).
    Task-major: a run stopped by its budget has run every agent on the tasks it reached, so what
    it did is still a comparison.

    An agent that needs no model does not vary with it: it runs once per task x seed as model `none`.
    """
    return [GridCell(task_id=t, agent=agent, model=model, seed=seed)
            for t in task_ids
            for agent, needs_model in agents
            for model in (models if needs_model else [NO_MODEL])
            for seed in seeds]
