"""A recorded task on disk: checkpoints, contact sheets, ground_truth.json and metadata.json
(`write_task`), whichever way its video was filmed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ...tools.contact_sheet import make_contact_sheets
from ...tools.local_server import ServedSite
from ..demo import DemoSpec
from ..ground_truth import GroundTruth, Probe
from ..task import Task
from .assets import original_name, placements
from .options import RECORDER_VERSION, RecordOptions
from .trajectory import Trajectory


@dataclass(frozen=True)
class RecordedTask:
    """One recorded task, written to `dir`."""

    task: Task
    ground_truth: GroundTruth
    dir: Path
    assets: int
    seconds: float  # wall time spent recording

    def summary(self) -> str:
        gt = self.ground_truth
        return (
            f"recorded {self.task.key}: {len(gt.steps)} actions, {len(gt.probes)} probes, "
            f"{gt.duration:.1f} s video, {self.assets} assets ({self.seconds:.1f} s)"
        )


def _write_checkpoints(folder: Path, pngs: list[bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for k, png in enumerate(pngs):
        (folder / f"step_{k}.png").write_bytes(png)


@dataclass(frozen=True)
class TaskFilm:
    """The demo's filmed trajectory and its video: duration (s), frame rate, how it was made."""

    demo: Trajectory
    duration: float
    fps: float
    environment: str


def write_task(spec: DemoSpec, task_dir: Path, film: TaskFilm, probe_runs: list[tuple[str, Trajectory]],
               names: dict[str, str], site: ServedSite, options: RecordOptions) -> tuple[Task, GroundTruth]:
    """Write everything but the video and assets into `task_dir`: checkpoints, contact sheets,
    ground_truth.json and metadata.json; return the task record and its truth."""
    demo, duration, fps, environment = film.demo, film.duration, film.fps, film.environment
    res = spec.resolution
    _write_checkpoints(task_dir / "checkpoints", demo.checkpoints)
    for name, traj in probe_runs:
        _write_checkpoints(task_dir / "checkpoints" / "probes" / name, traj.checkpoints)
    make_contact_sheets(sorted((task_dir / "assets").iterdir()), task_dir / "stitched_assets")

    task = Task(
        id=spec.id,
        classification=spec.classification,
        recording_details={"resolution": str(res), "environment": environment},
        source_website=spec.source_website or f"local://{spec.id}",
        action_sequence=[a.to_action() for a in spec.actions],
    )
    gt = GroundTruth(
        task_id=spec.id,
        fps=fps,
        duration=duration,
        steps=demo.steps,
        checkpoint_texts=dict(enumerate(demo.texts)),
        placements={k: placements(uses, names) for k, uses in enumerate(demo.image_uses)},
        asset_names={anon: original_name(url, site) for url, anon in names.items()},
        probes=[
            Probe(
                name=p.name,
                actions=[a.to_action() for a in p.actions],
                steps=run.steps,
                checkpoint_texts=dict(enumerate(run.texts)),
                state0_at=run.state0_at,
            )
            for p, (_, run) in zip(spec.probes, probe_runs, strict=True)
        ],
        page_clock=options.clock,
        state0_at=demo.state0_at,
    )
    gt.save(task_dir / "ground_truth.json")
    metadata = {
        "id": spec.id,
        "title": spec.title,
        "recording_details": task.recording_details,
        "video": {"fps": fps, "frames": round(duration * fps), "duration": round(duration, 3)},
        "actions": len(spec.actions),
        "recorder": RECORDER_VERSION,
        "capture": options.capture,  # composed (drawn pointer, page time) or screen (x11grab, real time)
        # what the page experienced: its start date and seed; page time followed video time
        "page_clock": options.clock.model_dump(mode="json"),
    }
    (task_dir / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    return task, gt
