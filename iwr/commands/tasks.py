"""`iwr tasks list`: the tasks of a data.jsonl (or the bundled benchmark) as a table."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from ..errors import IwrError

if TYPE_CHECKING:
    from ..benchmark.task import Task

tasks_app = typer.Typer(help="Inspect task sets (a data.jsonl or 'bundled').", no_args_is_help=True)


def _duration(task: Task) -> float | None:
    """Video seconds from metadata.json, else from the video itself."""
    from ..tools.video import VideoError, video_info

    paths = task.paths
    if paths.metadata.is_file():
        try:
            seconds = (json.loads(paths.metadata.read_text()).get("video") or {}).get("duration")
            if isinstance(seconds, (int, float)):
                return float(seconds)
        except (json.JSONDecodeError, AttributeError):
            pass
    if paths.video.is_file():
        try:
            return video_info(paths.video).duration
        except VideoError:
            return None
    return None


def _probe_count(task: Task) -> int | None:
    from ..benchmark.ground_truth import GroundTruth

    if not task.paths.ground_truth.is_file():
        return None
    return len(GroundTruth.load(task.paths.ground_truth).probes)


@tasks_app.command("list")
def list_tasks(
    tasks: str = typer.Option("bundled", "--tasks", "-t", help="A data.jsonl (or its folder), or 'bundled'."),
) -> None:
    """Show id, classification, number of actions and probes, and video duration."""
    try:
        from rich.console import Console
        from rich.table import Table

        from ..benchmark.dataset import load_tasks
        from ..benchmark.tasks_source import resolve_tasks_path

        jsonl = resolve_tasks_path(tasks)
        rows = load_tasks(jsonl)
    except IwrError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(e.exit_code) from None
    table = Table(title=f"{len(rows)} tasks in {jsonl}")
    for col in ("id", "L", "V", "domain", "actions", "probes", "duration"):
        table.add_column(col, justify="right" if col in ("actions", "probes", "duration") else "left")
    for t in rows:
        c = t.classification
        probes = _probe_count(t)
        seconds = _duration(t)
        domain = "/".join(x for x in (c.domain, c.sub_domain) if x) or "-"
        table.add_row(
            t.key, c.interaction_complexity or "-", c.visual_complexity or "-", domain, str(len(t.actions)),
            "-" if probes is None else str(probes), "-" if seconds is None else f"{seconds:.1f} s",
        )  # fmt: skip
    Console(width=max(100, Console().width)).print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(tasks_app, name="tasks")
