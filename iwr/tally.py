"""Honest counts of a run's final pages: how many were scored, how many failed and why, and
means that say how failures were counted.

Conventions (one place, used by `iwr run`, summary.json, the report and `compare`):
- a cell whose final row is `ok` is scored;
- a `model_error` cell (no page, or a model that could not be used) is a failure: the official
  convention scores a task without a page 0, so the means count it as 0 and say how many;
- an `infra_error` cell (browser, sandbox, disk, a lost worker) is never scored: it is left out
  of the means and listed apart, as SWE-bench's harness does;
- with nothing scored there is no mean at all (a 0.000 would be a score for a run that made no page).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol

from pydantic import BaseModel, Field

INFRA = "infra_error"


class FinalRowLike(Protocol):
    """What a tally reads from a row (a run's SummaryRow or a store's ResultRow): read-only, so a
    row whose status is a Literal of names fits too."""

    @property
    def task_id(self) -> str: ...

    @property
    def agent(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def seed(self) -> int: ...

    @property
    def status(self) -> str: ...

    @property
    def error(self) -> str | None: ...

    @property
    def error_kind(self) -> str | None: ...

    @property
    def ifs(self) -> float | None: ...

    @property
    def vfs(self) -> float | None: ...

    @property
    def final(self) -> float | None: ...


class ConfigTally(BaseModel):
    """The final pages of one agent x model: scored, failed by kind, infra failures, means."""

    agent: str
    model: str
    cells: int
    scored: int
    failed: dict[str, int] = Field(default_factory=dict)  # failure kind -> cells (counted as 0 in the means)
    infra: list[str] = Field(default_factory=list)  # task ids (#seed) of infra failures: not scored, not in the means
    ifs: float | None = None  # over scored + failed cells, failures as 0; None when nothing was scored
    vfs: float | None = None
    final: float | None = None

    @property
    def failed_count(self) -> int:
        return sum(self.failed.values())

    def line(self, unit: str = "tasks") -> str:
        """'0 of 1 tasks scored; 1 failed: auth' (+ means that say how failures counted)."""
        parts = [f"{self.scored} of {self.cells} {unit} scored"]
        if self.failed:
            parts.append(f"{self.failed_count} failed: " + ", ".join(f"{k}" + (f" x{n}" if n > 1 else "") for k, n in self.failed.items()))
        if self.infra:
            parts.append(f"{len(self.infra)} infra failure(s), not scored and left out of the means: {', '.join(self.infra)}")
        text = "; ".join(parts)
        if self.scored and self.ifs is not None:
            text += f"; mean IFS {self.ifs:.3f}  VFS {self.vfs or 0.0:.3f}  Final {self.final or 0.0:.3f}"
            if self.failed:
                n = self.failed_count
                text += f" over {self.scored + n} {unit}, the {n} failed counted as 0 (official convention)"
        return text


def _label(row: FinalRowLike) -> str:
    return row.task_id + (f"#s{row.seed}" if row.seed else "")


def failure_kind(row: FinalRowLike) -> str:
    """The kind of a failed row: its error_kind, else the kind prefix of its error text."""
    if row.error_kind:
        return row.error_kind
    head = (row.error or "").split(":", 1)[0].split(" ")[0]
    return head if head.replace("_", "").isalpha() and head.islower() else row.status


def tally_config(agent: str, model: str, rows: Sequence[FinalRowLike]) -> ConfigTally:
    scored = [r for r in rows if r.status == "ok"]
    failed = [r for r in rows if r.status not in ("ok", INFRA)]
    infra = [r for r in rows if r.status == INFRA]
    out = ConfigTally(agent=agent, model=model, cells=len(rows), scored=len(scored),
                      failed=dict(Counter(failure_kind(r) for r in failed)), infra=[_label(r) for r in infra])
    if scored:
        counted = scored + failed
        out.ifs, out.vfs, out.final = (sum(getattr(r, m) or 0.0 for r in scored) / len(counted) for m in ("ifs", "vfs", "final"))
    return out


def tally(final_rows: Iterable[FinalRowLike]) -> list[ConfigTally]:
    """One tally per agent x model, in the order they first appear."""
    groups: dict[tuple[str, str], list[FinalRowLike]] = {}
    for r in final_rows:
        groups.setdefault((r.agent, r.model), []).append(r)
    return [tally_config(agent, model, rows) for (agent, model), rows in groups.items()]


class FailureGroup(BaseModel):
    """Failed cells sharing a kind: reported once, with the provider's message of the first."""

    kind: str
    status: str
    count: int
    message: str | None
    cells: list[str]


def group_failures(final_rows: Iterable[FinalRowLike]) -> list[FailureGroup]:
    """Failed final rows grouped by (status, kind), model failures first, infra apart at the end."""
    groups: dict[tuple[str, str], FailureGroup] = {}
    for r in final_rows:
        if r.status == "ok":
            continue
        kind = failure_kind(r)
        label = "/".join([r.task_id, r.agent] + ([r.model] if r.model != "none" else [])) + (f"#s{r.seed}" if r.seed else "")
        group = groups.setdefault((r.status, kind), FailureGroup(kind=kind, status=r.status, count=0, message=r.error, cells=[]))
        group.count += 1
        group.cells.append(label)
    return sorted(groups.values(), key=lambda g: (g.status == INFRA, -g.count))


def exit_status(final_rows: Iterable[FinalRowLike], stopped_by_fuse: str | None = None) -> int:
    """0 when every cell that ran ended with a score, 1 when some failed or the fuse stopped the run."""
    return 1 if stopped_by_fuse or any(r.status != "ok" for r in final_rows) else 0
