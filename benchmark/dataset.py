"""Dataset I/O in the official IWR-Bench layout.

`X/name.jsonl` holds one task object per line; the task folders live next to it in
`X/name/<id>/` (for the usual `X/data.jsonl`: `X/data/<id>/`). Reading is lenient
(unknown fields kept, ids int or str); writing is atomic (temp file + `os.replace`).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from ..core.errors import IwrError
from .task import Task


class DatasetError(IwrError):
    """A data.jsonl that cannot be read or written; the message names file, task and field."""


def task_data_dir(jsonl: Path) -> Path:
    """The folder holding the task folders of `jsonl` (its sibling named after its stem)."""
    return jsonl.parent / jsonl.stem


def _field_of(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(record)"
    return f"field {loc}: {first['msg']}"


def _parse_line(jsonl: Path, lineno: int, line: str) -> Task:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise DatasetError(f"{jsonl}:{lineno}: invalid JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(record, dict):
        raise DatasetError(f"{jsonl}:{lineno}: expected a JSON object, got {type(record).__name__}")
    task_ref = f"task {record['id']!r}" if "id" in record else "task without id"
    try:
        task = Task.model_validate(record)
    except ValidationError as e:
        raise DatasetError(f"{jsonl}:{lineno}: {task_ref}: {_field_of(e)}") from None
    task.root = jsonl.parent
    task.data_dir = task_data_dir(jsonl)
    return task


def load_tasks(jsonl: Path | str) -> list[Task]:
    """Read every task of a data.jsonl (blank lines skipped); duplicate ids are an error."""
    jsonl = Path(jsonl)
    if not jsonl.is_file():
        raise DatasetError(f"{jsonl}: no such tasks file")
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(jsonl.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        task = _parse_line(jsonl, lineno, line)
        if task.key in seen:
            raise DatasetError(f"{jsonl}:{lineno}: task {task.id!r}: field id: duplicate of line {seen[task.key]}")
        seen[task.key] = lineno
        tasks.append(task)
    return tasks


def load_task(jsonl: Path | str, task_id: int | str) -> Task:
    """The task whose id (compared as a string) is `task_id`."""
    for task in load_tasks(jsonl):
        if task.key == str(task_id):
            return task
    raise DatasetError(f"{jsonl}: no task with id {task_id!r}")


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_tasks(jsonl: Path | str, tasks: Iterable[Task]) -> None:
    """Write `tasks` as the whole content of `jsonl` (exact official records), atomically."""
    lines = [json.dumps(t.to_record(), ensure_ascii=False) for t in tasks]
    _atomic_write_text(Path(jsonl), "".join(line + "\n" for line in lines))


def upsert_tasks(jsonl: Path | str, tasks: Iterable[Task]) -> list[Task]:
    """Replace records with the same ids (in place) and append new ones; return the result."""
    jsonl = Path(jsonl)
    current = load_tasks(jsonl) if jsonl.is_file() else []
    index = {t.key: i for i, t in enumerate(current)}
    for task in tasks:
        if task.key in index:
            current[index[task.key]] = task
        else:
            index[task.key] = len(current)
            current.append(task)
    write_tasks(jsonl, current)
    for task in current:
        task.root, task.data_dir = jsonl.parent, task_data_dir(jsonl)
    return current


def tasks_file(spec: Path | str) -> Path:
    """An existing tasks file: a data.jsonl path, or a folder holding one (`bundled` is resolved
    by `tasks_source.resolve_tasks_path`, which may record it)."""
    path = Path(spec)
    if path.is_dir() and (path / "data.jsonl").is_file():
        path = path / "data.jsonl"
    if not path.is_file():
        raise DatasetError(f"{path}: no such tasks file (give a data.jsonl or 'bundled')")
    return path
