"""`iwr perceive`: keyframes, events and asset map of a recording; `--score` against ground truth."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import typer

from ..errors import IwrError


def _task_dir(target: str) -> Path:
    """A task folder (with video.mp4) or the id of a bundled task."""
    path = Path(target)
    if path.is_dir():
        if not (path / "video.mp4").is_file():
            raise IwrError(f"{path}: no video.mp4 in this folder")
        return path
    if path.suffix.lower() in {".mp4", ".webm", ".mov", ".mkv"}:
        if not path.is_file():
            raise IwrError(f"{path}: no such video")
        return path
    if "/" in target or "\\" in target or path.suffix:
        raise IwrError(f"{path}: no such task folder or video")
    from ..benchmark.dataset import load_tasks
    from ..benchmark.tasks_source import resolve_tasks_path

    tasks = load_tasks(resolve_tasks_path("bundled"))
    for task in tasks:
        if task.key == target:
            return task.paths.dir
    raise IwrError(f"{target}: not a task folder, a video or a bundled task id ({', '.join(t.key for t in tasks)})")


def _perceive(target: str, out: Path | None, ocr: bool, assets: bool) -> None:
    from ..tools.perception import PerceiveOptions, perceive

    src = _task_dir(target)
    video = src if src.is_file() else src / "video.mp4"
    assets_dir = None if src.is_file() else (src / "assets" if (src / "assets").is_dir() else None)
    out_dir = out or Path(tempfile.mkdtemp(prefix="iwr-perceive-"))
    p = perceive(video, assets_dir if assets else None, out_dir, PerceiveOptions(ocr=ocr, assets=assets))
    v = p.video
    typer.echo(f"video {v.width}x{v.height} {v.fps:g} fps {v.duration:.1f} s; "
               f"{len(p.keyframes)} keyframes, {len(p.events)} events, {p.timings.total:.2f} s")
    for e in p.events:
        where = f" at ({e.pointer[0]:.0f},{e.pointer[1]:.0f})" if e.pointer else ""
        extra = f" text={e.typed_text!r}" if e.typed_text else f" dy={e.scroll_dy:.0f}" if e.kind == "scroll" else ""
        typer.echo(f"  {e.start:6.2f}-{e.end:6.2f} s  {e.kind:<7}{where}{extra}  keyframes {e.before_keyframe}->{e.after_keyframe}")
    for line in p.asset_map():
        typer.echo(f"  {line}")
    typer.echo(f"written to {out_dir} (perception.json, keyframes/, contact_sheet.png)")


def _is_tasks_file(target: str) -> bool:
    """Whether `target` names a data set: 'bundled', a .jsonl file, or a folder with a data.jsonl and no video."""
    path = Path(target)
    if target == "bundled" or path.suffix.lower() == ".jsonl":
        return True
    return path.is_dir() and (path / "data.jsonl").is_file() and not (path / "video.mp4").is_file()


def _perceive_set(target: str, out: Path | None, ocr: bool, assets: bool) -> None:
    """Perceive every task of a data set into OUT/<task id>/ (no ground truth needed)."""
    from ..benchmark.dataset import load_tasks
    from ..benchmark.tasks_source import resolve_tasks_path
    from ..tools.perception import PerceiveOptions, PerceptionError, perceive

    tasks = load_tasks(resolve_tasks_path(target))
    if not tasks:
        raise IwrError(f"{target}: no tasks in this data set")
    out_root = out or Path(tempfile.mkdtemp(prefix="iwr-perceive-"))
    failed: list[str] = []
    for i, task in enumerate(tasks, start=1):
        paths = task.paths
        assets_dir = paths.assets if assets and paths.assets.is_dir() else None
        try:
            p = perceive(paths.video, assets_dir, out_root / task.key, PerceiveOptions(ocr=ocr, assets=assets))
        except PerceptionError as e:
            failed.append(task.key)
            typer.echo(f"[{i}/{len(tasks)}] {task.key}: error: {e}")
            continue
        typer.echo(f"[{i}/{len(tasks)}] {task.key}: {p.video.duration:.1f} s video, {len(p.keyframes)} keyframes, "
                   f"{len(p.events)} events, {sum(a.found for a in p.assets)} assets found, {p.timings.total:.1f} s")
    typer.echo(f"perceived {len(tasks) - len(failed)} of {len(tasks)} tasks into {out_root} (<task id>/perception.json)")
    if failed:
        raise IwrError(f"{len(failed)} task(s) could not be perceived: {', '.join(failed)}")


def _score(target: str, out: Path | None, as_json: bool, ocr: bool, assets: bool) -> None:
    from ..benchmark.dataset import load_tasks
    from ..benchmark.perception_score import score_tasks
    from ..benchmark.tasks_source import resolve_tasks_path
    from ..tools.perception import PerceiveOptions

    tasks = load_tasks(resolve_tasks_path(target))
    out_root = out or Path(tempfile.mkdtemp(prefix="iwr-perceive-score-"))
    report = score_tasks(tasks, out_root, PerceiveOptions(ocr=ocr, assets=assets))
    keys = ["event_recall", "event_precision", "click_error_px_median", "kind_accuracy", "typed_text_accuracy",
            "asset_precision", "asset_recall", "keyframe_ratio", "seconds_per_video_second", "result_coverage"]
    if as_json:
        typer.echo(json.dumps({k: report.overall.get(k) for k in keys}))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="perception vs ground truth")
    cols = ["task", *keys]
    for c in cols:
        table.add_column(c.replace("_", " "), justify="right" if c != "task" else "left")
    fmt = lambda v: "-" if v is None else f"{v:.3g}"  # noqa: E731
    for t in report.tasks:
        if t.error:
            table.add_row(t.task_id, f"error: {t.error}", *[""] * (len(cols) - 2))
            continue
        f = t.figures()
        table.add_row(t.task_id, *[fmt(f.get(k)) for k in cols[1:]])
    table.add_row("overall", *[fmt(report.overall.get(k)) for k in cols[1:]], style="bold")
    Console().print(table)


def register(app: typer.Typer) -> None:
    @app.command("perceive")
    def perceive_cmd(
        target: str = typer.Argument(...,
                                     help="Task folder, video file, bundled task id, or a data set (DATA.jsonl, a folder holding one, 'bundled')."),
        out: Path | None = typer.Option(None, "--out", help="Output folder (default: a new temporary folder); "
                                                          "for a data set, one sub-folder per task."),
        score: bool = typer.Option(False, "--score", help="Compare with each task's ground_truth.json."),
        as_json: bool = typer.Option(False, "--json", help="With --score: print one JSON object of overall figures."),
        no_ocr: bool = typer.Option(False, "--no-ocr", help="Skip OCR of typed text."),
        no_assets: bool = typer.Option(False, "--no-assets", help="Skip asset matching."),
    ) -> None:
        """Keyframes, interaction events, pointer and asset map of a recording."""
        try:
            if score:
                _score(target, out, as_json, not no_ocr, not no_assets)
            elif _is_tasks_file(target):
                _perceive_set(target, out, not no_ocr, not no_assets)
            else:
                _perceive(target, out, not no_ocr, not no_assets)
        except IwrError as e:  # any other exception is a bug: its traceback is shown
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
