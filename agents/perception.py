"""The model-free perceiver: `iwr.tools.perception` output rescaled to page coordinates."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from iwr.benchmark.task import Box, Point, TaskInputs
from iwr.core.cache_files import cache_dir
from iwr.core.sources import hash_sources, module_sources
from iwr.graphs import AssetMap, AssetSighting, EventSummary, KeyframeRef, PerceptionSummary

if TYPE_CHECKING:
    from iwr.tools.perception.types import Perception

PERCEPTION_FILE = "perception.json"
log = structlog.get_logger()


def _box(b: Box, scale: float) -> Box:
    return b.scaled(scale)


def summarize(perception: Perception, page_width: int) -> PerceptionSummary:
    """Keyframes and events of a `Perception`, in CSS pixels of a page `page_width` wide."""
    scale = page_width / perception.video.width if perception.video.width else 1.0
    keyframes = [KeyframeRef(index=k.index, time=k.time, path=Path(k.path)) for k in perception.keyframes if k.path]
    events = [
        EventSummary(
            index=e.index,
            kind=e.kind,
            start=e.start,
            end=e.end,
            point=Point(x=e.pointer[0] * scale, y=e.pointer[1] * scale) if e.pointer else None,
            click=e.click,
            pressed=e.pressed,
            typed_text=e.typed_text,
            key=e.key,
            scroll_dy=e.scroll_dy * scale,
            regions=[_box(r.box, scale) for r in e.regions],
            before_keyframe=e.before_keyframe,
            after_keyframe=e.after_keyframe,
            confidence=e.confidence,
        )
        for e in perception.events
    ]
    return PerceptionSummary(
        duration=perception.video.duration,
        keyframes=keyframes,
        events=events,
        sheet=Path(perception.sheet) if perception.sheet else None,
    )


def asset_map(perception: Perception, page_width: int) -> AssetMap:
    """Asset sightings in page coordinates, and the assets never seen."""
    scale = page_width / perception.video.width if perception.video.width else 1.0
    sightings = [
        AssetSighting(asset=m.asset, keyframe=m.keyframe, box=_box(m.box, scale), confidence=m.confidence)
        for report in perception.assets
        for m in report.matches
    ]
    unseen = [r.asset for r in perception.assets if not r.matches]
    return AssetMap(sightings=sightings, unseen=unseen)


def _cache_root() -> Path:
    return cache_dir() / "perception"


def perception_key(inputs: TaskInputs) -> str:
    """Content key of one perception run: the video, the assets (names and bytes) and the
    perception code, so a changed input or a changed pipeline never reuses a stale result."""
    h = hashlib.sha256()
    h.update(inputs.video.read_bytes())
    for asset in sorted(inputs.assets, key=lambda p: p.name):
        h.update(asset.name.encode() + b"\0" + asset.read_bytes())
    hash_sources(h, module_sources("iwr.tools.perception"))  # the pipeline and every module it imports
    return h.hexdigest()[:24]


def _relocate(perception: Perception, src: Path, dst: Path) -> Perception:
    """The same result with its file paths moved from folder `src` to folder `dst`."""

    def moved(path: str | None) -> str | None:
        if not path:
            return path
        p = Path(path)
        try:
            return str(dst / p.relative_to(src))
        except ValueError:
            return path

    data = perception.model_copy(deep=True)
    for k in data.keyframes:
        k.path = moved(k.path)
    data.sheet = moved(data.sheet)
    return data


def _copy_result(perception: Perception, src: Path, dst: Path) -> Perception:
    """Copy a perception folder (keyframes, sheet, perception.json) from `src` to `dst`."""
    dst.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.name == PERCEPTION_FILE:
            continue
        target = dst / item.name
        if item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target)
    moved = _relocate(perception, src, dst)
    (dst / PERCEPTION_FILE).write_text(moved.model_dump_json())
    return moved


class ToolPerceiver:
    """Runs the perception pipeline once (keyframes, events and asset matches together).

    Results are cached by content (`perception_key`) under `$IWR_CACHE_DIR/perception/`, so
    agents and baselines that perceive the same task share one run."""

    def __init__(self, cache_dir: Path | None = None, *, use_cache: bool = True) -> None:
        self.cache_dir = cache_dir or _cache_root()
        self.use_cache = use_cache

    def _load_or_run(self, inputs: TaskInputs, out_dir: Path) -> Perception:
        from iwr.tools.perception.pipeline import perceive
        from iwr.tools.perception.types import Perception

        cached = out_dir / PERCEPTION_FILE
        if cached.is_file():
            return Perception.model_validate_json(cached.read_text())
        shared = self.cache_dir / perception_key(inputs) if self.use_cache else None
        if shared is not None and (shared / PERCEPTION_FILE).is_file():
            try:
                stored = Perception.model_validate_json((shared / PERCEPTION_FILE).read_text())
                return _copy_result(stored, shared, out_dir)
            except (OSError, ValueError) as e:
                log.warning("perception cache unreadable; perceiving again", folder=str(shared), error=repr(e))
        assets_dir = inputs.assets[0].parent if inputs.assets else None
        result = perceive(inputs.video, assets_dir, out_dir)
        if not cached.is_file():
            cached.write_text(result.model_dump_json())
        if shared is not None:
            self._store(result, out_dir, shared)
        return result

    @staticmethod
    def _store(result: Perception, out_dir: Path, shared: Path) -> None:
        """Publish a fresh result to the shared cache (atomically; a concurrent writer wins)."""
        shared.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=shared.name + ".", dir=shared.parent))
        try:
            _copy_result(result, out_dir, tmp)
            (tmp / PERCEPTION_FILE).write_text(_relocate(result, out_dir, shared).model_dump_json())
            os.rename(tmp, shared)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)

    async def perceive(self, inputs: TaskInputs, out_dir: Path) -> PerceptionSummary:
        perception = await asyncio.to_thread(self._load_or_run, inputs, out_dir)
        return summarize(perception, inputs.resolution.width)

    async def match_assets(self, inputs: TaskInputs, perception: PerceptionSummary, out_dir: Path) -> AssetMap:
        full = await asyncio.to_thread(self._load_or_run, inputs, out_dir)
        return asset_map(full, inputs.resolution.width)
