"""Record demos into tasks: one demo with an open browser (`record_demo`), or many into a dataset (`record_demos`)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...tools.local_server import serve_directory
from ...tools.pointer import PointerFilm
from ...tools.video import Mp4Writer, VideoError
from ..dataset import task_data_dir, upsert_tasks
from ..demo import DemoProbe, DemoSpec, load_demo
from ..page_clock import PageClock
from ..task import Task
from .assets import asset_order, save_assets
from .driver import Driver
from .options import RECORDER_VERSION, RecordError, RecordOptions
from .probes import record_probe, start_pointer_of
from .task_files import RecordedTask, TaskFilm, write_task
from .trajectory import Trajectory, new_recording_page, run_trajectory

if TYPE_CHECKING:
    from playwright.async_api import Browser


async def record_demo(browser: Browser, spec: DemoSpec, task_dir: Path, options: RecordOptions = RecordOptions()) -> RecordedTask:
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
