"""The options of `iwr run` (the files it writes are in `iwr.result_schema`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .result_schema import ExecutorName

# Options that steer how a run executes, not what it computes: they may change on --resume.
EXECUTION_OPTIONS = frozenset({
    "resume", "jobs", "run_id", "out", "api_key", "max_tokens", "max_cost_usd", "max_minutes", "model_concurrency", "executor", "ray_address",
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
    inputs: Literal["auto", "images", "text"] = "auto"  # how agents see the video; auto: text for text-only models
    jobs: int = Field(default=1, ge=1)
    out: Path = Path("runs")
    run_id: str | None = None
    resume: bool = False
    cache: bool = True
    probes: bool = True  # the judge also replays held-out probes (issue 8)
    max_tokens: int | None = None  # budget of the whole run (all cells), in tokens
    max_cost_usd: float | None = None  # budget of the whole run, in US dollars
    max_minutes: float | None = None  # wall-clock budget of this invocation (no cell starts that would pass it)
    model_concurrency: dict[str, int] = Field(default_factory=dict)  # provider (or "default") -> requests in flight
    executor: ExecutorName = "local"
    ray_address: str | None = None
    llm_timeout: float | None = None
    llm_max_retries: int | None = None
    llm_retry_max_wait: float | None = None
    skip_preflight: bool = False  # start cells without checking models, credentials and --api-base first
    fuse: int = Field(default=3, ge=0)  # stop starting cells after N in a row fail alike and cannot heal; 0 = off
