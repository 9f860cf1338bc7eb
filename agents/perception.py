"""The model-free perceiver: `iwr.tools.perception` output rescaled to page coordinates."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from iwr.benchmark.task import Box, Point, TaskInputs
from iwr.graphs import AssetMap, AssetSighting, EventSummary, KeyframeRef, PerceptionSummary

if TYPE_CHECKING:
    from iwr.tools.perception.types import Perception

PERCEPTION_FILE = "perception.json"


def _box(b: object, scale: float) -> Box:
    return Box(x=b.x * scale, y=b.y * scale, width=b.width * scale, height=b.height * scale)  # type: ignore[attr-defined]


def summarize(perception: "Perception", page_width: int) -> PerceptionSummary:
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


def asset_map(perception: "Perception", page_width: int) -> AssetMap:
    """Asset sightings in page coordinates, and the assets never seen."""
    scale = page_width / perception.video.width if perception.video.width else 1.0
    sightings = [
        AssetSighting(asset=m.asset, keyframe=m.keyframe, box=_box(m.box, scale), confidence=m.confidence)
        for report in perception.assets
        for m in report.matches
    ]
    unseen = [r.asset for r in perception.assets if not r.matches]
    return AssetMap(sightings=sightings, unseen=unseen)


class ToolPerceiver:
    """Runs the perception pipeline once (keyframes, events and asset matches together)."""

    def _load_or_run(self, inputs: TaskInputs, out_dir: Path) -> "Perception":
        from iwr.tools.perception.pipeline import perceive
        from iwr.tools.perception.types import Perception

        cached = out_dir / PERCEPTION_FILE
        if cached.is_file():
            return Perception.model_validate_json(cached.read_text())
        assets_dir = inputs.assets[0].parent if inputs.assets else None
        result = perceive(inputs.video, assets_dir, out_dir)
        if not cached.is_file():
            cached.write_text(result.model_dump_json())
        return result

    async def perceive(self, inputs: TaskInputs, out_dir: Path) -> PerceptionSummary:
        perception = await asyncio.to_thread(self._load_or_run, inputs, out_dir)
        return summarize(perception, inputs.resolution.width)

    async def match_assets(self, inputs: TaskInputs, perception: PerceptionSummary, out_dir: Path) -> AssetMap:
        full = await asyncio.to_thread(self._load_or_run, inputs, out_dir)
        return asset_map(full, inputs.resolution.width)
