"""Content-addressed response cache in SQLite (WAL mode, safe for concurrent writers).

Keys are sha256 digests of (model, call parameters, messages with images hashed by
content), computed by the gateway; values are the JSON of an `LLMResponse`.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    purpose TEXT NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL
)
"""


class ResponseCache:
    """A small key -> response-JSON store; every call opens its own short connection."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0)
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def get(self, key: str) -> str | None:
        conn = self._connect()
        try:
            row = conn.execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
        finally:
            conn.close()
        return None if row is None else str(row[0])

    def put(self, key: str, model: str, purpose: str, response_json: str) -> None:
        conn = self._connect()
        try:
            with conn:
                conn.execute(
                    "INSERT OR REPLACE INTO responses (key, model, purpose, response, created) VALUES (?, ?, ?, ?, ?)",
                    (key, model, purpose, response_json, time.time()),
                )
        finally:
            conn.close()

    def delete(self, key: str) -> None:
        conn = self._connect()
        try:
            with conn:
                conn.execute("DELETE FROM responses WHERE key = ?", (key,))
        finally:
            conn.close()

    def __len__(self) -> int:
        conn = self._connect()
        try:
            return int(conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
        finally:
            conn.close()
