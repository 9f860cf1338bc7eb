"""Test helper: why a judged page did not pass, in one line (for assertion messages)."""

from __future__ import annotations

from iwr.benchmark.judge.types import JudgeResult


def explain(r: JudgeResult) -> str:
    """The first failed step: its index, error, the assertion's evidence and the action's description."""
    bad = [s for s in r.steps if not s.passed]
    if not bad:
        return "all passed"
    s = bad[0]
    return f"step {s.index} failed: {s.error} {s.assertion.evidence if s.assertion else ''} ({s.action.description})"
