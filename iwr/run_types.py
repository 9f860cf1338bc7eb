"""Records of `iwr run`: options, summary rows, per-task outcomes, the run summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from .tally import ConfigTally, FailureGroup

StatusName = Literal["ok", "model_error", "infra_error"]
ExecutorName = Literal["local", "ray"]

# Options that steer how a run executes, not what it computes: they may change on --resume.
EXECUTION_OPTIONS = frozenset({
    "resume", "jobs", "run_id", "out", "api_key", "max_tokens", "max_cost_usd", "model_concurrency", "executor", "ray_address",
    "skip_preflight", "fuse",
})


class RunOptions(BaseModel):
    """Everything `iwr run` was asked to do."""

    tasks: str = "bundled"
    task_ids: list[str] = Field(default_factory=list)
    agents: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)  # agents that need no model run once, as model "none"
    seeds: list[int] = Field(default_factory=lambda: [0])
    api_base: str | None = None
    api_key: str | None = Field(default=None, exclude=True)
    max_iters: int | None = None
    repair_style: Literal["search_replace", "whole"] | None = None
    perception: bool | None = None
    reasoning_effort: Literal["low", "medium", "high"] | None = None
    oracle_feedback: bool = False
    critic: bool | None = None  # visual review before each repair (iterative agent)
    jobs: int = Field(default=1, ge=1)
    out: Path = Path("runs")
    run_id: str | None = None
    resume: bool = False
    cache: bool = True
    probes: bool = True  # the judge also replays held-out probes (issue 8)
    max_tokens: int | None = None  # budget of the whole run (all cells), in tokens
    max_cost_usd: float | None = None  # budget of the whole run, in US dollars
    model_concurrency: dict[str, int] = Field(default_factory=dict)  # provider (or "default") -> requests in flight
    executor: ExecutorName = "local"
    ray_address: str | None = None
    llm_timeout: float | None = None
    llm_max_retries: int | None = None
    llm_retry_max_wait: float | None = None
    skip_preflight: bool = False  # start cells without checking models, credentials and --api-base first
    fuse: int = Field(default=3, ge=0)  # stop starting cells after N in a row fail alike and cannot heal; 0 = off


class SummaryRow(BaseModel):
    """One scored page of one task (iteration k, or the kept page as `final`)."""

    task_id: str
    agent: str
    model: str
    seed: int = 0
    iteration: int | Literal["final"]
    ifs: float | None = None
    vfs: float | None = None
    final: float | None = None
    status: StatusName = "ok"
    error: str | None = None
    error_kind: str | None = None  # why a failed row failed: auth, not_found, no_page, unparseable, infra, ...
    probe_ifs: float | None = None
    self_test: float | None = None


class TaskOutcome(BaseModel):
    """How one task x agent x model x seed went: rows, status and why it stopped; the content of result.json."""

    task_id: str
    agent: str
    model: str
    seed: int = 0
    status: StatusName
    error: str | None = None
    error_kind: str | None = None  # the ModelError kind of a model_error, "infra" for an infra_error
    stop_reason: str | None = None
    best_iteration: int | None = None
    rows: list[SummaryRow] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    model_calls: int = 0
    wall_s: float = 0.0
    folder: str = ""  # relative to the run folder
    protocol: dict[str, Any] | None = None  # the judge's protocol (the Ray driver has no judge of its own)


class RunSummary(BaseModel):
    """The content of summary.json."""

    run_id: str
    model: str  # the models, comma-separated ("none" when no model was used)
    agents: list[str]
    tasks_jsonl: str
    rows: list[SummaryRow]
    failures: list[TaskOutcome] = Field(default_factory=list)
    finished_at: str = ""
    models: list[str] = Field(default_factory=list)
    seeds: list[int] = Field(default_factory=lambda: [0])
    executor: ExecutorName = "local"
    cells: int = 0  # task x agent x model x seed combinations planned
    completed: int = 0  # cells with a result (ok or failed)
    stopped_by_budget: str | None = None  # why the budget stopped the run; None = it did not
    not_started: list[str] = Field(default_factory=list)  # cells left for `--resume` (budget stop)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None  # None when some call's cost is unknown
    stopped_by_fuse: str | None = None  # why the fuse stopped starting cells; None = it did not
    tallies: list[ConfigTally] = Field(default_factory=list)  # per agent x model: scored, failed by kind, infra, means
    failure_groups: list[FailureGroup] = Field(default_factory=list)  # failed cells by kind, each reported once
    exit_status: int = 0  # 0 every cell that ran was scored, 1 some failed or the fuse blew
