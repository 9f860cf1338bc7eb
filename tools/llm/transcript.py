"""Append-only JSON-lines transcript of every model request and its response or error."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any


class Transcript:
    """One JSON object per line; images appear only as `{"image_sha256", "path"}`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps({"ts": round(time.time(), 3), **record}, ensure_ascii=False, default=str)
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")


def read_transcript(path: Path) -> list[dict[str, Any]]:
    """All records of a transcript file (skipping a torn last line after a kill)."""
    records: list[dict[str, Any]] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
