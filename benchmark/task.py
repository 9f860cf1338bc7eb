"""Task types: the IWR-Bench task record, its actions, and the agent-visible part.

Reading is lenient (unknown fields kept, optional fields may be missing); writing is
exact (`Task.to_record()` gives the data.jsonl object with the official field names).
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..core.geometry import Box as Box  # re-exported: the task model's name for the core box
from ..core.geometry import Point as Point

DEFAULT_RESOLUTION = "1920x1080"


class ActionType(str, Enum):
    """The four IWR-Bench action kinds."""

    CLICK = "Click"
    TYPE = "Type"
    PRESS = "Press"
    SCROLL = "Scroll"


class Resolution(BaseModel):
    """Viewport size, parsed from the dataset's "WxH" strings."""

    width: int = Field(gt=0)
    height: int = Field(gt=0)

    @classmethod
    def parse(cls, text: str) -> Resolution:
        m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", str(text))
        if not m:
            raise ValueError(f"resolution must look like 1280x720, got {text!r}")
        return cls(width=int(m.group(1)), height=int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


class ActionParameters(BaseModel):
    """The `parameters` object of an action; unknown fields are kept."""

    model_config = ConfigDict(extra="allow")

    description: str = ""
    key: str | None = None
    direction: str | None = None
    scroll_page: Any = None
    text: str | None = None
    element_index: int | None = None


class Action(BaseModel):
    """One user action. The agent's own test plan uses this type too (with `point`)."""

    model_config = ConfigDict(extra="allow")

    type: ActionType
    parameters: ActionParameters = Field(default_factory=ActionParameters)
    visual_evaluation_flag: bool = False
    logical_assertion: str | None = None
    point: Point | None = None  # where to act, when known (agent plans, perception)

    @field_validator("type", mode="before")
    @classmethod
    def _normalise_type(cls, v: Any) -> Any:
        if isinstance(v, str):
            for t in ActionType:
                if t.value.lower() == v.strip().lower():
                    return t
        return v

    @property
    def description(self) -> str:
        return self.parameters.description

    @property
    def text(self) -> str | None:
        """Text to type: `parameters.text`, else the first quoted string of the description."""
        if self.parameters.text is not None:
            return self.parameters.text
        m = re.search(r"[\"'“‘]([^\"'”’]+)[\"'”’]", self.parameters.description)
        return m.group(1) if m else None

    def to_record(self) -> dict[str, Any]:
        """The official JSON object for this action (extras kept, `point` only if set)."""
        data = self.model_dump(mode="json", exclude={"point"})
        data["parameters"] = self.parameters.model_dump(mode="json", exclude_none=True)
        data["parameters"].setdefault("description", "")
        if self.point is not None:
            data["point"] = self.point.model_dump()
        return data


class Classification(BaseModel):
    """Taxonomy labels: interaction L1..L4, visual V1..V4, domain, sub-domain."""

    model_config = ConfigDict(extra="allow")

    interaction_complexity: str | None = None
    visual_complexity: str | None = None
    domain: str | None = None
    sub_domain: str | None = None


class TaskPaths(BaseModel):
    """Where a task's files live in the official layout (`<root>/data/<id>/...`)."""

    dir: Path

    @property
    def video(self) -> Path:
        return self.dir / "video.mp4"

    @property
    def assets(self) -> Path:
        return self.dir / "assets"

    @property
    def stitched(self) -> Path:
        return self.dir / "stitched_assets"

    @property
    def checkpoints(self) -> Path:
        return self.dir / "checkpoints"

    @property
    def metadata(self) -> Path:
        return self.dir / "metadata.json"

    @property
    def ground_truth(self) -> Path:
        """Evaluation-only extras written by our recorder (absent in the official data)."""
        return self.dir / "ground_truth.json"

    def checkpoint(self, step: int) -> Path:
        return self.checkpoints / f"step_{step}.png"

    def contact_sheets(self) -> list[Path]:
        if not self.stitched.is_dir():
            return []
        return sorted(self.stitched.glob("stitched_image*.png"), key=_natural_key)

    def asset_files(self) -> list[Path]:
        if not self.assets.is_dir():
            return []
        return sorted((p for p in self.assets.iterdir() if p.is_file()), key=_natural_key)


def _natural_key(p: Path) -> list[Any]:
    return [int(s) if s.isdigit() else s for s in re.split(r"(\d+)", p.name)]


class Task(BaseModel):
    """One IWR-Bench task: the data.jsonl record plus where its folder is."""

    model_config = ConfigDict(extra="allow")

    id: int | str
    classification: Classification = Field(default_factory=Classification)
    recording_details: dict[str, Any] = Field(default_factory=dict)
    source_website: str = ""
    action_sequence: list[Action] = Field(default_factory=list)
    root: Path | None = Field(default=None, exclude=True)  # folder holding data.jsonl
    # folder of the task folders: `<root>/<jsonl stem>/`; None means `<root>/data/`
    data_dir: Path | None = Field(default=None, exclude=True)

    @property
    def key(self) -> str:
        """The id as a string (folder name)."""
        return str(self.id)

    @property
    def paths(self) -> TaskPaths:
        if self.data_dir is not None:
            return TaskPaths(dir=self.data_dir / self.key)
        if self.root is None:
            raise ValueError(f"task {self.id} has no root folder")
        return TaskPaths(dir=self.root / "data" / self.key)

    @property
    def actions(self) -> list[Action]:
        return self.action_sequence

    @property
    def resolution(self) -> Resolution:
        """`recording_details.resolution`, else metadata.json, else 1920x1080."""
        res = self.recording_details.get("resolution")
        if not res and self.root is not None and self.paths.metadata.is_file():
            import json

            meta = json.loads(self.paths.metadata.read_text())
            res = (meta.get("recording_details") or {}).get("resolution")
        return Resolution.parse(res or DEFAULT_RESOLUTION)

    def to_record(self) -> dict[str, Any]:
        """The data.jsonl object (official field names first, extras kept)."""
        data = self.model_dump(mode="json", exclude={"action_sequence", "root", "data_dir"})
        data["action_sequence"] = [a.to_record() for a in self.action_sequence]
        return data

    def inputs(self) -> TaskInputs:
        """The part of this task an agent may see."""
        p = self.paths
        return TaskInputs(
            task_id=self.key,
            resolution=self.resolution,
            video=p.video,
            assets=p.asset_files(),
            contact_sheets=p.contact_sheets(),
        )


class TaskInputs(BaseModel):
    """What a reconstruction agent is given: video, assets, contact sheets, resolution.

    Deliberately holds no actions, assertions, checkpoints or ground truth, and no path
    to the task folder from which they could be reached.
    """

    model_config = ConfigDict(frozen=True)

    task_id: str
    resolution: Resolution
    video: Path
    assets: list[Path]
    contact_sheets: list[Path]
