"""`iwr record DEMO.yaml [...] --out DIR`: record demos of local web apps as tasks."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import IwrError


def record(
    demos: list[Path] = typer.Argument(..., help="demo.yaml files to record.", show_default=False),
    out: Path = typer.Option(..., "--out", "-o", help="Dataset folder: tasks go to OUT/data/<id>/, records to OUT/data.jsonl."),
    fps: float = typer.Option(15.0, "--fps", min=5.0, max=60.0, help="Frame rate of the composed video."),
    timeout: float = typer.Option(5.0, "--timeout", min=0.1, help="Seconds to wait for each action's target to be visible."),
) -> None:
    """Record demos into an IWR-Bench dataset folder (all or nothing: OUT changes only on success)."""
    try:
        from ..benchmark.recorder import RecordOptions, record_demos

        tasks = record_demos(demos, out, RecordOptions(fps=fps, action_timeout=timeout), progress=typer.echo)
    except IwrError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(e.exit_code) from None
    typer.echo(f"{len(tasks)} task(s) written to {out / 'data.jsonl'}")


def register(app: typer.Typer) -> None:
    app.command("record")(record)
