"""The reference page of a task: the bundled app, or the fetched corpus app, that it was recorded from."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import IwrError
from .bundled import bundled_apps
from .corpus.record import corpus_reference_dir


def reference_page_dir(task_id: str | int) -> Path:
    """The folder of the bundled app, or of the fetched third-party corpus app, that is
    the reference page of `task_id`."""
    for app in bundled_apps():
        if app.task_id == str(task_id):
            return app.dir
    found = corpus_reference_dir(str(task_id))
    if found is not None:
        return found
    raise IwrError(f"no bundled or corpus app has task id {task_id!r}")
