"""Records of `iwr run`: options, summary rows, per-task outcomes, the run summary."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

StatusName = Literal["ok", "model_error", "infra_error"]


class RunOptions(BaseModel):
    """Everything `iwr run` was asked to do."""

    tasks: str = "bundled"
    task_ids: list[str] = Field(default_factory=list)
    agents: list[str] = Field(default_factory=list)
    model: str | None = None
    api_base: str | None = None
    api_key: str | None = Field(default=None, exclude=True)
    max_iters: int | None = None
    repair_style: Literal["search_replace", "whole"] | None = None
    perception: bool | None = None
    reasoning_effort: Literal["low", "medium", "high"] | None = None
    oracle_feedback: bool = False
    jobs: int = Field(default=1, ge=1)
    out: Path = Path("runs")
    run_id: str | None = None
    resume: bool = False
    cache: bool = True
    probes: bool = True  # the judge also replays held-out probes (issue 8)
    max_tokens: int | None = None
    max_cost_usd: float | None = None
    llm_timeout: float | None = None
    llm_max_retries: int | None = None
    llm_retry_max_wait: float | None = None


class SummaryRow(BaseModel):
    """One scored page of one task (iteration k, or the kept page as `final`)."""

    task_id: str
    agent: str
    model: str
    iteration: int | Literal["final"]
    ifs: float | None = None
    vfs: float | None = None
    final: float | None = None
    status: StatusName = "ok"
    error: str | None = None
    probe_ifs: float | None = None
    self_test: float | None = None


class TaskOutcome(BaseModel):
    """How one task x agent went: rows, status and why it stopped; the content of result.json."""

    task_id: str
    agent: str
    model: str
    status: StatusName
    error: str | None = None
    stop_reason: str | None = None
    best_iteration: int | None = None
    rows: list[SummaryRow] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    model_calls: int = 0
    wall_s: float = 0.0
    folder: str = ""  # relative to the run folder


class RunSummary(BaseModel):
    """The content of summary.json."""

    run_id: str
    model: str
    agents: list[str]
    tasks_jsonl: str
    rows: list[SummaryRow]
    failures: list[TaskOutcome] = Field(default_factory=list)
    finished_at: str = ""
