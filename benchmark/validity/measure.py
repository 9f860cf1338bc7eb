"""One app's validity measurement: DOM-probe ground truth, then the judge on every page.

    report = await measure_app(app, judge, browser, work_dir, mutants=20, seed=0)

For each variant (planted defect, mechanical mutant) the demo is replayed by selector
(`dom_probe`) to find the first state whose visible text differs from the original's;
then the judge scores the reference, the variants and any extra pages (blank, slideshow)
once per protocol: `gt` (the task with our ground_truth.json) and `official` (the task
folder copied without it, as IWR-Bench ships tasks).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from ..demo import DemoSpec
from ..judge.judge import Judge, JudgeConfig
from ..judge.types import JudgeResult
from ..task import Task
from .dom_probe import DomTrace, first_difference, first_pixel_difference, probe_app
from .mutants import all_mutants, select_mutants
from .outcome import Outcome, classify, failure_reason, judged_step
from .variants import PlantedDefect, Variant, make_variants, official_copy

T = TypeVar("T")
Protocol = Literal["gt", "official"]
PROTOCOLS: tuple[Protocol, ...] = ("gt", "official")
PageKind = Literal["reference", "defect", "mutant", "blank", "slideshow"]
PROBE_PAGES = 2  # DOM probes at once (each waits mostly on its page settling)
JUDGE_PAGES = 3  # pages judged at once on the one judge


def validity_judge_config(**overrides: Any) -> JudgeConfig:
    """The offline protocol, stopping at the first failed step (IFS needs no more), visual
    scores off unless a page asks for them, probes only where asked."""
    base: dict[str, Any] = {"visual": False, "probes": False, "continue_after_failure": False, "action_timeout": 10.0}
    base.update(overrides)
    return JudgeConfig(**base)


@dataclass(frozen=True)
class ValidityApp:
    """An app to validate the judge on: its demo, its recorded task and its planted defects."""

    name: str
    spec: DemoSpec
    task: Task
    defects: list[PlantedDefect] = field(default_factory=list)

    @property
    def dir(self) -> Path:
        return self.spec.app_dir


@dataclass(frozen=True)
class ExtraPage:
    """A page judged as it is, with no DOM truth (a degenerate baseline page)."""

    name: str
    kind: PageKind
    dir: Path


@dataclass
class Judged:
    """One judgement of one page under one protocol."""

    ifs: float
    vfs: float | None
    step: int | None  # first failed step, None = all passed
    outcome: Outcome | None  # against the DOM truth (variants only)
    reason: str
    seconds: float
    probe_ifs: float | None = None


@dataclass
class PageReport:
    """A judged page: what it is, where its DOM first differs, and each protocol's verdict."""

    name: str
    kind: PageKind
    label: str  # mutant operator or defect kind
    description: str
    truth: int | None = None  # first differing state (DOM probe); None = equivalent
    declared: int | None = None  # a planted defect's declared breaking step
    looks_different: bool = False  # a settled screenshot differs where the original's two replays agree
    load_error: str = ""  # first script error raised while the page loaded
    syntax_error: bool = False
    judged: dict[str, Judged] = field(default_factory=dict)


@dataclass
class AppReport:
    """Everything measured on one app."""

    name: str
    pages: list[PageReport]
    deterministic: bool  # two replays of the original agreed
    probe_seconds: float
    judge_seconds: float
    mutant_sites: int = 0  # every mutation site of the app's own scripts
    mutant_sites_run: int = 0  # of those, in code the demo ran (where mutants are drawn from)


async def gather_limited(jobs: Sequence[Awaitable[T]], limit: int) -> list[T]:
    """Await `jobs` with at most `limit` running at once; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[T]) -> T:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(j) for j in jobs)))


def _variant_report(v: Variant, original: DomTrace, again: DomTrace, trace: DomTrace) -> PageReport:
    return PageReport(
        name=v.name, kind=v.kind, label=v.label, description=v.description,
        truth=first_difference(original, trace),
        declared=v.defect.breaks_at_step if v.defect is not None else None,
        looks_different=first_pixel_difference(original, trace, again) is not None,
        load_error=trace.load_errors[0] if trace.load_errors else "",
        syntax_error=trace.syntax_error,
    )


def _judged(result: JudgeResult, truth: int | None, with_truth: bool) -> Judged:
    return Judged(
        ifs=result.scores.ifs, vfs=result.scores.vfs, step=judged_step(result),
        outcome=classify(truth, result) if with_truth else None, reason=failure_reason(result),
        seconds=result.timings.get("total", 0.0), probe_ifs=result.probe_ifs,
    )


async def measure_app(app: ValidityApp, judge: Judge, browser: Any, work: Path, *, mutants: int, seed: int,
                      extra_pages: Sequence[ExtraPage] = (), protocols: Sequence[Protocol] = PROTOCOLS,
                      visual: bool = True) -> AppReport:
    """Probe and judge the reference, the planted defects, `mutants` mutants (picked by
    `seed`) and `extra_pages` of one app; work files go under `work`. With `visual`, the
    reference and the visual-only defects also get visual scores (their VFS compared)."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    # the original first, with coverage of the files with mutation sites: mutants are drawn from the code its demo runs
    sites = all_mutants(app.dir)
    original = await probe_app(browser, app.spec, label=f"{app.name} original 1", coverage={m.file for m in sites})
    ran = original.covered.covers if original.covered is not None else None  # none of it ran: no mutant
    sites_run = sum(1 for m in sites if ran is None or ran(m.file, m.offset))
    variants = make_variants(app.dir, app.defects, select_mutants(app.dir, mutants, seed, ran=ran), work / "pages")
    traces = await gather_limited(
        [probe_app(browser, app.spec, label=f"{app.name} original 2")]
        + [probe_app(browser, app.spec, v.dir, label=f"{app.name} {v.name}") for v in variants], PROBE_PAGES)
    again = traces[0]
    reports = [PageReport(name="reference", kind="reference", label="reference", description=str(app.dir))]
    reports += [_variant_report(v, original, again, t) for v, t in zip(variants, traces[1:], strict=True)]
    reports += [PageReport(name=p.name, kind=p.kind, label=p.kind, description=str(p.dir)) for p in extra_pages]
    dirs = [app.dir] + [v.dir for v in variants] + [p.dir for p in extra_pages]
    with_vfs = [visual] + [visual and v.visual_only for v in variants] + [False] * len(extra_pages)
    t1 = loop.time()

    tasks = {"gt": app.task, "official": official_copy(app.task, work / "official")}
    jobs, keys = [], []
    for proto in protocols:
        for rep, page_dir, vis in zip(reports, dirs, with_vfs, strict=True):
            probes = proto == "gt" and rep.kind == "reference"
            jobs.append(judge.judge_task(tasks[proto], page_dir, work / "judged" / proto / rep.name, visual=vis, probes=probes))
            keys.append((proto, rep))
    results = await gather_limited(jobs, JUDGE_PAGES)
    for (proto, rep), result in zip(keys, results, strict=True):
        truth_known = rep.kind in ("reference", "defect", "mutant")
        rep.judged[proto] = _judged(result, rep.truth, truth_known)
    return AppReport(name=app.name, pages=reports, deterministic=first_difference(original, again) is None,
                     probe_seconds=t1 - t0, judge_seconds=loop.time() - t1, mutant_sites=len(sites),
                     mutant_sites_run=sites_run)
