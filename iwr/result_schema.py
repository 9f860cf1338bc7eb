"""The versioned schema of the files `iwr run` and `iwr eval` write, and how older ones are read.

- `summary.json` of a run (`RunSummary`, kind "run": one row per task x iteration) or of an
  eval (`EvalSummary`, kind "eval": one row per task, macro means, the protocol);
- `result.json` of one run cell (`TaskOutcome`, the run record);
- `eval.json` / `judge_*.json` (the judge's `JudgeResult`, versioned by its own `version`).

Every file carries `schema_version`. Readers go through `read_summary`, `read_outcome` and
`read_judge_result`, which bring an older file to today's shape with the explicit upgrade
functions below (version 1 = the unversioned shapes written before this schema).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from .benchmark.judge.summary import EvalMacro as EvalMacro
from .benchmark.judge.summary import EvalTaskRow as EvalTaskRow
from .benchmark.judge.types import RESULT_VERSION, JudgeResult, Protocol
from .errors import IwrError
from .tally import ConfigTally, FailureGroup

SCHEMA_VERSION = 2  # 1: no schema_version; eval summaries {"tasks": [...]}, run summaries {"rows": [...]}

StatusName = Literal["ok", "model_error", "infra_error"]
ExecutorName = Literal["local", "ray"]
JsonObject = dict[str, object]  # a parsed file on its way through the upgrades
ModelT = TypeVar("ModelT")


class Versioned(BaseModel):
    """A file written by this version of the schema."""

    schema_version: int = SCHEMA_VERSION


# ----------------------------------------------------------------- run files


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


class TaskOutcome(Versioned):
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
    protocol: Protocol | None = None  # the judge's protocol (the Ray driver has no judge of its own)


class RunSummary(Versioned):
    """The content of a run's summary.json."""

    kind: Literal["run"] = "run"
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


# ----------------------------------------------------------------- eval files


class EvalSummary(Versioned):
    """The content of an eval's summary.json."""

    kind: Literal["eval"] = "eval"
    tasks: list[EvalTaskRow]
    macro: EvalMacro
    protocol: Protocol
    not_judged: list[str] = Field(default_factory=list)  # left by the fuse: neither scored nor in the means
    stopped_by_fuse: str | None = None


SummaryFile = Annotated[RunSummary | EvalSummary, Field(discriminator="kind")]
_SUMMARY: TypeAdapter[RunSummary | EvalSummary] = TypeAdapter(SummaryFile)


# ----------------------------------------------------------------- upgrades


def summary_1_to_2(data: JsonObject) -> JsonObject:
    """An unversioned summary: its kind told by its list (`rows`: run, `tasks`: eval)."""
    if "rows" in data:
        kind = "run"
    elif "tasks" in data:
        kind = "eval"
    else:
        raise ValueError("neither 'rows' (a run summary) nor 'tasks' (an eval summary)")
    return {**data, "kind": kind, "schema_version": 2}


def outcome_1_to_2(data: JsonObject) -> JsonObject:
    """An unversioned result.json: same fields."""
    return {**data, "schema_version": 2}


SUMMARY_UPGRADES: dict[int, Callable[[JsonObject], JsonObject]] = {1: summary_1_to_2}
OUTCOME_UPGRADES: dict[int, Callable[[JsonObject], JsonObject]] = {1: outcome_1_to_2}
JUDGE_RESULT_UPGRADES: dict[int, Callable[[JsonObject], JsonObject]] = {}  # JudgeResult.version 1 is current


def upgrade(data: JsonObject, upgrades: dict[int, Callable[[JsonObject], JsonObject]], current: int,
            key: str = "schema_version") -> JsonObject:
    """Apply the upgrades from the file's version (1 when it has none) up to `current`."""
    version = data.get(key, 1)
    if not isinstance(version, int) or version > current:
        raise ValueError(f"{key} {version!r} is newer than this iwr reads ({current}): update iwr")
    while version < current:
        data = upgrades[version](data)
        version += 1
    return data


def _read_object(path: Path) -> JsonObject:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IwrError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise IwrError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise IwrError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"field {'.'.join(str(p) for p in first['loc']) or '(file)'}: {first['msg']}"


def _read(path: Path, what: str, upgrades: dict[int, Callable[[JsonObject], JsonObject]], current: int,
          validate: Callable[[JsonObject], ModelT], key: str = "schema_version") -> ModelT:
    try:
        return validate(upgrade(_read_object(path), upgrades, current, key))
    except ValidationError as exc:
        raise IwrError(f"{path}: not {what} ({_first_error(exc)})") from exc
    except ValueError as exc:
        raise IwrError(f"{path}: not {what} ({exc})") from exc


def read_summary(path: Path) -> RunSummary | EvalSummary:
    """A run's or an eval's summary.json, upgraded to the current schema (IwrError when unreadable)."""
    return _read(path, "a summary.json", SUMMARY_UPGRADES, SCHEMA_VERSION, _SUMMARY.validate_python)


def read_outcome(path: Path) -> TaskOutcome:
    """A cell's result.json, upgraded to the current schema (IwrError when unreadable)."""
    return _read(path, "a result.json", OUTCOME_UPGRADES, SCHEMA_VERSION, TaskOutcome.model_validate)


def read_judge_result(path: Path) -> JudgeResult:
    """An eval.json (or judge_*.json), upgraded by its `version` (IwrError when unreadable)."""
    return _read(path, "a judge result", JUDGE_RESULT_UPGRADES, RESULT_VERSION, JudgeResult.model_validate, key="version")


def write_record(path: Path, record: BaseModel) -> None:
    """Write a schema model as indented JSON, atomically (temp file + rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(record.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, path)
