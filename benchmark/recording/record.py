"""Record demos into tasks: one demo with an open browser (`record_demo`), or many into a dataset (`record_demos`)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...tools.contact_sheet import make_contact_sheets
from ...tools.local_server import ServedSite, serve_directory
from ...tools.pointer import PointerFilm
from ...tools.video import Mp4Writer, VideoError
from ..dataset import task_data_dir, upsert_tasks
from ..demo import DemoProbe, DemoSpec, load_demo
from ..ground_truth import GroundTruth, Probe
from ..page_clock import PageClock
from ..task import Task
from .assets import asset_order, original_name, placements, save_assets
from .driver import Driver, TimeFilm
from .options import RECORDER_VERSION, RecordError, RecordOptions
from .trajectory import Trajectory, new_recording_page, run_trajectory


@dataclass(frozen=True)
class RecordedTask:
    """One recorded task, written to `dir`."""

    task: Task
    ground_truth: GroundTruth
    dir: Path
    assets: int
    seconds: float  # wall time spent recording

    def summary(self) -> str:
        gt = self.ground_truth
        return (
            f"recorded {self.task.key}: {len(gt.steps)} actions, {len(gt.probes)} probes, "
            f"{gt.duration:.1f} s video, {self.assets} assets ({self.seconds:.1f} s)"
        )


def _write_checkpoints(folder: Path, pngs: list[bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for k, png in enumerate(pngs):
        (folder / f"step_{k}.png").write_bytes(png)


def start_pointer_of(spec: DemoSpec) -> tuple[float, float]:
    """Where the pointer rests when a recording starts."""
    return spec.resolution.width * 0.5, spec.resolution.height * 0.6


async def record_probe(browser: Any, spec: DemoSpec, site: ServedSite, options: RecordOptions, probe: DemoProbe,
                       label: str) -> Trajectory:
    """Perform a held-out probe on a fresh headless page (not filmed; the demo's frame clock)."""
    pcontext, ppage = await new_recording_page(browser, spec, site, options)
    try:
        pdriver = Driver(ppage, spec, TimeFilm(options.fps, start_pointer_of(spec)), options,
                         f"{label} probe {probe.name!r}", PageClock(ppage, 1000 / options.fps))
        return await run_trajectory(pdriver, site, probe.actions)
    finally:
        await pcontext.close()


@dataclass(frozen=True)
class TaskFilm:
    """The demo's filmed trajectory and its video: duration (s), frame rate, how it was made."""

    demo: Trajectory
    duration: float
    fps: float
    environment: str


def write_task(spec: DemoSpec, task_dir: Path, film: TaskFilm, probe_runs: list[tuple[str, Trajectory]],
               names: dict[str, str], site: ServedSite, options: RecordOptions) -> tuple[Task, GroundTruth]:
    """Write everything but the video and assets into `task_dir`: checkpoints, contact sheets,
    ground_truth.json and metadata.json; return the task record and its truth."""
    demo, duration, fps, environment = film.demo, film.duration, film.fps, film.environment
    res = spec.resolution
    _write_checkpoints(task_dir / "checkpoints", demo.checkpoints)
    for name, traj in probe_runs:
        _write_checkpoints(task_dir / "checkpoints" / "probes" / name, traj.checkpoints)
    make_contact_sheets(sorted((task_dir / "assets").iterdir()), task_dir / "stitched_assets")

    task = Task(
        id=spec.id,
        classification=spec.classification,
        recording_details={"resolution": str(res), "environment": environment},
        source_website=spec.source_website or f"local://{spec.id}",
        action_sequence=[a.to_action() for a in spec.actions],
    )
    gt = GroundTruth(
        task_id=spec.id,
        fps=fps,
        duration=duration,
        steps=demo.steps,
        checkpoint_texts=dict(enumerate(demo.texts)),
        placements={k: placements(uses, names) for k, uses in enumerate(demo.image_uses)},
        asset_names={anon: original_name(url, site) for url, anon in names.items()},
        probes=[
            Probe(
                name=p.name,
                actions=[a.to_action() for a in p.actions],
                steps=run.steps,
                checkpoint_texts=dict(enumerate(run.texts)),
                state0_at=run.state0_at,
            )
            for p, (_, run) in zip(spec.probes, probe_runs, strict=True)
        ],
        page_clock=options.clock,
        state0_at=demo.state0_at,
    )
    gt.save(task_dir / "ground_truth.json")
    metadata = {
        "id": spec.id,
        "title": spec.title,
        "recording_details": task.recording_details,
        "video": {"fps": fps, "frames": round(duration * fps), "duration": round(duration, 3)},
        "actions": len(spec.actions),
        "recorder": RECORDER_VERSION,
        "capture": options.capture,  # composed (drawn pointer, page time) or screen (x11grab, real time)
        # what the page experienced: its start date and seed; page time followed video time
        "page_clock": options.clock.model_dump(mode="json"),
    }
    (task_dir / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    return task, gt


async def record_demo(browser: Any, spec: DemoSpec, task_dir: Path, options: RecordOptions = RecordOptions()) -> RecordedTask:
    """Record one demo into `task_dir` (created; must not exist) with an open browser."""
    started = time.monotonic()
    label = str(spec.path or spec.id)
    res = spec.resolution
    if res.width % 2 or res.height % 2:
        raise RecordError(f"{label}: resolution {res} must have even width and height (H.264)")
    task_dir.mkdir(parents=True)
    start_pointer = start_pointer_of(spec)
    with serve_directory(spec.app_dir) as site:
        context, page = await new_recording_page(browser, spec, site, options)
        try:
            limit = asyncio.Semaphore(max(1, options.parallel_pages))

            async def film_demo() -> tuple[Trajectory, float]:
                """The demo trajectory and the video's duration."""
                async with limit:
                    writer = Mp4Writer(task_dir / "video.mp4", res.width, res.height, options.fps)
                    try:
                        film = PointerFilm(writer.write, options.fps, start_pointer)
                        driver = Driver(page, spec, film, options, label, PageClock(page, 1000 / options.fps))
                        traj = await run_trajectory(driver, site, spec.actions)
                    except BaseException:
                        writer.abort()
                        raise
                    await asyncio.to_thread(writer.close)
                    return traj, film.time

            async def run_probe(probe: DemoProbe) -> Trajectory:
                async with limit:
                    return await record_probe(browser, spec, site, options, probe, label)

            # the demo and the probes use separate pages, so they can run side by side
            async with asyncio.TaskGroup() as group:
                demo_job = group.create_task(film_demo())
                probe_jobs = [group.create_task(run_probe(p)) for p in spec.probes]
            demo, duration = demo_job.result()
            probe_runs = [(p.name, job.result()) for p, job in zip(spec.probes, probe_jobs, strict=True)]
            fps = options.fps
            urls = asset_order([demo] + [t for _, t in probe_runs])
            names = await save_assets(context, urls, site, task_dir / "assets", label)
        except BaseExceptionGroup as group_error:  # unwrap: report the first real error
            first = group_error.exceptions[0]
            while isinstance(first, BaseExceptionGroup):
                first = first.exceptions[0]
            raise first from None
        finally:
            await context.close()

    environment = f"{RECORDER_VERSION}; headless Chromium {browser.version}; device scale 1"
    task, gt = write_task(spec, task_dir, TaskFilm(demo, duration, fps, environment), probe_runs, names, site, options)
    return RecordedTask(task=task, ground_truth=gt, dir=task_dir, assets=len(names), seconds=time.monotonic() - started)


async def _record_all(specs: list[DemoSpec], data_dir: Path, options: RecordOptions,
                      progress: Callable[[str], None]) -> list[RecordedTask]:
    from ...tools.browser import launch_browser

    record = record_demo
    if options.capture == "screen":  # a headed browser on Xvfb films the demo; probes stay headless
        from .screen_capture import record_screen_demo as record
    done: list[RecordedTask] = []
    async with launch_browser() as browser:
        for spec in specs:
            rec = await record(browser, spec, data_dir / spec.id, options)
            progress(rec.summary())
            done.append(rec)
    return done


def _commit(staging_data: Path, out: Path, recorded: list[RecordedTask]) -> list[Task]:
    """Move the staged task folders into `out/data/` and upsert `out/data.jsonl`."""
    jsonl = out / "data.jsonl"
    final_data = task_data_dir(jsonl)
    final_data.mkdir(parents=True, exist_ok=True)
    for rec in recorded:
        target = final_data / rec.task.key
        if target.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".old-{rec.task.key}-", dir=final_data))
            target.rename(trash / "task")
            shutil.move(str(staging_data / rec.task.key), str(target))
            shutil.rmtree(trash, ignore_errors=True)
        else:
            shutil.move(str(staging_data / rec.task.key), str(target))
    return upsert_tasks(jsonl, [rec.task for rec in recorded])


