"""Recording the corpus apps as tasks, and finding a corpus task's reference page."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from ..bundled import bundled_tasks_jsonl
from ..dataset import load_tasks
from ..demo import DemoSpec, load_demo
from ..task import Task
from .catalog import APPS_YAML, CORPUS_DIR, CorpusApp, corpus_app, corpus_apps
from .fetch import fetch_app

FETCHER_SOURCES = (Path(__file__).with_name("fetch.py"), APPS_YAML)  # a change re-records


def demo_path(app_id: str) -> Path:
    """The app's demo.yaml in the repository."""
    return corpus_app(app_id).demo_dir / "demo.yaml"


def demo_task_id(app: CorpusApp) -> str | None:
    """The task id its demo.yaml declares (read without fetching), or None without a demo."""
    path = app.demo_dir / "demo.yaml"
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return str(data.get("id")) if isinstance(data, dict) and data.get("id") is not None else None


def load_corpus_demo(app_id: str) -> DemoSpec:
    """The app's demo, its app folder the fetched site (fetched if needed)."""
    return load_demo(demo_path(app_id))


def corpus_reference_dir(task_id: str) -> Path | None:
    """The fetched site of the corpus app whose demo has this task id (None: no such app)."""
    for app in corpus_apps():
        if demo_task_id(app) == task_id:
            return fetch_app(app.id)
    return None


def record_corpus(ids: list[str], out: Path | str, progress: Callable[[str], None] = lambda line: None) -> list[Task]:
    """Record the demos of these corpus apps into `out/data.jsonl` (all or nothing)."""
    from ..recorder import record_demos

    return record_demos([demo_path(i) for i in ids], out, progress=progress)


def corpus_tasks_jsonl(progress: Callable[[str], None] | None = None) -> Path:
    """Every corpus app with a demo, recorded once and cached like the bundled apps
    (`$IWR_CACHE_DIR/corpus/recorded/<fingerprint>/data.jsonl`)."""
    report = progress or (lambda line: print(line, file=sys.stderr))
    return bundled_tasks_jsonl(report, apps_dir=CORPUS_DIR, cache_name="corpus/recorded", extra_sources=FETCHER_SOURCES)


def corpus_tasks(progress: Callable[[str], None] | None = None) -> dict[str, Task]:
    """The recorded corpus tasks by task id."""
    return {t.key: t for t in load_tasks(corpus_tasks_jsonl(progress))}
