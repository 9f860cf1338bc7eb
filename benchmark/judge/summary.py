"""summary.json of an evaluation: one typed row a task, and the macro averages over them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from .scoring import macro_average
from .types import JudgeResult, Status

SUMMARY_METRICS = ("ifs", "vfs", "final", "lfs", "hfs", "step_pass_rate", "vfs_all", "probe_ifs", "generalization_gap")


class EvalTaskRow(BaseModel):
    """One judged task of `iwr eval` (status `missing`: no page, scored 0 as the official scripts do)."""

    task_id: str
    ifs: float | None = None
    vfs: float | None = None
    final: float | None = None
    lfs: float | None = None
    hfs: float | None = None
    success_steps: int = 0
    total_steps: int = 0
    status: Literal["ok", "model_error", "infra_error", "missing"] = "ok"
    error: str | None = None
    step_pass_rate: float | None = None
    vfs_all: float | None = None
    probe_ifs: float | None = None
    generalization_gap: float | None = None
    probes: int = 0
    blocked_requests: int = 0
    seconds: float | None = None


class EvalMacro(BaseModel):
    """Means over the judged tasks (infra errors left out, missing pages as 0) and who is which."""

    ifs: float | None = None
    vfs: float | None = None
    final: float | None = None
    lfs: float | None = None
    hfs: float | None = None
    step_pass_rate: float | None = None
    vfs_all: float | None = None
    probe_ifs: float | None = None
    generalization_gap: float | None = None
    tasks: int = 0
    scored: int = 0
    infra_errors: list[str] = Field(default_factory=list)
    model_errors: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)


def summary_row(result: JudgeResult) -> EvalTaskRow:
    """One summary.json row: official scores, extended ones, probes, status and timings."""
    s = result.scores
    gap = s.ifs - result.probe_ifs if result.probe_ifs is not None else None
    return EvalTaskRow(
        task_id=result.task_id,
        ifs=s.ifs, vfs=s.vfs, final=s.final, lfs=s.lfs, hfs=s.hfs,
        success_steps=result.success_steps, total_steps=result.total_steps,
        status=result.status.value, error=result.error,
        step_pass_rate=s.step_pass_rate, vfs_all=s.vfs_all,
        probe_ifs=result.probe_ifs, generalization_gap=gap,
        probes=len(result.probes),
        blocked_requests=result.blocked_requests,
        seconds=result.timings.get("total"),
    )


def missing_row(task_id: str, total_steps: int, reason: str) -> EvalTaskRow:
    """A summary row for a task whose page does not exist: status `missing`, scores 0 as the
    official scripts count a page that was never generated."""
    return EvalTaskRow(task_id=task_id, ifs=0.0, final=0.0, total_steps=total_steps, status="missing", error=reason)


def eval_macro(rows: Sequence[EvalTaskRow]) -> EvalMacro:
    """Macro averages over every task except infra errors (the judge's own failures, listed in
    `infra_errors`); a missing page counts as 0."""
    scored = [r for r in rows if r.status != Status.INFRA_ERROR.value]
    means = macro_average([r.model_dump(include=set(SUMMARY_METRICS)) for r in scored], SUMMARY_METRICS)
    return EvalMacro(
        **means,
        tasks=len(rows),
        scored=len(scored),
        infra_errors=[r.task_id for r in rows if r.status == Status.INFRA_ERROR.value],
        model_errors=[r.task_id for r in rows if r.status == Status.MODEL_ERROR.value],
        missing=[r.task_id for r in rows if r.status == "missing"],
    )
