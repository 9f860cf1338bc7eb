"""Content-addressed response cache in SQLite (WAL mode, safe for concurrent writers).

Keys are sha256 digests of (model, call parameters, messages with images hashed by
content), computed by the gateway; values are the JSON of an `LLMResponse`.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..sqlite_store import SqliteStore

_COLUMNS = {"model": "TEXT NOT NULL", "purpose": "TEXT NOT NULL", "response": "TEXT NOT NULL", "created": "REAL NOT NULL"}


class ResponseCache:
    """A small key -> response-JSON store; every call opens its own short connection."""

    def __init__(self, path: Path):
        self._store = SqliteStore(path, "responses", "response", _COLUMNS)
        self.path = self._store.path

    def get(self, key: str) -> str | None:
        return self._store.get(key)

    def put(self, key: str, model: str, purpose: str, response_json: str) -> None:
        self._store.put(key, response_json, model=model, purpose=purpose, created=time.time())

    def delete(self, key: str) -> None:
        self._store.delete(key)

    def __len__(self) -> int:
        return len(self._store)