def _run_to_completion(coro: Any) -> Any:
    """Run a coroutine from sync code, also when the caller is itself inside an event loop
    (e.g. the runner resolving `bundled` tasks): then it runs on a loop of its own in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="iwr-record") as pool:
        return pool.submit(asyncio.run, coro).result()


def record_demos(demos: Sequence[Path | str], out: Path | str, options: RecordOptions = RecordOptions(),
                 progress: Callable[[str], None] = lambda line: None) -> list[Task]:
    """Record every demo and add the tasks to `out/data.jsonl` (all or nothing).

    Everything is recorded into a staging folder first; `out` is touched only when all
    demos succeeded. Raises `RecordError`/`DemoError` with a one-line message.
    """
    out = Path(out)
    if options.capture == "screen":
        from .x_server import require_screen_tools

        require_screen_tools()
    specs = [load_demo(p) for p in demos]
    ids = [s.id for s in specs]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise RecordError(f"several demos share the id {', '.join(dups)}")
    if out.exists() and not out.is_dir():
        raise RecordError(f"{out} exists and is not a folder")
    parent = out.parent if out.parent.is_dir() else None
    staging = Path(tempfile.mkdtemp(prefix=".iwr-record-", dir=parent))
    try:
        try:
            recorded = _run_to_completion(_record_all(specs, staging / "data", options, progress))
        except VideoError as e:
            raise RecordError(str(e)) from None
        tasks = _commit(staging / "data", out, recorded)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    wanted = set(ids)
    return [t for t in tasks if t.key in wanted]
