"""The run store: one SQLite database per runs folder (`RUNS/runs.sqlite`).

Tables: `runs` (config, git commit, versions, protocol) and `results` (one row per task x
agent x model x seed x iteration with scores, status, tokens, cost, wall time); the layout's
version is the database's `PRAGMA user_version` (`STORE_VERSION`), older stores are upgraded
on open by numbered steps. WAL mode, one
writer (the runner's driver process), every write its own transaction, so a crash loses at
most the task in flight, and `--resume` asks `is_complete` instead of recomputing.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .benchmark.judge.types import Protocol
from .errors import IwrError

STORE_NAME = "runs.sqlite"

_RUNS_TABLE = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    config TEXT NOT NULL,
    git_commit TEXT,
    versions TEXT NOT NULL,
    protocol TEXT
)"""
_RESULTS_TABLE = """
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    task_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    model TEXT NOT NULL,
    seed INTEGER NOT NULL DEFAULT 0,
    iteration TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    error_kind TEXT,
    ifs REAL, vfs REAL, final REAL, lfs REAL, hfs REAL,
    probe_ifs REAL, step_pass_rate REAL, vfs_all REAL,
    prompt_tokens INTEGER, completion_tokens INTEGER, cost_usd REAL,
    wall_s REAL,
    path TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (run_id, task_id, agent, model, seed, iteration)
)"""


class ResultRow(BaseModel):
    """One scored page: a task x agent x model x seed x iteration ('final' for the kept page)."""

    run_id: str
    task_id: str
    agent: str
    model: str
    seed: int = 0
    iteration: str  # "0", "1", ... or "final"
    status: str  # ok | model_error | infra_error
    error: str | None = None
    error_kind: str | None = None  # why a failed row failed (auth, not_found, no_page, infra, ...)
    ifs: float | None = None
    vfs: float | None = None
    final: float | None = None
    lfs: float | None = None
    hfs: float | None = None
    probe_ifs: float | None = None
    step_pass_rate: float | None = None
    vfs_all: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None  # None = unknown, never 0 for unknown
    wall_s: float | None = None
    path: str | None = None  # result folder relative to the runs folder


class RunInfo(BaseModel):
    """A run's identity and configuration."""

    run_id: str
    created_at: float
    config: dict[str, Any]
    git_commit: str | None
    versions: dict[str, str]
    protocol: Protocol | None


_COLUMNS = list(ResultRow.model_fields)
STORE_VERSION = 1  # PRAGMA user_version of runs.sqlite; 0 = written before versions


def git_commit(cwd: Path | None = None) -> str | None:
    """The current git commit of the working tree, or None outside a checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


class RunStore:
    """Open (or create) the store of a runs folder."""

    def __init__(self, runs_dir: Path) -> None:
        runs_dir.mkdir(parents=True, exist_ok=True)
        self.path = runs_dir / STORE_NAME
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()
        self._db.execute(_RUNS_TABLE)
        self._db.execute(_RESULTS_TABLE)

    def _migrate(self) -> None:
        """Apply the numbered upgrades from the store's `PRAGMA user_version` up to `STORE_VERSION`."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > STORE_VERSION:
            self._db.close()
            raise IwrError(f"{self.path}: store version {version} is newer than this iwr reads ({STORE_VERSION}): update iwr")
        while version < STORE_VERSION:
            _STORE_UPGRADES[version](self)
            version += 1
            self._db.execute(f"PRAGMA user_version = {version}")

    def _unversioned_to_1(self) -> None:
        """A store from before versions: bring a results table from before seeds (no `seed` column)
        to the current schema, seed 0; add the `error_kind` column to a table from before it (NULL:
        older rows keep the kind in `error`). Only here are columns looked at."""
        columns = [r[1] for r in self._db.execute("PRAGMA table_info(results)")]
        if columns and "error_kind" not in columns:
            self._db.execute("ALTER TABLE results ADD COLUMN error_kind TEXT")
        if not columns or "seed" in columns:
            return
        kept = ", ".join(columns)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("ALTER TABLE results RENAME TO results_before_seed")
            self._db.execute(_RESULTS_TABLE)
            self._db.execute(f"INSERT INTO results ({kept}, seed) SELECT {kept}, 0 FROM results_before_seed")
            self._db.execute("DROP TABLE results_before_seed")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_run(self, run_id: str, config: dict[str, Any], versions: dict[str, str], protocol: Protocol | None = None,
                  commit: str | None = None, resume: bool = False) -> RunInfo:
        """Register a run. Resuming requires the same config; a new run id must be unused."""
        existing = self.run(run_id)
        if existing is not None:
            if not resume:
                raise IwrError(f"run {run_id!r} already exists in {self.path}: use --resume or another --run-id")
            if existing.config != json.loads(json.dumps(config)):
                raise IwrError(f"run {run_id!r} was started with another configuration; start a new run id instead")
            return existing
        self._db.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, time.time(), json.dumps(config, sort_keys=True), commit, json.dumps(versions),
             protocol.model_dump_json() if protocol else None),
        )
        created = self.run(run_id)
        assert created is not None  # inserted just above
        return created

    def replace_config(self, run_id: str, config: dict[str, Any]) -> None:
        """Overwrite a run's stored configuration (used to upgrade configs written by older versions)."""
        self._db.execute("UPDATE runs SET config = ? WHERE run_id = ?", (json.dumps(config, sort_keys=True), run_id))

    def set_protocol(self, run_id: str, protocol: Protocol) -> None:
        """Record the judge protocol of a run registered without one (the Ray driver learns it late)."""
        self._db.execute("UPDATE runs SET protocol = ? WHERE run_id = ? AND protocol IS NULL", (protocol.model_dump_json(), run_id))

    def run(self, run_id: str) -> RunInfo | None:
        row = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        return RunInfo(run_id=row[0], created_at=row[1], config=json.loads(row[2]), git_commit=row[3],
                       versions=json.loads(row[4]), protocol=Protocol.model_validate_json(row[5]) if row[5] else None)

    def runs(self) -> list[RunInfo]:
        ids = [r[0] for r in self._db.execute("SELECT run_id FROM runs ORDER BY created_at")]
        return [info for info in (self.run(i) for i in ids) if info is not None]

    def record(self, row: ResultRow) -> None:
        """Insert or replace one result row atomically."""
        values = row.model_dump()
        placeholders = ", ".join("?" for _ in _COLUMNS)
        self._db.execute(
            f"INSERT OR REPLACE INTO results ({', '.join(_COLUMNS)}, updated_at) VALUES ({placeholders}, ?)",
            [values[c] for c in _COLUMNS] + [time.time()],
        )

    def rows(self, run_id: str | None = None) -> list[ResultRow]:
        query = f"SELECT {', '.join(_COLUMNS)} FROM results"
        args: tuple[Any, ...] = ()
        if run_id is not None:
            query += " WHERE run_id = ?"
            args = (run_id,)
        query += " ORDER BY run_id, agent, model, seed, task_id, iteration"
        return [ResultRow(**dict(zip(_COLUMNS, r, strict=True))) for r in self._db.execute(query, args)]

    def is_complete(self, run_id: str, task_id: str, agent: str, model: str, seed: int = 0) -> bool:
        """True when the task's final row exists (whatever its status: failures are results too)."""
        row = self._db.execute(
            "SELECT 1 FROM results WHERE run_id=? AND task_id=? AND agent=? AND model=? AND seed=? AND iteration='final'",
            (run_id, task_id, agent, model, seed),
        ).fetchone()
        return row is not None


_STORE_UPGRADES: dict[int, Callable[[RunStore], None]] = {0: RunStore._unversioned_to_1}
