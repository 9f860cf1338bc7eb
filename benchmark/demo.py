"""The demo.yaml format: a scripted demonstration of a local web app, read by the recorder.

Selectors (`target`) are used only to perform the actions while recording; they never
reach the task record. `probes:` are held-out trajectories, each from the initial state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..core.errors import IwrError
from .task import Action, ActionParameters, ActionType, Classification, Resolution


class DemoError(IwrError):
    """A demo.yaml that cannot be used; the message names the file and the field."""


class DemoAction(BaseModel):
    """One scripted action (the demo.yaml action schema)."""

    model_config = ConfigDict(extra="forbid")

    type: ActionType
    target: str | None = None  # CSS selector; required for Click and Type
    description: str = Field(min_length=1)
    text: str | None = None  # Type
    key: str | None = None  # Press
    direction: Literal["up", "down", "left", "right"] | None = None  # Scroll
    amount: int | None = Field(default=None, gt=0)  # Scroll: pixels; default half the viewport
    logical_assertion: str | None = None
    visual_evaluation_flag: bool = False

    @field_validator("type", mode="before")
    @classmethod
    def _type_any_case(cls, v: Any) -> Any:
        if isinstance(v, str):
            for t in ActionType:
                if t.value.lower() == v.strip().lower():
                    return t
        return v

    @field_validator("direction", mode="before")
    @classmethod
    def _direction_lower(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    @model_validator(mode="after")
    def _required_per_type(self) -> DemoAction:
        if self.type in (ActionType.CLICK, ActionType.TYPE) and not self.target:
            raise ValueError(f"{self.type.value} needs a target selector")
        if self.type is ActionType.TYPE and not self.text:
            raise ValueError("Type needs a non-empty text")
        if self.type is ActionType.PRESS and not self.key:
            raise ValueError("Press needs a key")
        if self.type is ActionType.SCROLL and self.direction is None:
            self.direction = "down"
        return self

    def to_action(self) -> Action:
        """The IWR-Bench action record (no selector; Type keeps its text)."""
        params = ActionParameters(
            description=self.description,
            text=self.text if self.type is ActionType.TYPE else None,
            key=self.key if self.type is ActionType.PRESS else None,
            direction=self.direction if self.type is ActionType.SCROLL else None,
        )
        return Action(
            type=self.type,
            parameters=params,
            visual_evaluation_flag=self.visual_evaluation_flag,
            logical_assertion=self.logical_assertion or None,
        )


class DemoProbe(BaseModel):
    """A named held-out trajectory, performed from the initial state in a fresh page."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    actions: list[DemoAction] = Field(min_length=1)


class DemoSpec(BaseModel):
    """A whole demo.yaml; `path` is the file it was read from (entry is relative to it)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str = ""
    resolution: Resolution
    entry: str
    classification: Classification = Field(default_factory=Classification)
    source_website: str | None = None
    actions: list[DemoAction] = Field(min_length=1)
    probes: list[DemoProbe] = Field(default_factory=list)
    # The id of a third-party corpus app (benchmark/corpus): the app is that package's
    # fetched site folder, not the demo's folder.
    corpus: str | None = None
    path: Path | None = Field(default=None, exclude=True)
    app_root: Path | None = Field(default=None, exclude=True)  # overrides the demo's folder

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)
        return v

    @field_validator("id")
    @classmethod
    def _id_folder_safe(cls, v: str) -> str:
        if not v or v in (".", "..") or any(c in v for c in "/\\\0") or v.strip() != v:
            raise ValueError(f"id {v!r} cannot be a folder name")
        return v

    @field_validator("resolution", mode="before")
    @classmethod
    def _parse_resolution(cls, v: Any) -> Any:
        return Resolution.parse(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _unique_probe_names(self) -> DemoSpec:
        names = [p.name for p in self.probes]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate probe names: {', '.join(sorted(dup))}")
        return self

    @property
    def app_dir(self) -> Path:
        """The folder served while recording (the demo file's folder, or `app_root`)."""
        if self.app_root is not None:
            return self.app_root
        return self.path.parent if self.path else Path.cwd()

    @property
    def entry_path(self) -> Path:
        return self.app_dir / self.entry


def _yaml_error(path: Path, e: yaml.YAMLError) -> DemoError:
    mark = getattr(e, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    return DemoError(f"{path}: malformed YAML: {where}{problem}")


def _validation_error(path: Path, e: ValidationError) -> DemoError:
    first = e.errors()[0]
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    msg = first["msg"].removeprefix("Value error, ")
    return DemoError(f"{path}: {loc or 'demo'}: {msg}")


def load_demo(path: Path | str, app_dir: Path | None = None) -> DemoSpec:
    """Read and check a demo.yaml (syntax, fields, entry file present).

    The app served is `app_dir` when given, else the corpus app the demo names (fetched
    into the cache; CorpusUnavailable when the registry cannot be reached), else the
    demo's own folder.
    """
    path = Path(path)
    if not path.is_file():
        raise DemoError(f"{path}: no such demo file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise _yaml_error(path, e) from None
    except UnicodeDecodeError:
        raise DemoError(f"{path}: not a UTF-8 text file") from None
    if not isinstance(data, dict):
        raise DemoError(f"{path}: malformed demo: expected a mapping at the top level")
    try:
        spec = DemoSpec.model_validate(data)
    except ValidationError as e:
        raise _validation_error(path, e) from None
    spec.path = path.resolve()
    if app_dir is None and spec.corpus:
        from .corpus.fetch import fetch_app

        app_dir = fetch_app(spec.corpus)
    spec.app_root = Path(app_dir).resolve() if app_dir is not None else None
    entry = spec.entry_path.resolve()
    if spec.app_dir.resolve() not in entry.parents:
        raise DemoError(f"{path}: entry {spec.entry!r} is outside the demo's folder")
    if not entry.is_file():
        raise DemoError(f"{path}: entry file {spec.entry!r} not found in {spec.app_dir}")
    return spec
