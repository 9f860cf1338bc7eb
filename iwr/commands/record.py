"""`iwr record DEMO.yaml [...] --out DIR`: record demos of local web apps as tasks."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import IwrError


def record(
    demos: list[Path] = typer.Argument(..., help="demo.yaml files to record.", show_default=False),
    out: Path = typer.Option(..., "--out", "-o", help="Dataset folder: tasks go to OUT/data/<id>/, records to OUT/data.jsonl."),
    fps: float | None = typer.Option(None, "--fps", min=5.0, max=60.0,
                                     help="Frame rate of the video (default 15 composed, 25 screen).", show_default=False),
    timeout: float = typer.Option(5.0, "--timeout", min=0.1, help="Seconds to wait for each action's target to be visible."),
    capture: str = typer.Option("composed", "--capture", help="composed: headless pages filmed state by state with a "
                                "drawn pointer; screen: a headed Chromium on Xvfb driven through X at a human pace, "
                                "filmed by ffmpeg x11grab (needs scripts/setup.sh)."),
    seed: int = typer.Option(0, "--seed", help="Screen capture: seed of the pointer paths and key timings."),
) -> None:
    """Record demos into an IWR-Bench dataset folder (all or nothing: OUT changes only on success)."""
    if capture not in ("composed", "screen"):
        typer.echo(f"error: --capture must be composed or screen, not {capture!r}", err=True)
        raise typer.Exit(2)
    try:
        from ..benchmark.recorder import RecordOptions, record_demos

        options = RecordOptions(fps=fps or (25.0 if capture == "screen" else 15.0), action_timeout=timeout,
                                capture="screen" if capture == "screen" else "composed", input_seed=seed)
        tasks = record_demos(demos, out, options, progress=typer.echo)
    except IwrError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(e.exit_code) from None
    typer.echo(f"{len(tasks)} task(s) written to {out / 'data.jsonl'}")


def register(app: typer.Typer) -> None:
    app.command("record")(record)
