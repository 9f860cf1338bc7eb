"""What `iwr eval` prints: the scores table and a line saying which tasks were judged and which not."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..result_schema import EvalSummary


def judge_failure_kinds(error: str | None) -> list[str]:
    """The model error kinds named in a judge result's error ('... auth [assert]: ...' -> ['auth'])."""
    import re

    from ..tools.llm.errors import KIND_HELP

    return list(dict.fromkeys(k for k in re.findall(r"\b([a-z_]+) \[\w+\]:", error or "") if k in KIND_HELP))


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def print_eval_table(summary: EvalSummary, out: Path) -> None:
    """The per-task scores, the macro row, what was (not) judged, and where summary.json went."""
    from rich.console import Console
    from rich.table import Table

    proto = summary.protocol
    table = Table(title=f"iwr eval ({proto.name} protocol: grounder {proto.grounder}, asserter {proto.asserter}, "
                        f"visual {'+'.join(proto.visual) or 'off'})")
    for col in ("task", "IFS", "VFS", "Final", "steps", "probe IFS", "gap", "status"):
        table.add_column(col, justify="left" if col in ("task", "status") else "right")
    for r in summary.tasks:
        status = r.status if r.status == "ok" else f"{r.status}: {(r.error or '')[:60]}"
        table.add_row(r.task_id, _fmt(r.ifs), _fmt(r.vfs), _fmt(r.final), f"{r.success_steps}/{r.total_steps}",
                      _fmt(r.probe_ifs), _fmt(r.generalization_gap), status)
    m = summary.macro
    table.add_section()
    table.add_row("macro", _fmt(m.ifs), _fmt(m.vfs), _fmt(m.final), "",
                  _fmt(m.probe_ifs), _fmt(m.generalization_gap), f"{m.scored}/{m.tasks} scored")
    Console().print(table)
    Console().print(tasks_line(summary), markup=False, highlight=False)
    Console().print(f"wrote {out / 'summary.json'}")


def tasks_line(summary: EvalSummary) -> str:
    """'3 of 4 tasks judged; 1 missing page counted as 0 (official convention); judge model failed on 1: auth'."""
    m, rows = summary.macro, summary.tasks
    total = len(rows) + len(summary.not_judged)
    parts = [f"{len(rows) - len(m.model_errors) - len(m.infra_errors)} of {total} tasks judged"]
    if m.missing:
        parts.append(f"{len(m.missing)} missing page(s) counted as 0 (official convention): {', '.join(m.missing)}")
    if m.model_errors:
        kinds = sorted({k for r in rows if r.status == "model_error" for k in judge_failure_kinds(r.error)})
        parts.append(f"the judge model failed on {len(m.model_errors)} ({', '.join(kinds) or 'see errors'}): "
                     f"their scores are incomplete: {', '.join(m.model_errors)}")
    if m.infra_errors:
        parts.append(f"{len(m.infra_errors)} infra failure(s), not scored: {', '.join(m.infra_errors)}")
    if summary.stopped_by_fuse:
        parts.append(f"stopped by the fuse: {summary.stopped_by_fuse}; not judged: {', '.join(summary.not_judged)}")
    return "; ".join(parts)
