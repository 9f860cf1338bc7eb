"""Where a command-line tasks argument points: a data.jsonl, its folder, or `bundled`.

`bundled` is the benchmark recorded from `benchmark/apps/` (recorded on first use, then
cached), so this module sits above the dataset I/O: `dataset` itself never starts a browser.
"""

from __future__ import annotations

from pathlib import Path

from .bundled import bundled_tasks_jsonl
from .dataset import tasks_file

BUNDLED = "bundled"


def resolve_tasks_path(spec: Path | str) -> Path:
    """The data.jsonl named by `spec`: a path, a folder holding one, or `bundled` (recorded if missing)."""
    if str(spec) == BUNDLED:
        return bundled_tasks_jsonl()
    return tasks_file(spec)
