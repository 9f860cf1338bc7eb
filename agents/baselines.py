"""Model-free baseline coders: `blank`, `screenshot-slideshow`, `static-layout`, `trajectory-replay`,
and the `reference` oracle (the bundled app itself: an upper bound, not a baseline).

They plug into the same graph as the LLM agents (as the `Coder` role, no repairs), so the
runner records and judges them exactly like any other agent.
"""

from __future__ import annotations

import asyncio
import html as html_lib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from iwr.benchmark.task import Action, Resolution, TaskInputs
from iwr.graphs import AssetSighting, CodeResult, PerceptionSummary, RepairStyle, SelfTestVerdict

from .frames import distinct_frames, save_composed_frames, save_frames
from .layout import layout_state, layout_states, render_state


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


@dataclass(frozen=True)
class Draft:
    """The arguments of `Coder.draft`, as one value a baseline's `page` reads from."""

    inputs: TaskInputs
    perception: PerceptionSummary | None
    asset_map: list[AssetSighting]
    plan: list[Action]
    out_dir: Path


class Baseline:
    """A model-free `Coder`: `page` writes the draft; baselines do not repair (the page stays as it is)."""

    async def draft(
        self,
        inputs: TaskInputs,
        perception: PerceptionSummary | None,
        asset_map: list[AssetSighting],
        plan: list[Action],
        out_dir: Path,
    ) -> CodeResult:
        return await self.page(Draft(inputs, perception, asset_map, plan, out_dir))

    async def page(self, d: Draft) -> CodeResult:
        raise NotImplementedError

    async def repair(
        self, inputs: TaskInputs, html: str, verdict: SelfTestVerdict, perception: PerceptionSummary | None, style: RepairStyle
    ) -> CodeResult:
        return CodeResult(html=html)


class BlankCoder(Baseline):
    """An empty page at the recorded resolution: the floor of every score."""

    async def page(self, d: Draft) -> CodeResult:
        return CodeResult(html=_page("Blank", d.inputs.resolution, "", ""))


class SlideshowCoder(Baseline):
    """The recorded states as full-viewport images; a click anywhere shows the next one."""

    async def page(self, d: Draft) -> CodeResult:
        images = state_images(d.inputs, d.perception, d.out_dir)
        files = {f"states/state_{i}{p.suffix}": p.read_bytes() for i, p in enumerate(images)}
        names = list(files)
        w, h = d.inputs.resolution.width, d.inputs.resolution.height
        head = f"html, body {{ overflow: hidden; }}\n#slide {{ display: block; width: {w}px; height: {h}px; cursor: pointer; }}"
        first = html_lib.escape(names[0]) if names else ""
        body = (
            f'<img id="slide" src="{first}" alt="recorded state">\n<script>\n'
            f"const states = {json.dumps(names)};\nlet shown = 0;\n"
            "document.addEventListener('click', () => {\n"
            "  if (shown < states.length - 1) { shown += 1; document.getElementById('slide').src = states[shown]; }\n"
            "});\n</script>"
        )
        return CodeResult(html=_page("Recorded states", d.inputs.resolution, head, body), files=files)


class StaticLayoutCoder(Baseline):
    """The first state rebuilt as positioned OCR text and matched assets; no behaviour."""

    async def page(self, d: Draft) -> CodeResult:
        images = state_images(d.inputs, d.perception, d.out_dir)
        if not images:
            return CodeResult(html=_page("Static layout", d.inputs.resolution, "", ""))
        perception = d.perception
        index = perception.keyframes[0].index if perception is not None and perception.keyframes else 0
        state = await layout_state(images[0], index, d.inputs.resolution, d.asset_map)
        head, body = render_state(state, visible=True)
        return CodeResult(html=_page("Static layout", d.inputs.resolution, head, body))


class TrajectoryReplayCoder(Baseline):
    """Every recorded state rebuilt as positioned DOM, with a hot spot at each perceived event
    that switches to the next state: the honest upper bound of memorising the video."""

    async def page(self, d: Draft) -> CodeResult:
        from .replay_page import build_replay_page, state_recipes, state_sightings, transitions_of

        inputs, perception = d.inputs, d.perception
        if perception is None or not perception.keyframes:
            return await StaticLayoutCoder().page(d)
        transitions = transitions_of(perception.events)
        from iwr.tools.video import video_info

        scale = video_info(inputs.video).width / inputs.resolution.width
        recipes = state_recipes(transitions, perception.duration, scale)
        paths = await asyncio.to_thread(save_composed_frames, inputs.video, recipes, d.out_dir.parent / "replay_states")
        times = [r.times[-1] for r in recipes]
        frames = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
        key_images = {k.index: np.asarray(Image.open(k.path).convert("RGB")) for k in perception.keyframes if k.path.is_file()}
        assets = state_sightings(times, frames, perception.keyframes, key_images, d.asset_map, inputs.resolution.width)
        states = await layout_states(paths, inputs.resolution, assets)
        return CodeResult(html=build_replay_page(states, transitions, inputs.resolution))


REFERENCE_SKIP = {"demo.yaml", "defects.yaml"}


class ReferenceCoder(Baseline):
    """ORACLE, not a baseline: the task's bundled reference app served as the page, so its
    scores sit at the top of a table as the upper bound. Bundled tasks only."""

    async def page(self, d: Draft) -> CodeResult:
        from iwr.benchmark.bundled import bundled_apps
        from iwr.core.errors import IwrError

        app = next((a for a in bundled_apps() if a.task_id == d.inputs.task_id), None)
        if app is None or not (app.dir / "index.html").is_file():
            raise IwrError(f"reference: task {d.inputs.task_id} has no bundled app (the oracle covers bundled tasks only)")
        files = {
            str(f.relative_to(app.dir)): f.read_bytes()
            for f in sorted(app.dir.rglob("*"))
            if f.is_file() and f.name not in REFERENCE_SKIP and f.suffix not in {".py", ".pyc"}
            and "__pycache__" not in f.parts and f.name != "index.html"
        }
        return CodeResult(html=(app.dir / "index.html").read_text(encoding="utf-8"), files=files)
