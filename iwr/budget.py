"""The run budget: a cap in tokens and/or dollars over every cell of a run."""

from __future__ import annotations

from dataclasses import dataclass

from .result_schema import TaskOutcome


@dataclass
class Budget:
    """Spend so far against the caps; `exhausted_reason` says why no new work may start.

    Costs that are unknown (a model missing from the price map) cannot count against a dollar
    cap; they are counted in `unknown_cost_cells` so the summary can say so.
    """

    max_tokens: int | None = None
    max_cost_usd: float | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    unknown_cost_cells: int = 0

    def add(self, outcome: TaskOutcome) -> None:
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
        return None

    def remaining_tokens(self) -> int | None:
        return None if self.max_tokens is None else max(0, self.max_tokens - self.tokens)

    def remaining_cost(self) -> float | None:
        return None if self.max_cost_usd is None else max(0.0, self.max_cost_usd - self.cost_usd)
