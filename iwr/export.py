"""Export a run's final pages in the layout the official IWR-Bench evaluator reads.

`OUT/<task_id>/<model>/index.html`, the model folder named as the official scripts name it
(lower-cased, separators replaced by '_'), with the task's assets copied beside the page so
its `assets/<name>` references resolve (`__PLACEHOLDER_ASSETS_BASE_DIR__` is rewritten too).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pydantic import BaseModel, Field

from .errors import IwrError
from .naming import official_model_dir
from .store import STORE_NAME, RunStore

PLACEHOLDER = "__PLACEHOLDER_ASSETS_BASE_DIR__"


class ExportResult(BaseModel):
    """What was exported and what was skipped (with why)."""

    written: list[Path] = Field(default_factory=list)
    skipped: dict[str, str] = Field(default_factory=dict)


def export_official(runs_dir: Path, run_id: str, out: Path, agent: str | None = None) -> ExportResult:
    """Write every final page of `run_id` (optionally one agent) under `out`."""
    if not (runs_dir / STORE_NAME).is_file():
        raise IwrError(f"{runs_dir}: no {STORE_NAME} (give the runs folder and --run-id)")
    with RunStore(runs_dir) as store:
        if store.run(run_id) is None:
            raise IwrError(f"no run {run_id!r} in {runs_dir}")
        rows = [r for r in store.rows(run_id) if r.iteration == "final" and (agent is None or r.agent == agent)]
    configs = {(r.agent, r.model) for r in rows}
    if len({m for _, m in configs}) < len(configs):
        raise IwrError(f"run {run_id} has several agents for one model ({sorted(configs)}): choose one with --agent")
    result = ExportResult()
    for r in rows:
        label = f"{r.agent}/{r.model}/{r.task_id}"
        folder = runs_dir / r.path if r.path else None
        page = folder / "final" / "index.html" if folder else None
        if folder is None or page is None or not page.is_file():
            result.skipped[label] = f"no final page ({r.status}{': ' + r.error if r.error else ''})"
            continue
        dest = out / r.task_id / official_model_dir(r.model)
        dest.mkdir(parents=True, exist_ok=True)
        html = page.read_text(encoding="utf-8", errors="replace").replace(PLACEHOLDER, "assets")
        (dest / "index.html").write_text(html, encoding="utf-8")
        assets = folder / "inputs" / "assets"
        if assets.is_dir():
            shutil.copytree(assets, dest / "assets", dirs_exist_ok=True)
        result.written.append(dest / "index.html")
    return result
