"""Paired comparison of result sets: per-task deltas with paired bootstrap intervals.

A source is a run folder or summary file, optionally with a selector after `#`:
`runs/r1#agent=iterative,model=gpt-4o,iteration=0`. Both `iwr run` and `iwr eval` summaries
are read, through `iwr.result_schema` (older files upgraded). Only tasks present
(with status ok) in both sources are paired; the rest are listed as unpaired, and each side says
how many of its tasks were scored and why the others failed (infra failures apart).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from .errors import IwrError
from .result_schema import EvalSummary, EvalTaskRow, RunSummary, SummaryRow, read_summary

METRICS = ("final", "ifs", "vfs", "probe_ifs")


class ResultSet(BaseModel):
    """Per-task scores of one source after selection."""

    label: str
    scores: dict[str, dict[str, float]]  # task_id -> metric -> value
    protocol: str | None = None
    failed: list[str] = Field(default_factory=list)  # task ids with a non-ok status (model failures and infra)
    failed_kinds: dict[str, str] = Field(default_factory=dict)  # task id -> why (auth, no_page, missing, ...)
    infra: list[str] = Field(default_factory=list)  # task ids of infra failures (never scored)

    def line(self) -> str:
        """'N of M tasks scored; k failed: auth (t1); 1 infra failure, not scored: t2'."""
        model_failed = [t for t in self.failed if t not in self.infra]
        parts = [f"{len(self.scores)} of {len(self.scores) + len(self.failed)} tasks scored"]
        if model_failed:
            kinds: dict[str, list[str]] = {}
            for t in model_failed:
                kinds.setdefault(self.failed_kinds.get(t, "failed"), []).append(t)
            parts.append(f"{len(model_failed)} failed: " + ", ".join(f"{k} ({', '.join(ts)})" for k, ts in kinds.items()))
        if self.infra:
            parts.append(f"{len(self.infra)} infra failure(s), not scored: {', '.join(self.infra)}")
        return "; ".join(parts)


class MetricDelta(BaseModel):
    """B minus A on one metric over the paired tasks."""

    metric: str
    n: int
    mean_a: float
    mean_b: float
    delta: float
    ci_low: float
    ci_high: float
    p_le_zero: float  # bootstrap share of resampled deltas <= 0 (one-sided evidence of a gain)


class Comparison(BaseModel):
    """A against B: deltas per metric, tasks that flipped, tasks that could not be paired."""

    a: str
    b: str
    deltas: list[MetricDelta]
    flipped_to_pass: list[str]  # IFS < 1 in A, = 1 in B
    flipped_to_fail: list[str]
    unpaired: list[str]
    a_tasks: str = ""  # how many tasks each side scored and why the others failed
    b_tasks: str = ""


def _parse_source(spec: str) -> tuple[Path, dict[str, str]]:
    path_text, _, selector = spec.partition("#")
    filters: dict[str, str] = {}
    for part in filter(None, selector.split(",")):
        key, sep, value = part.partition("=")
        if not sep or key not in ("agent", "model", "iteration", "seed"):
            raise IwrError(f"bad selector {part!r} in {spec!r}: use agent=, model=, iteration=, seed=")
        filters[key] = value
    return Path(path_text), filters


class _ScoredRow(BaseModel):
    """What compare needs of a summary row, from a run or an eval summary."""

    task_id: str
    agent: str | None = None
    model: str | None = None
    seed: int | None = None
    iteration: str | None = None
    status: str
    error_kind: str | None = None
    scores: dict[str, float]


def _scored_rows(summary: RunSummary | EvalSummary) -> list[_ScoredRow]:
    if isinstance(summary, EvalSummary):
        return [_ScoredRow(task_id=r.task_id, status=r.status, scores=_metrics(r)) for r in summary.tasks]
    return [_ScoredRow(task_id=r.task_id, agent=r.agent, model=r.model, seed=r.seed, iteration=str(r.iteration), status=r.status,
                       error_kind=r.error_kind, scores=_metrics(r)) for r in summary.rows]


def _metrics(row: SummaryRow | EvalTaskRow) -> dict[str, float]:
    values = {m: getattr(row, m, None) for m in METRICS}
    return {m: float(v) for m, v in values.items() if isinstance(v, (int, float))}


def _read_source(path: Path) -> RunSummary | EvalSummary:
    file = path / "summary.json" if path.is_dir() else path
    if not file.is_file():
        raise IwrError(f"{path}: no summary.json found")
    return read_summary(file)


def load_result_set(spec: str) -> ResultSet:
    """Read a source and select its rows (default iteration: 'final' for a run summary)."""
    path, filters = _parse_source(spec)
    summary = _read_source(path)
    if isinstance(summary, RunSummary):
        filters.setdefault("iteration", "final")
    rows = _scored_rows(summary)
    chosen = [r for r in rows if all(str(getattr(r, k)) == v for k, v in filters.items())]
    configs = {(r.agent, r.model, r.seed) for r in chosen}
    if len(configs) > 1:
        names = ", ".join(f"agent={a},model={m}" + (f",seed={s}" if s is not None else "") for a, m, s in sorted(configs, key=str))
        raise IwrError(f"{spec}: several configurations ({names}); add a selector like '{path}#agent=...,model=...'")
    protocol = summary.protocol.name if isinstance(summary, EvalSummary) else None
    result = ResultSet(label=spec, scores={}, protocol=protocol)
    for row in chosen:
        if row.status != "ok":
            result.failed.append(row.task_id)
            result.failed_kinds[row.task_id] = row.error_kind or row.status
            if row.status == "infra_error":
                result.infra.append(row.task_id)
            continue
        result.scores[row.task_id] = row.scores
    if not result.scores and not result.failed:
        raise IwrError(f"{spec}: no rows match")
    return result


def paired_bootstrap(a: np.ndarray, b: np.ndarray, samples: int, seed: int) -> tuple[float, float, float]:
    """95% percentile interval of mean(b - a) over task resamples, and P(delta <= 0)."""
    diffs = b - a
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(diffs), size=(samples, len(diffs)))
    means = diffs[idx].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high), float((means <= 0).mean())


def compare(a: ResultSet, b: ResultSet, samples: int = 5000, seed: int = 0) -> Comparison:
    """B minus A on every metric both sides have, over the tasks both completed."""
    if a.protocol and b.protocol and a.protocol != b.protocol:
        raise IwrError(f"protocols differ ({a.protocol} vs {b.protocol}): scores from different protocols are not comparable")
    paired = sorted(set(a.scores) & set(b.scores))
    unpaired = sorted((set(a.scores) | set(b.scores) | set(a.failed) | set(b.failed)) - set(paired))
    deltas = []
    for metric in METRICS:
        tasks = [t for t in paired if metric in a.scores[t] and metric in b.scores[t]]
        if not tasks:
            continue
        va = np.array([a.scores[t][metric] for t in tasks])
        vb = np.array([b.scores[t][metric] for t in tasks])
        low, high, p = paired_bootstrap(va, vb, samples, seed)
        deltas.append(MetricDelta(metric=metric, n=len(tasks), mean_a=float(va.mean()), mean_b=float(vb.mean()),
                                  delta=float((vb - va).mean()), ci_low=low, ci_high=high, p_le_zero=p))
    passes = {t: (a.scores[t].get("ifs") == 1.0, b.scores[t].get("ifs") == 1.0) for t in paired}
    return Comparison(
        a=a.label, b=b.label, deltas=deltas, unpaired=unpaired, a_tasks=a.line(), b_tasks=b.line(),
        flipped_to_pass=[t for t, (pa, pb) in passes.items() if pb and not pa],
        flipped_to_fail=[t for t, (pa, pb) in passes.items() if pa and not pb],
    )
