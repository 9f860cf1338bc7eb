"""A key -> text table in one SQLite file: the store under the LLM response cache and the OCR cache."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path


class SqliteStore:
    """One table keyed by `key TEXT PRIMARY KEY`, with a text column `value` among `columns`
    (name -> SQL type, in table order). WAL mode; every call opens its own short connection,
    so one store is safe across threads and processes."""

    def __init__(self, path: Path, table: str, value: str, columns: Mapping[str, str]) -> None:
        if not all(name.isidentifier() for name in (table, value, *columns)) or value not in columns:
            raise ValueError(f"bad table layout: {table}({', '.join(columns)}), value {value}")
        self.path = Path(path)
        self.table, self.value = table, value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        schema = ", ".join(["key TEXT PRIMARY KEY", *(f"{name} {kind}" for name, kind in columns.items())])
        with self._connection() as conn, conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({schema})")

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30.0)
        try:
            conn.execute("PRAGMA busy_timeout=30000")
            yield conn
        finally:
            conn.close()

    def get(self, key: str) -> str | None:
        """The value stored under `key`, None when there is none."""
        with self._connection() as conn:
            row = conn.execute(f"SELECT {self.value} FROM {self.table} WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, value: str, **others: str | float) -> None:
        """Store `value` (and the other columns' values) under `key`, replacing what was there."""
        names = ["key", self.value, *others]
        with self._connection() as conn, conn:
            conn.execute(f"INSERT OR REPLACE INTO {self.table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                         (key, value, *others.values()))

    def delete(self, key: str) -> None:
        with self._connection() as conn, conn:
            conn.execute(f"DELETE FROM {self.table} WHERE key = ?", (key,))

    def __len__(self) -> int:
        with self._connection() as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()[0])
