"""The run's fuse: once the same error that cannot heal (a rejected key, an unknown model, a
malformed request, a context window exceeded) has failed N cells in a row, no new cell starts.

`RunGate` joins it with the budget for the scheduler (`executors.run_cells` asks
`exhausted_reason` before starting each cell).
"""

from __future__ import annotations

from .budget import Budget
from .result_schema import TaskOutcome

DEFAULT_FUSE = 3  # three cells failing alike is a pattern, not bad luck; small enough to waste little


class Fuse:
    """Counts consecutive failures with the same (model, non-healing kind); `limit` 0 = off.

    `unit` names what failed in the reason ("cells" for `iwr run`, "tasks" for `iwr eval`).
    """

    def __init__(self, limit: int = DEFAULT_FUSE, unit: str = "cells") -> None:
        self.limit = limit
        self.unit = unit
        self._key: tuple[str, str] | None = None
        self._count = 0
        self._message = ""
        self.reason: str | None = None  # set when the fuse blew

    def observe(self, kind: str | None, model: str, message: str | None = None) -> None:
        """One finished cell or task: `kind` is its model error kind (None when it did not fail that way)."""
        from .tools.llm.types import NON_HEALING_KINDS

        if kind not in NON_HEALING_KINDS:
            self._key, self._count = None, 0
            return
        assert kind is not None
        key = (model, kind)
        if key != self._key:
            self._key, self._count, self._message = key, 0, message or kind
        self._count += 1
        if self.limit and self._count >= self.limit and self.reason is None:
            self.reason = f"{kind} failed {self._count} {self.unit} in a row with {model} ({self._message}); no new {self.unit[:-1]} was started"

    def add(self, outcome: TaskOutcome) -> None:
        self.observe(outcome.error_kind if outcome.status == "model_error" else None, outcome.model, outcome.error)


class RunGate:
    """The budget and the fuse, seen by the scheduler as one budget."""

    def __init__(self, budget: Budget, fuse: Fuse) -> None:
        self.budget = budget
        self.fuse = fuse

    def add(self, outcome: TaskOutcome) -> None:
        self.budget.add(outcome)
        self.fuse.add(outcome)

    @property
    def exhausted_reason(self) -> str | None:
        return self.fuse.reason or self.budget.exhausted_reason

    def refuses(self, agent: str | None) -> str | None:
        return self.fuse.reason or self.budget.refuses(agent)

    def remaining_tokens(self) -> int | None:
        return self.budget.remaining_tokens()

    def remaining_cost(self) -> float | None:
        return self.budget.remaining_cost()
