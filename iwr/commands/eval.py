"""`iwr eval`: judge pages on tasks; writes OUT/<task_id>/eval.json and OUT/summary.json."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..errors import IwrError
from ..pages import REFERENCE, page_dir_for
from .eval_table import judge_failure_kinds, print_eval_table

if TYPE_CHECKING:
    from ..result_schema import EvalSummary

def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_cmd(
        tasks: str | None = typer.Option(None, "--tasks", help="A data.jsonl (or its folder) or 'bundled'."),
        pages: str = typer.Option(..., "--pages",
                                  help="PAGES folder (PAGES/<task_id>/index.html) or 'reference' (the bundled apps)."),
        out: Path = typer.Option(..., "--out", help="Output folder."),
        task_ids: list[str] = typer.Option([], "--task", help="Only these task ids (repeatable)."),
        grounder: str = typer.Option("dom", "--grounder", help="dom (offline) or llm."),
        asserter: str = typer.Option("offline", "--asserter", help="offline or llm."),
        judge_model: str | None = typer.Option(None, "--judge-model",
                                               help="LiteLLM model for llm grounding/assertions and the MLLM rubric."),
        api_base: str | None = typer.Option(None, "--api-base", help="OpenAI-compatible endpoint for the judge model."),
        api_key: str | None = typer.Option(None, "--api-key", envvar="IWR_API_KEY",
                                           help="API key of the judge model (else provider env vars)."),
        skip_preflight: bool = typer.Option(False, "--skip-preflight",
                                            help="Judge without checking the judge model, its credentials and --api-base first."),
        fuse: int = typer.Option(3, "--fuse", min=0,
                                 help="Stop judging once the judge model fails N tasks in a row with the same error "
                                 "that cannot heal (auth, unknown model, malformed request, context window); 0 = never."),
        model: str | None = typer.Option(None, "--model", help="Official layout: PAGES/<id>/<model>/index.html."),
        mllm: bool | None = typer.Option(None, "--mllm/--no-mllm",
                                         help="MLLM visual rubric (default: on when --judge-model is given)."),
        visual: bool = typer.Option(True, "--visual/--no-visual", help="Visual scores (OCR, image similarity)."),
        probes: bool = typer.Option(True, "--probes/--no-probes", help="Also replay the held-out probes."),
        dino_weights: Path | None = typer.Option(None, "--dino-weights", help="Local DINOv2 weights folder (optional)."),
        jobs: int = typer.Option(1, "-j", "--jobs", min=1, help="Pages judged in parallel (one browser each)."),
        against_video: bool = typer.Option(False, "--against-video",
                                           help="Judge against each task's video alone (protocol video): its plan is "
                                           "perceived from video.mp4; no actions, checkpoints or ground truth are read."),
        video: Path | None = typer.Option(None, "--video", help="Judge against this bare recording (implies --against-video)."),
        video_assets: Path | None = typer.Option(None, "--assets", help="The bare recording's assets folder (with --video)."),
    ) -> None:
        """Judge candidate pages by replaying each task's actions (offline protocol by default).

        With a judge model, it is checked before any page is judged (provider, credentials, --api-base;
        --skip-preflight skips this). Exit status: 0 when every task was judged (a missing page is
        judged 0, the official convention); 1 when the judge model or the browser failed on some
        tasks (summary.json is still written); 2 for usage and preflight errors (nothing written).
        """
        try:
            if against_video or video is not None:
                from .eval_video import run_against_video

                status = run_against_video(tasks, task_ids, video, video_assets, pages, out, visual)
                if status:
                    raise typer.Exit(status)
                return
            if tasks is None:
                raise IwrError("--tasks is required (or --against-video with --video FILE)")
            status = _run(tasks, pages, out, task_ids, grounder, asserter, judge_model, api_base, model, mllm, visual,
                          probes, dino_weights, jobs, api_key=api_key, skip_preflight=skip_preflight, fuse=fuse)
        except IwrError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
        if status:
            raise typer.Exit(status)


def _run(tasks: str, pages: str, out: Path, task_ids: list[str], grounder: str, asserter: str,
         judge_model: str | None, api_base: str | None, model: str | None, mllm: bool | None, visual: bool,
         probes: bool, dino_weights: Path | None, jobs: int, *, api_key: str | None = None,
         skip_preflight: bool = False, fuse: int = 3) -> int:
    """Judge and write summary.json; the exit status (see `iwr eval --help`)."""
    import asyncio

    from ..benchmark.dataset import load_tasks
    from ..benchmark.judge.judge import JudgeConfig
    from ..benchmark.judge.judge_config import ASSERTERS, GROUNDERS
    from ..benchmark.tasks_source import resolve_tasks_path
    from ..result_schema import write_record

    grounder_name, asserter_name = GROUNDERS.get(grounder), ASSERTERS.get(asserter)
    if grounder_name is None:
        raise IwrError(f"--grounder must be dom or llm, got {grounder!r}")
    if asserter_name is None:
        raise IwrError(f"--asserter must be offline or llm, got {asserter!r}")
    use_mllm = bool(judge_model) if mllm is None else mllm
    if (grounder == "llm" or asserter == "llm" or use_mllm) and not judge_model:
        raise IwrError("--judge-model is required for --grounder llm, --asserter llm or --mllm")
    if pages != REFERENCE and not Path(pages).is_dir():
        raise IwrError(f"--pages {pages}: no such folder (or use 'reference')")
    if dino_weights is not None and not dino_weights.exists():
        raise IwrError(f"--dino-weights {dino_weights}: not found")
    all_tasks = load_tasks(resolve_tasks_path(tasks))
    if task_ids:
        known = {t.key for t in all_tasks}
        unknown = [t for t in task_ids if t not in known]
        if unknown:
            raise IwrError(f"unknown task id(s): {', '.join(unknown)}")
        all_tasks = [t for t in all_tasks if t.key in set(task_ids)]
    if not all_tasks:
        raise IwrError("no tasks to judge")
    if judge_model and (grounder == "llm" or asserter == "llm" or use_mllm) and not skip_preflight:
        _preflight_judge(judge_model, api_base, api_key)
    config = JudgeConfig(grounder=grounder_name, asserter=asserter_name, judge_model=judge_model, api_base=api_base,
                         api_key=api_key, mllm=use_mllm, visual=visual, probes=probes, dino_weights=dino_weights)
    out.mkdir(parents=True, exist_ok=True)
    summary = asyncio.run(_judge_all(all_tasks, pages, model, out, config, jobs, fuse))
    write_record(out / "summary.json", summary)
    print_eval_table(summary, out)
    failed = summary.macro.model_errors or summary.macro.infra_errors or summary.stopped_by_fuse
    return 1 if failed else 0


def _preflight_judge(judge_model: str, api_base: str | None, api_key: str | None) -> None:
    """Raise IwrError naming every problem of the judge model (nothing is judged or written)."""
    from ..tools.llm.preflight import ModelUse, preflight

    report = preflight([ModelUse(judge_model, "judge", api_base, api_key)])
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if report.problems:
        lines = "\n".join(f"  - {p}" for p in report.problems)
        raise IwrError(f"preflight found {len(report.problems)} problem(s); nothing was judged or written "
                       f"(--skip-preflight starts anyway):\n{lines}")


async def _judge_all(tasks: list[Any], pages: str, model: str | None, out: Path, config: Any, jobs: int,
                     fuse_limit: int = 3) -> EvalSummary:
    import asyncio

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..benchmark.judge.judge import EvalTaskRow, Judge, eval_macro, missing_row, summary_row
    from ..fuse import Fuse
    from ..result_schema import EvalSummary
    from ..tools.llm.errors import kind_heals

    rows: dict[str, EvalTaskRow] = {}
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for t in tasks:
        queue.put_nowait(t)
    protocol = None
    fuse = Fuse(fuse_limit, unit="tasks")
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]judging"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=console, transient=False) as progress:
        bar = progress.add_task("", total=len(tasks))

        async def worker() -> None:
            nonlocal protocol
            async with Judge(config) as judge:
                protocol = judge.protocol
                while not queue.empty() and fuse.reason is None:
                    task = queue.get_nowait()
                    progress.update(bar, description=f"task {task.key}")
                    try:
                        page_dir = page_dir_for(pages, task.key, model)
                    except IwrError as e:  # no reference app or corpus page for this task
                        rows[task.key] = missing_row(task.key, len(task.actions), f"no page: {e}")
                        progress.advance(bar)
                        continue
                    if not (page_dir / "index.html").is_file():
                        rows[task.key] = missing_row(task.key, len(task.actions), f"page not found: {page_dir / 'index.html'}")
                    else:
                        result = await judge.judge_task(task, page_dir, out / task.key)
                        rows[task.key] = summary_row(result)
                        stuck = [k for k in judge_failure_kinds(result.error) if not kind_heals(k)] if result.status.value == "model_error" else []
                        fuse.observe(stuck[0] if stuck else None, config.judge_model or "", result.error)
                    progress.advance(bar)

        await asyncio.gather(*(worker() for _ in range(min(jobs, len(tasks)))))
    assert protocol is not None
    judged = [rows[t.key] for t in tasks if t.key in rows]
    return EvalSummary(
        tasks=judged, macro=eval_macro(judged), protocol=protocol,
        not_judged=[t.key for t in tasks if t.key not in rows],  # left by the fuse: neither scored nor in the means
        stopped_by_fuse=fuse.reason,
    )
