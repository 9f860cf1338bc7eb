"""`iwr run`: reconstruct tasks with agents, judge every iteration, write the run folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import typer

if TYPE_CHECKING:
    from rich.progress import TaskID

    from iwr.result_schema import ExecutorName, RunSummary, SummaryRow, TaskOutcome


class RichProgress:
    """Per-cell status lines and an overall bar: done, running, failed, tokens, cost, ETA."""

    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                             TextColumn("ETA"), TimeRemainingColumn())
        self._overall = self._bar.add_task("cells", total=total)
        self._rows: dict[str, TaskID] = {}
        self.failed = 0
        self.tokens = 0
        self.cost = 0.0
        self.cost_unknown = False

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def describe(self) -> str:
        """The overall line: running, failed, tokens and cost so far."""
        cost = f"${self.cost:.4f}" + ("+?" if self.cost_unknown else "")
        return f"cells: {len(self._rows)} running, {self.failed} failed, {self.tokens} tokens, {cost}"

    def _refresh(self) -> None:
        self._bar.update(self._overall, description=self.describe())

    def planned(self, total: int) -> None:
        self._bar.update(self._overall, total=total)
        self._refresh()

    def started(self, key: str, total: int) -> None:
        self._rows[key] = self._bar.add_task(f"  {key}: starting", total=None)
        self._refresh()

    def update(self, key: str, note: str) -> None:
        if key in self._rows:
            self._bar.update(self._rows[key], description=f"  {key}: {note}")

    def finished(self, key: str, outcome: TaskOutcome) -> None:
        row = self._rows.pop(key, None)
        if row is not None:
            self._bar.remove_task(row)
        self.failed += outcome.status != "ok"
        self.tokens += outcome.prompt_tokens + outcome.completion_tokens
        if outcome.cost_usd is None and outcome.model_calls:
            self.cost_unknown = True
        self.cost += outcome.cost_usd or 0.0
        final = next((r for r in outcome.rows if r.iteration == "final"), None)
        if final is not None and final.status == "ok" and final.final is not None:
            text = f"{key}: final {final.final:.3f}"
        else:
            text = f"{key}: {_status(final) if final is not None else outcome.status}"
        error = outcome.error or (final.error if final is not None else None)
        self._bar.console.print(text + (f" ({error})" if error else ""), markup=False, highlight=False, soft_wrap=True)
        self._bar.advance(self._overall)
        self._refresh()

    def stopped(self, reason: str) -> None:
        self._bar.console.print(f"[yellow]stop[/yellow]: {reason}; no new cells started (continue with --resume)")

    def notice(self, text: str) -> None:
        self._bar.console.print(text, style="yellow", markup=False, highlight=False)


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def _status(r: SummaryRow) -> str:
    if r.status == "ok":
        return "ok"
    return ("infra failure" if r.status == "infra_error" else "failed") + (f": {r.error_kind}" if r.error_kind else "")


def print_summary(summary: RunSummary) -> None:
    """The table (a failed cell shows no scores), one honest line per agent x model, failures by kind."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from iwr.tools.llm.errors import KIND_HELP

    console = Console()
    table = Table(title=f"run {summary.run_id} ({summary.model})")
    many_models, many_seeds = len({r.model for r in summary.rows}) > 1, len(summary.seeds) > 1
    columns = ["task", "agent"] + (["model"] if many_models else []) + (["seed"] if many_seeds else [])
    for col in [*columns, "iteration", "IFS", "VFS", "Final", "probe IFS", "status"]:
        table.add_column(col)
    for r in summary.rows:
        ident = [r.task_id, r.agent] + ([r.model] if many_models else []) + ([str(r.seed)] if many_seeds else [])
        scores = [_fmt(r.ifs), _fmt(r.vfs), _fmt(r.final), _fmt(r.probe_ifs)] if r.status == "ok" else ["-"] * 4
        table.add_row(*ident, str(r.iteration), *scores, _status(r))
    console.print(table)
    unit = "task x seed cells" if many_seeds else "tasks"
    for t in summary.tallies:
        console.print(escape(f"{t.agent}{' ' + t.model if many_models else ''}: {t.line(unit)}"), highlight=False, soft_wrap=True)
    for g in summary.failure_groups:
        label = "infra failure (not scored)" if g.status == "infra_error" else "failed"
        help_text = KIND_HELP.get(g.kind)
        message = (g.message or "").removeprefix(g.kind).lstrip(": ")
        console.print(f"[red]{label}[/red]: {escape(g.kind)} x{g.count} ({escape(', '.join(g.cells[:5]))}"
                      f"{', ...' if len(g.cells) > 5 else ''}): {escape(message)}" + (f"\n  {escape(help_text)}" if help_text else ""),
                      highlight=False, soft_wrap=True)
    cost = "unknown" if summary.cost_usd is None else f"${summary.cost_usd:.4f}"
    console.print(f"{summary.completed}/{summary.cells} cells done; {summary.prompt_tokens + summary.completion_tokens} tokens, cost {cost}")
    if summary.stopped_by_fuse:
        console.print(f"[red]stopped by the fuse[/red]: {escape(summary.stopped_by_fuse)}; {len(summary.not_started)} cell(s) "
                      "not started: fix the cause and rerun with --resume (cells the provider refused run again)", soft_wrap=True)
    if summary.stopped_by_budget:
        console.print(f"[yellow]stopped by the budget[/yellow]: {summary.stopped_by_budget}; {len(summary.not_started)} cell(s) "
                      "not started: rerun with --resume and a higher --max-cost/--max-tokens/--max-minutes")


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_command(
        tasks: str = typer.Option("bundled", "--tasks", help="DIR/data.jsonl or 'bundled'."),
        task: list[str] | None = typer.Option(None, "--task", help="Task id (repeatable); default all."),
        agent: list[str] | None = typer.Option(None, "--agent", help="Agent name (repeatable); see `iwr agents`."),
        model: list[str] | None = typer.Option(None, "--model",
                                               help="provider/model for LiteLLM, or scripted/<file> (repeatable)."),
        seeds: str = typer.Option("1", "--seeds",
                                  help="N (seeds 0..N-1) or a list like 0,3,7; each seed has its own response cache."),
        api_base: str | None = typer.Option(None, "--api-base", help="OpenAI-compatible endpoint."),
        api_key: str | None = typer.Option(None, "--api-key", envvar="IWR_API_KEY", help="API key (else provider env vars)."),
        max_iters: int | None = typer.Option(None, "--max-iters", min=0, help="Repair rounds of the iterative agent."),
        repair_style: str | None = typer.Option(None, "--repair-style", help="search_replace | whole."),
        perception: bool | None = typer.Option(None, "--perception/--no-perception", help="Switch perception on/off."),
        reasoning_effort: str | None = typer.Option(None, "--reasoning-effort", help="low | medium | high."),
        oracle_feedback: bool = typer.Option(False, "--oracle-feedback", help="ABLATION: self-test on the ground truth."),
        critic: bool | None = typer.Option(None, "--critic/--no-critic",
                                           help="Visual review by the model before each repair (iterative)."),
        inputs: str = typer.Option("auto", "--inputs", help="images | text | auto (text when a model takes no images); "
                                   "text agents are labelled +text."),
        jobs: int = typer.Option(1, "-j", "--jobs", min=1, help="Cells (task x agent x model x seed) in parallel."),
        model_concurrency: str | None = typer.Option(None, "--model-concurrency",
                                                        help="Model requests in flight per provider, e.g. openai=4,default=8."),
        max_cost: float | None = typer.Option(None, "--max-cost", min=0,
                                              help="Run budget in USD: no new cell starts once spent."),
        max_tokens: int | None = typer.Option(None, "--max-tokens", min=0,
                                              help="Run budget in tokens: no new cell starts once spent."),
        max_minutes: float | None = typer.Option(None, "--max-minutes", min=0,
                                                 help="Wall-clock budget of this invocation: no cell starts when less "
                                                 "time is left than a finished cell took on average."),
        executor: str = typer.Option("local", "--executor", help="local (asyncio) | ray."),
        ray_address: str | None = typer.Option(None, "--ray-address", help="Ray cluster address (default: start a local Ray)."),
        out: Path = typer.Option(Path("runs"), "--out", help="Runs folder."),
        run_id: str | None = typer.Option(None, "--run-id", help="Run id (default: a timestamp)."),
        resume: bool = typer.Option(False, "--resume", help="Continue a run: finished tasks are kept, others resume."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Do not use the LLM response cache."),
        probes: bool = typer.Option(True, "--probes/--no-probes", help="Also judge held-out probe trajectories."),
        llm_timeout: float | None = typer.Option(None, "--llm-timeout", help="Seconds per model call."),
        llm_retries: int | None = typer.Option(None, "--llm-retries", help="Retries per model call."),
        llm_retry_max_wait: float | None = typer.Option(None, "--llm-retry-max-wait", help="Longest wait between retries."),
        skip_preflight: bool = typer.Option(False, "--skip-preflight",
                                            help="Start without checking models, credentials and --api-base first."),
        fuse: int = typer.Option(3, "--fuse", min=0, help="Stop starting cells once N in a row fail with the same error that "
                                 "cannot heal (auth, unknown model, malformed request, context window); 0 = never."),
    ) -> None:
        """Reconstruct tasks with agents; judge every iteration; write RUNS/<run_id>/.

        Before any cell starts, every model the run will call is checked: the provider is known, the
        credentials LiteLLM needs are set, an --api-base answers (--skip-preflight skips this).
        Errors that cannot heal (missing or rejected key, unknown model, malformed request, context
        window exceeded) are not retried.

        Exit status: 0 when every cell that ran ended with a score (a budget stop included);
        1 when some cells failed or the fuse stopped the run (the run folder, summary.json and the
        report are still written); 2 for usage and preflight errors (nothing is written).
        """
        import asyncio

        from iwr.errors import IwrError

        try:
            from iwr.agents import OFFLINE_DEFAULT_AGENTS
            from iwr.grid import parse_seeds
            from iwr.run_types import RunOptions
            from iwr.runner import Runner, api_key_present
            from iwr.tools.llm.gateway import ProviderLimits

            agents = list(agent or [])
            if not agents:
                if model:
                    raise IwrError("give --agent (see `iwr agents`) with --model")
                why = "no --model given" + ("" if api_key_present() else " and no API key in the environment")
                typer.echo(f"{why}: running the offline baselines {', '.join(OFFLINE_DEFAULT_AGENTS)} on {tasks} tasks", err=True)
                agents = list(OFFLINE_DEFAULT_AGENTS)
            if repair_style not in (None, "search_replace", "whole"):
                raise IwrError("--repair-style must be search_replace or whole")
            if reasoning_effort not in (None, "low", "medium", "high"):
                raise IwrError("--reasoning-effort must be low, medium or high")
            if inputs not in ("auto", "images", "text"):
                raise IwrError("--inputs must be auto, images or text")
            if executor not in ("local", "ray"):
                raise IwrError("--executor must be local or ray")
            try:
                seed_list = parse_seeds(seeds)
                limits = ProviderLimits.parse(model_concurrency).limits
            except ValueError as e:
                raise IwrError(str(e)) from None
            opts = RunOptions(
                tasks=tasks, task_ids=list(task or []), agents=agents, models=list(dict.fromkeys(model or [])),
                seeds=seed_list, api_base=api_base, api_key=api_key, max_tokens=max_tokens, max_cost_usd=max_cost, max_minutes=max_minutes,
                # the four choices below were checked above
                model_concurrency=limits, executor=cast("ExecutorName", executor), ray_address=ray_address,
                max_iters=max_iters, repair_style=cast('Literal["search_replace", "whole"] | None', repair_style),
                perception=perception, reasoning_effort=cast('Literal["low", "medium", "high"] | None', reasoning_effort),
                oracle_feedback=oracle_feedback, critic=critic, inputs=cast('Literal["auto", "images", "text"]', inputs),
                jobs=jobs, out=out, run_id=run_id, resume=resume,
                cache=not no_cache, probes=probes,
                llm_timeout=llm_timeout, llm_max_retries=llm_retries, llm_retry_max_wait=llm_retry_max_wait,
                skip_preflight=skip_preflight, fuse=fuse,
            )
            progress = RichProgress(total=len(agents))  # the runner sets the real total once the grid is planned
            runner = Runner(opts, progress)
            if not opts.skip_preflight:
                runner.check_models()  # before the progress bar: problems are the only output
            with progress:
                summary = asyncio.run(runner.run())
        except IwrError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
        print_summary(summary)
        typer.echo(f"wrote {out / summary.run_id / 'summary.json'}")
        from iwr.report_data import gather
        from iwr.report_html import render_html

        report = out / summary.run_id / "report.html"
        render_html(gather(out, summary.run_id), report)
        typer.echo(f"report: {report}")
        if summary.exit_status:
            raise typer.Exit(summary.exit_status)
