"""summary.json of an evaluation: one row a task, macro averages and the protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .scoring import macro_average
from .types import JudgeResult, Protocol, Status

SUMMARY_METRICS = ("ifs", "vfs", "final", "lfs", "hfs", "step_pass_rate", "vfs_all", "probe_ifs", "generalization_gap")


def summary_row(result: JudgeResult) -> dict[str, Any]:
    """One summary.json row: official scores, extended ones, probes, status and timings."""
    s = result.scores
    gap = s.ifs - result.probe_ifs if result.probe_ifs is not None else None
    return {
        "task_id": result.task_id,
        "ifs": s.ifs, "vfs": s.vfs, "final": s.final, "lfs": s.lfs, "hfs": s.hfs,
        "success_steps": result.success_steps, "total_steps": result.total_steps,
        "status": result.status.value, "error": result.error,
        "step_pass_rate": s.step_pass_rate, "vfs_all": s.vfs_all,
        "probe_ifs": result.probe_ifs, "generalization_gap": gap,
        "probes": len(result.probes),
        "blocked_requests": result.blocked_requests,
        "seconds": result.timings.get("total"),
    }


def missing_row(task_id: str, total_steps: int, reason: str) -> dict[str, Any]:
    """A summary row for a task whose page does not exist: status `missing`, scores 0 as the
    official scripts count a page that was never generated."""
    row: dict[str, Any] = {m: None for m in SUMMARY_METRICS}
    row.update(task_id=task_id, ifs=0.0, vfs=None, final=0.0, success_steps=0, total_steps=total_steps,
               status="missing", error=reason, probes=0, blocked_requests=0, seconds=None)
    return row


def build_summary(rows: Sequence[dict[str, Any]], protocol: Protocol) -> dict[str, Any]:
    """summary.json content: rows, macro averages and the protocol.

    Macro averages are over every task except infra errors (the judge's own failures,
    listed in `macro.infra_errors`); a missing page counts as 0.
    """
    scored = [r for r in rows if r["status"] != Status.INFRA_ERROR.value]
    macro: dict[str, Any] = dict(macro_average(scored, SUMMARY_METRICS))
    macro["tasks"] = len(rows)
    macro["scored"] = len(scored)
    macro["infra_errors"] = [r["task_id"] for r in rows if r["status"] == Status.INFRA_ERROR.value]
    macro["model_errors"] = [r["task_id"] for r in rows if r["status"] == Status.MODEL_ERROR.value]
    macro["missing"] = [r["task_id"] for r in rows if r["status"] == "missing"]
    return {"tasks": list(rows), "macro": macro, "protocol": protocol.model_dump(mode="json")}
