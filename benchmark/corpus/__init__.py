"""The third-party validation corpus: web apps by other authors, pinned npm tarballs.

`apps.yaml` lists them; `fetch_app(id)` downloads, checks and lays out one app in the
cache; `<id>/demo.yaml` and `<id>/defects.yaml` are written here. See fetch.py for the
layout and rewrite rules, and `python -m iwr.benchmark.corpus --help` for the CLI.
"""

from typing import TYPE_CHECKING

from .catalog import CorpusApp, CorpusError, PackageRef, corpus_app, corpus_apps
from .fetch import CorpusUnavailable, corpus_cache, fetch_app, integrity_of
from .record import corpus_reference_dir, corpus_tasks, corpus_tasks_jsonl, demo_path, load_corpus_demo, record_corpus

if TYPE_CHECKING:
    from ..validity import ValidityApp

__all__ = [
    "CorpusApp", "CorpusError", "CorpusUnavailable", "PackageRef", "corpus_app", "corpus_apps", "corpus_cache",
    "corpus_reference_dir", "corpus_tasks", "corpus_tasks_jsonl", "demo_path", "fetch_app", "integrity_of",
    "load_corpus_demo", "record_corpus", "validity_apps",
]


def validity_apps() -> list["ValidityApp"]:
    """Every corpus app with a demo as a `ValidityApp` (recorded task, planted defects),
    for `measurements/judge_validity.py --corpus`."""
    from ..validity import ValidityApp, load_defects

    tasks = corpus_tasks()
    out: list[ValidityApp] = []
    for app in corpus_apps():
        if not (app.demo_dir / "demo.yaml").is_file():
            continue
        spec = load_corpus_demo(app.id)
        if spec.id in tasks:
            out.append(ValidityApp(name=app.id, spec=spec, task=tasks[spec.id],
                                   defects=load_defects(app.demo_dir / "defects.yaml")))
    return out
