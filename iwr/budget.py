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
    cells this process finished, so a run ends near its cap instead of one cell past it.
    """

    max_tokens: int | None = None
    max_cost_usd: float | None = None
    max_minutes: float | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    unknown_cost_cells: int = 0
    started: float = field(default_factory=time.monotonic)
    cell_seconds: list[float] = field(default_factory=list)  # wall time of the cells finished here

    def add(self, outcome: TaskOutcome, fresh: bool = True) -> None:
        if fresh:
            self.cell_seconds.append(outcome.wall_s)
        self.tokens += outcome.prompt_tokens + outcome.completion_tokens
        if outcome.cost_usd is None:
            if outcome.model_calls:
                self.unknown_cost_cells += 1
        else:
            self.cost_usd += outcome.cost_usd

    @property
    def exhausted_reason(self) -> str | None:
        if self.max_tokens is not None and self.tokens >= self.max_tokens:
            return f"token budget spent ({self.tokens} >= {self.max_tokens} tokens)"
        if self.max_cost_usd is not None and self.cost_usd >= self.max_cost_usd:
            return f"cost budget spent (${self.cost_usd:.4f} >= ${self.max_cost_usd:.4f})"
        return self._time_reason()

    def _time_reason(self) -> str | None:
        if self.max_minutes is None:
            return None
        elapsed = time.monotonic() - self.started
        mean_cell = sum(self.cell_seconds) / len(self.cell_seconds) if self.cell_seconds else 0.0
        if elapsed + mean_cell >= self.max_minutes * 60:
            return (f"time budget spent ({elapsed / 60:.1f} min elapsed, a cell takes {mean_cell / 60:.1f} min on "
                    f"average, cap {self.max_minutes:g} min)")
        return None

    def remaining_tokens(self) -> int | None:
        return None if self.max_tokens is None else max(0, self.max_tokens - self.tokens)

    def remaining_cost(self) -> float | None:
        return None if self.max_cost_usd is None else max(0.0, self.max_cost_usd - self.cost_usd)
