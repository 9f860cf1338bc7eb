"""`iwr report RUNS_DIR|RUN_DIR`: a self-contained HTML report, or md/csv/json tables."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import IwrError


def _table_text(rows: list[dict], fmt: str) -> str:
    import csv
    import io
    import json

    if fmt == "json":
        return json.dumps(rows, indent=2)
    cols = ["run_id", "agent", "model", "protocol", "tasks", "scored", "failed", "infra", "ifs", "vfs", "final", "probe_ifs",
            "cost_usd", "tokens", "wall_s"]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()

    def fmt_cell(col: str, v: object) -> str:
        if v is None:
            return "–"
        if col in ("ifs", "vfs", "final", "probe_ifs") and isinstance(v, float):
            return f"{100 * v:.2f}"
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt_cell(c, r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        source: Path = typer.Argument(..., help="A runs folder (holding runs.sqlite) or one run folder inside it."),
        fmt: str = typer.Option("html", "--format", help="html | md | csv | json"),
        out: Path | None = typer.Option(None, "--out",
                                        help="Output file (default: SOURCE/report.html for html, stdout otherwise)."),
        run_id: str | None = typer.Option(None, "--run-id", help="Only this run."),
    ) -> None:
        """Write a leaderboard, per-category breakdown, iteration curves and per-task step views."""
        from ..report_data import flat_rows, gather
        from ..report_html import render_html

        try:
            if fmt not in ("html", "md", "csv", "json"):
                raise IwrError(f"unknown format {fmt!r}: use html, md, csv or json")
            data = gather(source, run_id)
        except IwrError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if fmt == "html":
            target = out or (source / "report.html")
            render_html(data, target)
            typer.echo(f"report written to {target}")
            return
        text = _table_text(flat_rows(data), fmt)
        if out:
            out.write_text(text)
        else:
            typer.echo(text, nl=False)
