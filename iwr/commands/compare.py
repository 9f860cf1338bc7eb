"""`iwr compare A B [C ...]`: paired deltas with bootstrap intervals against the first source."""

from __future__ import annotations

import typer

from ..errors import IwrError


def register(app: typer.Typer) -> None:
    @app.command("compare")
    def compare_cmd(
        sources: list[str] = typer.Argument(
            ...,
            help="Run folders or summary.json files, optionally 'PATH#agent=X,model=Y,iteration=0'. The first is the baseline."),
        samples: int = typer.Option(5000, help="Bootstrap resamples."),
        seed: int = typer.Option(0, help="Bootstrap seed."),
        as_json: bool = typer.Option(False, "--json", help="Print the comparisons as JSON."),
    ) -> None:
        """Compare result sets on the same tasks: mean deltas, 95% paired-bootstrap CIs, flipped tasks."""
        from rich.console import Console
        from rich.table import Table

        from ..compare import compare, load_result_set

        try:
            if len(sources) < 2:
                raise IwrError("give at least two sources to compare")
            base = load_result_set(sources[0])
            results = [compare(base, load_result_set(s), samples=samples, seed=seed) for s in sources[1:]]
        except IwrError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo("[" + ",".join(r.model_dump_json() for r in results) + "]")
            return
        console = Console()
        for r in results:
            table = Table(title=f"{r.b}  minus  {r.a}")
            for col in ("metric", "n", "A", "B", "delta", "95% CI", "P(delta<=0)"):
                table.add_column(col, justify="right" if col != "metric" else "left")
            for d in r.deltas:
                table.add_row(d.metric, str(d.n), f"{100 * d.mean_a:.2f}", f"{100 * d.mean_b:.2f}", f"{100 * d.delta:+.2f}",
                              f"[{100 * d.ci_low:+.2f}, {100 * d.ci_high:+.2f}]", f"{d.p_le_zero:.3f}")
            console.print(table)
            console.print(f"A: {r.a_tasks}", markup=False, highlight=False)
            console.print(f"B: {r.b_tasks}", markup=False, highlight=False)
            if not r.deltas:
                console.print("no task was scored on both sides: nothing to compare", style="red")
            console.print(f"flipped to full pass: {', '.join(r.flipped_to_pass) or '-'}")
            console.print(f"flipped to failure:   {', '.join(r.flipped_to_fail) or '-'}")
            if r.unpaired:
                console.print(f"not paired (missing or failed on one side): {', '.join(r.unpaired)}")
