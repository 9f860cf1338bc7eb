"""`iwr eval --against-video`: judge pages against a recording alone (protocol `video`).

A task folder gives its `video.mp4`, assets and resolution and nothing else (no action
sequence, checkpoints or ground truth); `--video FILE [--assets DIR]` judges against a bare
recording. Writes OUT/<id>/eval.json and OUT/summary.json like `iwr eval`, protocol `video`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import IwrError

if TYPE_CHECKING:
    from ..benchmark.judge.types import Protocol
    from ..benchmark.video_judge import VideoSource
    from ..result_schema import EvalSummary


def _sources(tasks: str | None, task_ids: list[str], video: Path | None, assets: Path | None) -> list[VideoSource]:
    from ..benchmark.video_judge import source_of_task, source_of_video
    from ..tools.perception.types import PerceptionError

    if video is not None:
        if tasks is not None:
            raise IwrError("give either --video or --tasks, not both")
        try:
            return [source_of_video(video, assets)]
        except PerceptionError as e:
            raise IwrError(str(e)) from None
    if tasks is None:
        raise IwrError("--against-video needs --tasks (task folders with video.mp4) or --video FILE")
    from ..benchmark.dataset import load_tasks
    from ..benchmark.tasks_source import resolve_tasks_path

    chosen = load_tasks(resolve_tasks_path(tasks))
    if task_ids:
        unknown = sorted(set(task_ids) - {t.key for t in chosen})
        if unknown:
            raise IwrError(f"unknown task id(s): {', '.join(unknown)}")
        chosen = [t for t in chosen if t.key in set(task_ids)]
    if not chosen:
        raise IwrError("no tasks to judge")
    return [source_of_task(t) for t in chosen]


def _page_dir(pages: str, source: VideoSource, bare: bool) -> Path:
    """A bare video's page: PAGES/index.html (or PAGES/<id>/); a task's: as `iwr eval` finds it."""
    from ..pages import page_dir_for

    if bare and (Path(pages) / "index.html").is_file():
        return Path(pages)
    return page_dir_for(pages, source.task_id, None)


def run_against_video(tasks: str | None, task_ids: list[str], video: Path | None, assets: Path | None, pages: str,
                      out: Path, visual: bool) -> int:
    """Judge every page against its recording; the exit status (0 ok, 1 some judge failed)."""
    import asyncio

    from ..pages import REFERENCE
    from ..result_schema import write_record
    from .eval_table import print_eval_table

    if video is None and assets is not None:
        raise IwrError("--assets goes with --video (a task folder brings its own assets)")
    if pages != REFERENCE and not Path(pages).is_dir():
        raise IwrError(f"--pages {pages}: no such folder (or use 'reference')")
    sources = _sources(tasks, task_ids, video, assets)
    out.mkdir(parents=True, exist_ok=True)
    summary = asyncio.run(_judge_all(sources, pages, out, visual, bare=video is not None))
    write_record(out / "summary.json", summary)
    print_eval_table(summary, out)
    return 1 if summary.macro.infra_errors else 0


async def _judge_all(sources: list[VideoSource], pages: str, out: Path, visual: bool, *, bare: bool) -> EvalSummary:
    from ..benchmark.judge.judge import EvalTaskRow, Judge, JudgeConfig, eval_macro, missing_row, summary_row
    from ..benchmark.video_judge import judge_against_video, video_plan_of
    from ..result_schema import EvalSummary
    from ..tools.perception.types import PerceptionError

    rows: list[EvalTaskRow] = []
    protocol: Protocol | None = None
    async with Judge(JudgeConfig(visual=visual, probes=False)) as judge:
        for source in sources:
            try:
                trajectory = video_plan_of(source)
            except PerceptionError as e:
                raise IwrError(f"{source.task_id}: {e}") from None
            protocol = judge.protocol_for(visual, trajectory)
            try:
                page_dir = _page_dir(pages, source, bare)
            except IwrError as e:  # no reference app or corpus page for this task
                rows.append(missing_row(source.task_id, len(trajectory.actions), f"no page: {e}"))
                continue
            if not (page_dir / "index.html").is_file():
                rows.append(missing_row(source.task_id, len(trajectory.actions), f"page not found: {page_dir / 'index.html'}"))
                continue
            result = await judge_against_video(judge, source, trajectory, page_dir, out / source.task_id)
            rows.append(summary_row(result))
        if protocol is None:
            from ..benchmark.judge.video_plan import video_protocol

            protocol = video_protocol(judge.protocol_for(visual))
    return EvalSummary(tasks=rows, macro=eval_macro(rows), protocol=protocol)
