"""The run budget: a cap in tokens, dollars and/or wall-clock minutes over every cell of a run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .result_schema import TaskOutcome


@dataclass
class Budget:
    """Spend so far against the caps; `exhausted_reason` says why no new work may start.

    Costs that are unknown (a model missing from the price map) cannot count against a dollar
    cap; they are counted in `unknown_cost_cells` so the summary can say so. The time cap
    counts from the budget's creation (this process: cells finished by an earlier run take
    none of it); no cell starts once the time left is shorter than the mean wall time of the
    cells of its agent this process finished (of all its cells while none of that agent has
    finished: an iterative agent's cell can take several single-shot cells' time), so a run
    ends near its cap instead of one cell past it.
    """

    max_tokens: int | None = None
    max_cost_usd: float | None = None
    max_minutes: float | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    unknown_cost_cells: int = 0
    started: float = field(default_factory=time.monotonic)
    cell_seconds: dict[str, list[float]] = field(default_factory=dict)  # wall time of the cells finished here, by agent

    def add(self, outcome: TaskOutcome, fresh: bool = True) -> None:
        if fresh:
            self.cell_seconds.setdefault(outcome.agent, []).append(outcome.wall_s)
        self.tokens += outcome.prompt_tokens + outcome.completion_tokens
        if outcome.cost_usd is None:
            if outcome.model_calls:
                self.unknown_cost_cells += 1
        else:
            self.cost_usd += outcome.cost_usd

    @property
    def exhausted_reason(self) -> str | None:
        """Why no new cell may start, judged by the mean cell of all agents."""
        return self.refuses(None)

    def refuses(self, agent: str | None) -> str | None:
        """Why a new cell of `agent` may not start (None: it may)."""
        if self.max_tokens is not None and self.tokens >= self.max_tokens:
            return f"token budget spent ({self.tokens} >= {self.max_tokens} tokens)"
        if self.max_cost_usd is not None and self.cost_usd >= self.max_cost_usd:
            return f"cost budget spent (${self.cost_usd:.4f} >= ${self.max_cost_usd:.4f})"
        return self._time_reason(agent)

    def _time_reason(self, agent: str | None) -> str | None:
        if self.max_minutes is None:
            return None
        elapsed = time.monotonic() - self.started
        seconds = self.cell_seconds.get(agent or "") or [s for runs in self.cell_seconds.values() for s in runs]
        mean_cell = sum(seconds) / len(seconds) if seconds else 0.0
        if elapsed + mean_cell >= self.max_minutes * 60:
            return (f"time budget spent ({elapsed / 60:.1f} min elapsed, a cell takes {mean_cell / 60:.1f} min on "
                    f"average, cap {self.max_minutes:g} min)")
        return None

    def remaining_tokens(self) -> int | None:
        return None if self.max_tokens is None else max(0, self.max_tokens - self.tokens)

    def remaining_cost(self) -> float | None:
        return None if self.max_cost_usd is None else max(0.0, self.max_cost_usd - self.cost_usd)
