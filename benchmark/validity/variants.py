"""The pages a validity run judges besides the reference: planted defects and mutants."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, TypeAdapter

from ...core.errors import IwrError
from ..task import Task
from .mutants import Mutant, mutated_copy

GROUND_TRUTH_FILE = "ground_truth.json"


class PlantedDefect(BaseModel):
    """One hand-planted defect (the `defects.yaml` format): `find` in `file` becomes `replace`."""

    name: str
    kind: Literal["missing_handler", "wrong_computation", "visual_only"]
    file: str
    find: str
    replace: str
    breaks_at_step: int | None = None  # the step its author says it breaks; None: visual only


def load_defects(path: Path) -> list[PlantedDefect]:
    """The defects of a `defects.yaml` (empty when the file does not exist)."""
    path = Path(path)
    if not path.is_file():
        return []
    return TypeAdapter(list[PlantedDefect]).validate_python(yaml.safe_load(path.read_text(encoding="utf-8")) or [])


def defect_copy(app_dir: Path, defect: PlantedDefect, dest: Path) -> Path:
    """A copy of the app at `dest` with the defect planted (its `find` must occur once)."""
    shutil.copytree(app_dir, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    target = dest / defect.file
    text = target.read_bytes().decode("utf-8")
    if text.count(defect.find) != 1:
        raise IwrError(f"defect {defect.name}: its find text occurs {text.count(defect.find)} times in {defect.file}")
    target.write_bytes(text.replace(defect.find, defect.replace).encode("utf-8"))
    return dest


class Variant(BaseModel):
    """A page to judge against the app's task, with what it was made from."""

    name: str
    kind: Literal["defect", "mutant"]
    dir: Path
    defect: PlantedDefect | None = None
    mutant: Mutant | None = None

    @property
    def visual_only(self) -> bool:
        return self.defect is not None and self.defect.kind == "visual_only"

    @property
    def label(self) -> str:
        if self.mutant is not None:
            return self.mutant.operator
        return self.defect.kind if self.defect is not None else self.kind

    @property
    def description(self) -> str:
        if self.mutant is not None:
            return self.mutant.description
        return f"{self.defect.file}: {self.defect.name}" if self.defect is not None else self.name


def make_variants(app_dir: Path, defects: list[PlantedDefect], mutants: list[Mutant], dest: Path) -> list[Variant]:
    """A copy of the app per defect and per mutant under `dest`."""
    out = [Variant(name=f"defect-{d.name}", kind="defect", dir=defect_copy(app_dir, d, dest / f"defect-{d.name}"), defect=d)
           for d in defects]
    for i, m in enumerate(mutants):
        name = f"mutant-{i:03d}-{m.operator}"
        out.append(Variant(name=name, kind="mutant", dir=mutated_copy(app_dir, m, dest / name), mutant=m))
    return out


def official_copy(task: Task, root: Path) -> Task:
    """The task as IWR-Bench ships it: its folder copied under `root/data/` without
    ground_truth.json (files hard-linked where possible); the returned Task points there."""
    dest = Path(root) / "data" / task.key
    dest.parent.mkdir(parents=True, exist_ok=True)

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(task.paths.dir, dest, copy_function=link, ignore=shutil.ignore_patterns(GROUND_TRUTH_FILE))
    return task.model_copy(update={"root": Path(root), "data_dir": Path(root) / "data"})
