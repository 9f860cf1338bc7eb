"""`perceive`: video (+ assets) -> keyframes, events, pointer track, asset map, contact sheet."""

from __future__ import annotations

import itertools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import structlog
from pydantic import BaseModel

from .assets import AssetSearch
from .events import TypingJob, build_events, merge_static_runs, state_diff
from .keyframes import choose_states, keyframe_cap, remap_events
from .scan import scan_video
from .sheet import render_sheet
from .types import Keyframe, PBox, Perception, PerceptionError, PointerObservation, Timings
from .typing_runs import join_scrolls, join_typing

log = structlog.get_logger()


class PerceiveOptions(BaseModel):
    """Knobs of the perception step (defaults suit 720p-1080p screen recordings)."""

    sample_fps: float = 8.0
    min_stable: float = 0.4  # seconds a page must stay still to be a state
    max_keyframes: int | None = None  # None: a third of the 1-fps frame count
    ocr: bool = True
    assets: bool = True
    sheet: bool = True
    workers: int = 2  # processes for asset matching (2: a child searches the first state while we decode, then part of the assets)


def perceive(video: Path, assets_dir: Path | None, out_dir: Path, options: PerceiveOptions | None = None) -> Perception:
    """Perceive a recording; writes keyframes/*.png, perception.json and contact_sheet.png."""
    o = options or PerceiveOptions()
    t_start = time.perf_counter()
    timings = Timings()
    if assets_dir is not None and not assets_dir.is_dir():
        raise PerceptionError(f"assets folder not found: {assets_dir}")
    search = None
    if o.assets and assets_dir is not None:  # its child process starts now and searches the first state while we decode
        search = AssetSearch(sorted(p for p in assets_dir.iterdir() if p.is_file()), workers=o.workers)
    try:
        return _perceive(Path(video), out_dir, o, t_start, timings, search)
    finally:
        if search is not None:
            search.close()


def _perceive(video: Path, out_dir: Path, o: PerceiveOptions, t_start: float, timings: Timings,
              search: AssetSearch | None) -> Perception:
    scan = scan_video(video, sample_fps=o.sample_fps, min_stable=o.min_stable,
                      on_first_state=search.first_state if search else None)
    timings.decode = round(time.perf_counter() - t_start, 3)

    t = time.perf_counter()
    runs = join_scrolls(scan, join_typing(scan, merge_static_runs(scan)))
    jobs: list[TypingJob] = []
    events = build_events(scan, runs, ocr=False, jobs=jobs)
    info = scan.info
    cap = o.max_keyframes or keyframe_cap(info.duration)
    kept = choose_states(len(runs), events, cap, info.width * info.height)
    kept_runs = [runs[i] for i in kept]
    events = remap_events(events, kept)
    timings.events = round(time.perf_counter() - t, 3)

    background = ThreadPoolExecutor(max_workers=1)  # OCR and PNG encoding release the GIL: they overlap the asset search
    futures = {j.index: background.submit(j.run) for j in jobs} if o.ocr else {}
    out_dir.mkdir(parents=True, exist_ok=True)
    kf_dir = out_dir / "keyframes"
    kf_dir.mkdir(exist_ok=True)
    paths = [kf_dir / f"keyframe_{i:03d}.png" for i in range(len(kept_runs))]
    written = background.submit(lambda: [cv2.imwrite(str(path), r.image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
                                         for path, r in zip(paths, kept_runs, strict=True)])

    t = time.perf_counter()
    assets = []
    if search is not None:
        changed: list[list[PBox] | None] = [None, *([r.box for r in state_diff(scan, a, b)] for a, b in itertools.pairwise(kept_runs))]
        assets = search.finish([r.image for r in kept_runs], changed)
    timings.assets = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    typed = {i: f.result() for i, f in futures.items()}
    events = [e.model_copy(update={"typed_text": typed.get(e.index, e.typed_text)}) for e in events]
    timings.ocr = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    written.result()
    background.shutdown()
    keyframes = []
    last = len(kept_runs) - 1
    for i, (path, r) in enumerate(zip(paths, kept_runs, strict=True)):
        reason = "first" if i == 0 else "last" if i == last else "state"
        keyframes.append(Keyframe(index=i, time=round(r.end, 3), start=round(r.start, 3), end=round(r.end, 3),
                                  frame_no=r.frame_no,
                                  path=str(path), reason=reason))
    pointer = [PointerObservation(time=round(s.time, 3), x=round(s.pointer.x, 1), y=round(s.pointer.y, 1), shape=s.pointer.shape,
                                  clicking=s.ring is not None, score=round(s.pointer.score, 3))
               for s in scan.samples if s.pointer is not None and s.pointer_seen]
    perception = Perception(video=info, keyframes=keyframes, events=events, pointer=pointer, assets=assets, timings=timings)
    if o.sheet and kept_runs:
        perception.sheet = str(render_sheet(perception, [r.image for r in kept_runs], out_dir / "contact_sheet.png"))
    timings.write = round(time.perf_counter() - t, 3)
    timings.total = round(time.perf_counter() - t_start, 3)
    perception.timings = timings
    (out_dir / "perception.json").write_text(json.dumps(perception.model_dump(mode="json"), indent=1))
    log.info("perceived", video=str(video), keyframes=len(keyframes), events=len(events), seconds=timings.total)
    return perception


def load_perception(path: Path) -> Perception:
    """Read a perception.json written by `perceive`."""
    return Perception.model_validate_json(Path(path).read_text())
