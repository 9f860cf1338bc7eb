"""Model-free baseline coders: `blank`, `screenshot-slideshow`, `static-layout`, `trajectory-replay`.

They plug into the same graph as the LLM agents (as the `Coder` role, no repairs), so the
runner records and judges them exactly like any other agent.
"""

from __future__ import annotations

import html as html_lib
import json
from pathlib import Path

from iwr.benchmark.task import Action, Resolution, TaskInputs
from iwr.graphs import AssetSighting, CodeResult, PerceptionSummary, RepairStyle, SelfTestVerdict

from .frames import distinct_frames, save_frames
from .layout import StateLayout, layout_state, render_state


def _page(title: str, resolution: Resolution, head: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html_lib.escape(title)}</title>\n<style>\n"
        "html, body { margin: 0; padding: 0; background: #fff; }\n"
        f"{head}\n</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def state_images(inputs: TaskInputs, perception: PerceptionSummary | None, out_dir: Path) -> list[Path]:
    """The distinct states of the video: perception keyframes, else distinct 1 fps frames."""
    if perception is not None and perception.keyframes:
        return [k.path for k in perception.keyframes]
    return distinct_frames(save_frames(inputs.video, out_dir.parent / "frames"))


class _NoRepair:
    """Baselines do not repair: the page stays as it is."""

    async def repair(
        self, inputs: TaskInputs, html: str, verdict: SelfTestVerdict, perception: PerceptionSummary | None, style: RepairStyle
    ) -> CodeResult:
        return CodeResult(html=html)


class BlankCoder(_NoRepair):
    """An empty page at the recorded resolution: the floor of every score."""

    async def draft(
        self,
        inputs: TaskInputs,
        perception: PerceptionSummary | None,
        asset_map: list[AssetSighting],
        plan: list[Action],
        out_dir: Path,
    ) -> CodeResult:
        return CodeResult(html=_page("Blank", inputs.resolution, "", ""))


class SlideshowCoder(_NoRepair):
    """The recorded states as full-viewport images; a click anywhere shows the next one."""

    async def draft(
        self,
        inputs: TaskInputs,
        perception: PerceptionSummary | None,
        asset_map: list[AssetSighting],
        plan: list[Action],
        out_dir: Path,
    ) -> CodeResult:
        images = state_images(inputs, perception, out_dir)
        files = {f"states/state_{i}{p.suffix}": p.read_bytes() for i, p in enumerate(images)}
        names = list(files)
        w, h = inputs.resolution.width, inputs.resolution.height
        head = f"html, body {{ overflow: hidden; }}\n#slide {{ display: block; width: {w}px; height: {h}px; cursor: pointer; }}"
        first = html_lib.escape(names[0]) if names else ""
        body = (
            f'<img id="slide" src="{first}" alt="recorded state">\n<script>\n'
            f"const states = {json.dumps(names)};\nlet shown = 0;\n"
            "document.addEventListener('click', () => {\n"
            "  if (shown < states.length - 1) { shown += 1; document.getElementById('slide').src = states[shown]; }\n"
            "});\n</script>"
        )
        return CodeResult(html=_page("Recorded states", inputs.resolution, head, body), files=files)


class StaticLayoutCoder(_NoRepair):
    """The first state rebuilt as positioned OCR text and matched assets; no behaviour."""

    async def draft(
        self,
        inputs: TaskInputs,
        perception: PerceptionSummary | None,
        asset_map: list[AssetSighting],
        plan: list[Action],
        out_dir: Path,
    ) -> CodeResult:
        images = state_images(inputs, perception, out_dir)
        if not images:
            return CodeResult(html=_page("Static layout", inputs.resolution, "", ""))
        index = perception.keyframes[0].index if perception is not None and perception.keyframes else 0
        state = await layout_state(images[0], index, inputs.resolution, asset_map)
        head, body = render_state(state, visible=True)
        return CodeResult(html=_page("Static layout", inputs.resolution, head, body))


class TrajectoryReplayCoder(_NoRepair):
    """Every keyframe rebuilt as positioned DOM, with hot spots at the perceived events that
    switch to the next keyframe's state: the honest upper bound of memorising the video."""

    async def draft(
        self,
        inputs: TaskInputs,
        perception: PerceptionSummary | None,
        asset_map: list[AssetSighting],
        plan: list[Action],
        out_dir: Path,
    ) -> CodeResult:
        from .replay_page import build_replay_page

        if perception is None or not perception.keyframes:
            return await StaticLayoutCoder().draft(inputs, perception, asset_map, plan, out_dir)
        states: list[StateLayout] = [
            await layout_state(k.path, k.index, inputs.resolution, asset_map) for k in perception.keyframes
        ]
        return CodeResult(html=build_replay_page(states, perception, inputs.resolution))
