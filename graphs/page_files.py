"""The pages an agent writes, one folder per iteration (`iter_<k>/index.html` and its files)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

from .context import CodeResult
from .state import PageVersion, ReconstructionState

PAGE_FILE = "index.html"


def iteration_dir(work_dir: Path, iteration: int) -> Path:
    """Folder of the page of one iteration: `iter_<k>/`."""
    return work_dir / f"iter_{iteration}"


def write_page(work_dir: Path, iteration: int, result: CodeResult, kind: Literal["draft", "repair"]) -> PageVersion:
    """Write a coder result as `iter_<k>/index.html` (+ extra files) and describe it."""
    folder = iteration_dir(work_dir, iteration)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, data in result.files.items():
        target = (folder / name).resolve()
        if folder.resolve() not in target.parents:
            raise ValueError(f"page file outside the page folder: {name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    path = folder / PAGE_FILE
    path.write_text(result.html, encoding="utf-8")
    return PageVersion(
        iteration=iteration,
        path=path,
        kind=kind,
        usage=result.usage,
        edits_applied=result.edits_applied,
        edits_failed=result.edits_failed,
    )


def assets_dir_of(state: ReconstructionState) -> Path | None:
    """The folder holding the agent's copies of the task assets."""
    parents = {p.parent for p in state.inputs.assets}
    if len(parents) == 1:
        return parents.pop()
    candidate = state.inputs.video.parent / "assets"
    return candidate if candidate.is_dir() else None
