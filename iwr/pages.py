"""Where the page of a task lives: a bundled or corpus reference app, or a folder of generated pages."""

from __future__ import annotations

from pathlib import Path

from .naming import official_model_dir

REFERENCE = "reference"  # --pages value naming the reference apps


def page_dir_for(pages: str, task_id: str, model: str | None) -> Path:
    """Where the page of a task lives: the bundled reference app, PAGES/<id>/ or PAGES/<id>/<model>/."""
    if pages == REFERENCE:
        from .benchmark.references import reference_page_dir

        return Path(reference_page_dir(task_id))
    base = Path(pages) / task_id
    if model is None:
        return base
    for name in (model, official_model_dir(model), model.split("/")[-1], official_model_dir(model.split("/")[-1])):
        if (base / name / "index.html").is_file():
            return base / name
    return base / official_model_dir(model)
