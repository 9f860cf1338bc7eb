"""`iwr agents`: list the named agents and their switches."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("agents")
    def agents_command() -> None:
        """List the named agents (graph + roles + switches)."""
        from rich.console import Console
        from rich.table import Table

        from iwr.agents import list_agents

        table = Table(title="agents")
        for col in ("name", "model", "perception", "loop", "description"):
            table.add_column(col, no_wrap=col == "name")
        for a in list_agents():
            loop = f"{a.max_iters} repairs ({a.repair_style})" if a.max_iters else "-"
            table.add_row(a.name, "yes" if a.needs_model else "no", "on" if a.use_perception else "off", loop, a.description)
        Console().print(table)
        typer.echo("switches: --max-iters N, --repair-style search_replace|whole, --perception/--no-perception, "
                   "--reasoning-effort low|medium|high, --oracle-feedback (labelled ablation)")
