"""Checks of a corpus app's demo and planted defects, by DOM probes at the recorder's pace.

`check_app` replays the demo and every probe on the fetched app (by selector, as the
recorder drives it) and each planted defect's copy of the app, and reports per trajectory
which actions could be performed and, per defect, the first step whose visible text
differs from the unmodified app's (what `breaks_at_step` must say).
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..demo import DemoSpec
from ..validity import DomTrace, PlantedDefect, first_difference, load_defects, probe_app
from ..validity.variants import defect_copy
from .catalog import corpus_app
from .record import load_corpus_demo

if TYPE_CHECKING:
    from playwright.async_api import Browser

CONCURRENT_PAGES = 3  # replays at once: one page's waits overlap another's work


@dataclass
class DefectCheck:
    defect: PlantedDefect
    find_count: int
    first_difference: int | None  # state index (0 = load); None = never differs
    trace: DomTrace | None = None


@dataclass
class AppCheck:
    app_id: str
    spec: DemoSpec
    traces: dict[str, DomTrace] = field(default_factory=dict)  # "demo" and "probe:<name>"
    defects: list[DefectCheck] = field(default_factory=list)

    def unperformed(self) -> list[str]:
        """'<trajectory> step k: why' for every action that could not be performed."""
        return [f"{name} step {k}: {why}" for name, t in self.traces.items()
                for k, why in enumerate(t.failures, start=1) if why]


def trajectories(spec: DemoSpec) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {"demo": list(spec.actions)}
    for p in spec.probes:
        out[f"probe:{p.name}"] = list(p.actions)
    return out


async def _gather(jobs: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(CONCURRENT_PAGES)

    async def one(job: Any) -> Any:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(j) for j in jobs)))


def _prefix(spec: DemoSpec, defect: PlantedDefect) -> list[Any]:
    step = defect.breaks_at_step
    return list(spec.actions if step is None else spec.actions[:step])


async def check_app(browser: Browser, app_id: str, defects: bool = True, probes: bool = True) -> AppCheck:
    """Replay the demo, the probes and (prefix of the demo on) each planted defect."""
    spec = load_corpus_demo(app_id)
    check = AppCheck(app_id=app_id, spec=spec)
    seqs = trajectories(spec) if probes else {"demo": list(spec.actions)}
    planted = load_defects(corpus_app(app_id).demo_dir / "defects.yaml") if defects else []
    with tempfile.TemporaryDirectory(prefix=f"iwr-corpus-{app_id}-") as tmp:
        copies = []
        for n, d in enumerate(planted):
            text = (spec.app_dir / d.file).read_text(encoding="utf-8") if (spec.app_dir / d.file).is_file() else ""
            count = text.count(d.find)
            check.defects.append(DefectCheck(defect=d, find_count=count, first_difference=None))
            copies.append(defect_copy(spec.app_dir, d, Path(tmp) / str(n)) if count == 1 else None)
        jobs = [probe_app(browser, spec, actions=acts, label=f"{app_id} {name}") for name, acts in seqs.items()]
        # a functional defect replays the demo up to its declared step only (a difference
        # later would not be where it says, so the prefix is enough to tell)
        jobs += [probe_app(browser, spec, app_dir=c, actions=_prefix(spec, d.defect), label=f"{app_id} defect {d.defect.name}")
                 for c, d in zip(copies, check.defects, strict=True) if c is not None]
        results = await _gather(jobs)
    check.traces = dict(zip(seqs, results[: len(seqs)], strict=True))
    planted_checks = [dc for c, dc in zip(copies, check.defects, strict=True) if c is not None]
    for dc, trace in zip(planted_checks, results[len(seqs):], strict=True):
        dc.trace = trace
        demo = check.traces["demo"]
        n = len(trace.performed)  # compare the same prefix of the demo
        dc.first_difference = first_difference(DomTrace(texts=demo.texts[: n + 1], performed=demo.performed[:n]), trace)
    return check
