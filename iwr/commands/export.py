"""`iwr export RUNS --run-id ID --official OUT`: final pages in the official evaluator's layout."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import IwrError


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_cmd(
        runs: Path = typer.Argument(..., help="The runs folder (holding runs.sqlite), or one run folder inside it."),
        official: Path = typer.Option(..., "--official", help="Output folder: OUT/<task_id>/<model>/index.html."),
        run_id: str | None = typer.Option(None, "--run-id", help="Run id (default: the run folder's name)."),
        agent: str | None = typer.Option(None, "--agent", help="Only this agent (needed when several share a model)."),
    ) -> None:
        """Export final pages so the official IWR-Bench scripts can score them (`iwr eval --model` reads them too)."""
        from ..export import export_official

        try:
            if run_id is None:
                run_id, runs = runs.name, runs.parent
            result = export_official(runs, run_id, official, agent)
        except IwrError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"exported {len(result.written)} page(s) to {official}")
        for label, why in result.skipped.items():
            typer.echo(f"skipped {label}: {why}")
