"""How a judgement compares with the DOM-probe ground truth of a variant."""

from __future__ import annotations

from enum import StrEnum

from ..judge.types import JudgeResult, Status


class Outcome(StrEnum):
    """A variant's judgement against where its visible DOM state first differs."""

    AT_STEP = "at step"  # failed exactly at the first differing step
    EARLY = "early"  # failed before it (a step the variant performs like the original)
    LATE = "late"  # passed the differing step, failed later
    MISSED = "missed"  # differs somewhere, never failed
    KEPT = "kept"  # never differs, IFS 1
    WRONGLY_FAILED = "wrongly failed"  # never differs, failed anyway
    JUDGE_ERROR = "judge error"  # the judge could not run (infra or model error)


def judged_step(result: JudgeResult) -> int | None:
    """The first failed step of the verdict (end of the IFS prefix + 1); None when all passed."""
    return None if result.success_steps >= result.total_steps else result.success_steps + 1


def expected_step(truth: int | None) -> int | None:
    """The step a judge should fail for a first difference at state `truth`: the same step,
    except a difference in the initial state (0), which has no verdict of its own: step 1."""
    return None if truth is None else max(1, truth)


def classify(truth: int | None, result: JudgeResult) -> Outcome:
    """The outcome of `result` for a variant whose visible state first differs at `truth`."""
    if result.status != Status.OK:
        return Outcome.JUDGE_ERROR
    judged, expected = judged_step(result), expected_step(truth)
    if expected is None:
        return Outcome.KEPT if judged is None else Outcome.WRONGLY_FAILED
    if judged is None:
        return Outcome.MISSED
    if judged == expected:
        return Outcome.AT_STEP
    return Outcome.EARLY if judged < expected else Outcome.LATE


def failure_reason(result: JudgeResult) -> str:
    """One line on the first failed step: what the judge said, or why the step failed."""
    step = judged_step(result)
    if result.status != Status.OK:
        return f"{result.status.value}: {result.error}"
    if step is None:
        return "all steps passed"
    v = next((s for s in result.steps if s.index == step), None)
    if v is None:
        return f"step {step}: no verdict"
    if not v.performed:
        return f"step {step} not performed: {v.error or 'grounding failed'}"
    reason = v.assertion.evidence.get("reason") if v.assertion is not None else None
    return f"step {step} assertion failed: {reason or v.error or ''}".strip()
