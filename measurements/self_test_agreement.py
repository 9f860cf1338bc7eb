"""Does judging against the video alone agree with the annotated judge? (issue 16)

    python measurements/self_test_agreement.py [--apps a,b | --tasks id,id] [--corpus] [--mutants N]
                                               [--seed S] [--no-visual] [--work DIR]
    python measurements/self_test_agreement.py --report DIR    # the tables of a finished run

With --work DIR a run resumes: apps with an agreement.json there are read back, not judged again.

Per app, the pages of known quality of `judge_validity.py` (the reference, its planted
defects incl. the visual-only one, N mechanical mutants picked by the seed, the blank and
slideshow baselines) are judged twice: annotated (the task's actions, checkpoints and
ground truth, offline protocol) and video-only (the plan perceived from video.mp4, protocol
`video`). Printed per app and over all: the reference's video-only IFS, Kendall tau-b of IFS
and of Final (within-task pairs), pairwise accuracy on pairs whose annotated IFS differ by
>= 0.2, false passes (video-only IFS 1) on defective pages (annotated IFS < 1), per-step
agreement (video steps matched to annotated steps by time in the recording), how often the
iterative agent's `finish` rule (highest self-test score, earliest on ties) applied to every
ordered run of 3 of an app's pages, video-only IFS standing for the self-test, keeps the page
the annotated judge scores best (a simulation on the measured verdicts), and seconds per
video-only judgement. TodoMVC and 2048 are left out (they serve independent checks).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling script's page builders

from judge_validity import baseline_pages, bundled_validity_apps, corpus_validity_apps

from iwr.benchmark.judge.judge import Judge, load_truth
from iwr.benchmark.judge.judge_config import default_cache_dir
from iwr.benchmark.judge.types import JudgeResult, Trajectory
from iwr.benchmark.judge.video_plan import video_trajectory
from iwr.benchmark.validity import ValidityApp, select_mutants, validity_judge_config
from iwr.benchmark.validity.agreement import (
    PagePair,
    StepMatch,
    false_pass_rate,
    finish_keeps_best,
    kendall_tau_b,
    match_steps,
    pairwise_accuracy,
    step_agreement,
)
from iwr.benchmark.validity.measure import gather_limited
from iwr.benchmark.validity.variants import make_variants
from iwr.benchmark.video_judge import perceive_source, source_of_task
from iwr.tools.ocr import OcrCache
from iwr.tools.perception.types import Perception

LEFT_OUT = ("game-2048", "todomvc")  # independent checks: never used to tune or measure this
JUDGE_PAGES = 2


@dataclass
class AppAgreement:
    """Everything measured on one app."""

    name: str
    pages: list[PagePair] = field(default_factory=list)
    steps: list[StepMatch] = field(default_factory=list)
    video_steps: int = 0
    annotated_steps: int = 0
    plan_seconds: float = 0.0


def video_spans(perception: Perception, trajectory: Trajectory) -> list[tuple[float, float]]:
    """Per video step, the recording's seconds between its before and after keyframes."""
    frames = {Path(k.path).name: k for k in perception.keyframes if k.path}
    spans = []
    for before, after in zip(trajectory.checkpoints, trajectory.checkpoints[1:], strict=False):
        a, b = frames.get(before.name) if before else None, frames.get(after.name) if after else None
        spans.append((a.end if a else 0.0, b.start if b else 0.0))
    return spans


def _kind(name: str, label: str) -> str:
    return "visual_only" if label == "visual_only" else name


async def measure(app: ValidityApp, judge: Judge, work: Path, mutants: int, seed: int, visual: bool) -> AppAgreement:
    started = time.perf_counter()
    perception = await asyncio.to_thread(perceive_source, source_of_task(app.task))  # read once: the task's files may be re-recorded meanwhile
    trajectory = await asyncio.to_thread(video_trajectory, perception, app.task.resolution, OcrCache(default_cache_dir()))
    report = AppAgreement(name=app.name, plan_seconds=time.perf_counter() - started)
    variants = make_variants(app.dir, app.defects, select_mutants(app.dir, mutants, seed), work / "pages")
    extra = await baseline_pages(app.task, work / "baselines")
    pages = [("reference", "reference", app.dir)] + [(v.name, _kind(v.kind, v.label), v.dir) for v in variants]
    pages += [(p.name, p.kind, p.dir) for p in extra]
    source = source_of_task(app.task)

    async def both(name: str, page: Path) -> tuple[JudgeResult, JudgeResult, float]:
        annotated = await judge.judge_task(app.task, page, work / "annotated" / name, visual=visual, probes=False)
        t = time.perf_counter()
        video = await judge.judge(page, trajectory, source.resolution, source.assets, work / "video" / name, source.task_id,
                                  visual=visual)
        return annotated, video, time.perf_counter() - t

    results = await gather_limited([both(name, page) for name, _, page in pages], JUDGE_PAGES)
    truth = load_truth(app.task)
    annotated_spans = [s.span for s in sorted(truth.steps, key=lambda s: s.index)] if truth is not None else []
    matches = match_steps(video_spans(perception, trajectory), annotated_spans)
    report.video_steps, report.annotated_steps = len(trajectory.actions), len(app.task.actions)
    for (name, kind, _), (ann, vid, seconds) in zip(pages, results, strict=True):
        defective = kind not in ("reference", "visual_only") and ann.scores.ifs < 1.0
        report.pages.append(PagePair(task=app.task.key, page=name, kind=kind, defective=defective,
                                     annotated_ifs=ann.scores.ifs, video_ifs=vid.scores.ifs,
                                     annotated_final=ann.scores.final, video_final=vid.scores.final, seconds=seconds))
        ann_passed = {s.index: s.passed for s in ann.steps}
        for s in vid.steps:
            k = matches.get(s.index)
            if k is not None and k in ann_passed:
                report.steps.append(StepMatch(task=app.task.key, page=name, video_step=s.index, annotated_step=k,
                                              video_passed=s.passed, annotated_passed=ann_passed[k]))
    return report


def _f(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def row(name: str, pages: list[PagePair], steps: list[StepMatch]) -> list[str]:
    refs = [p.video_ifs for p in pages if p.kind == "reference"]
    acc = pairwise_accuracy(pages)
    passed, defective = false_pass_rate(pages)
    picks = finish_keeps_best(pages)
    secs = [p.seconds for p in pages]
    return [
        name, str(len(pages)), _f(sum(refs) / len(refs) if refs else None),
        _f(kendall_tau_b(pages)), _f(kendall_tau_b(pages, final=True)),
        f"{_f(acc.accuracy)} ({acc.agreed}/{acc.pairs}, {acc.tied} tied)",
        f"{passed}/{defective}" + (f" = {passed / defective:.0%}" if defective else ""),
        _f(step_agreement(steps)) + f" ({len(steps)})", f"{_f(picks.rate)} ({picks.best_kept}/{picks.runs})",
        f"{sum(secs) / len(secs):.1f}" if secs else "-",
    ]


def print_table(reports: list[AppAgreement], console: Console) -> None:
    table = Table(title="Video-only judge vs annotated judge (within-task pairs)")
    for col in ("app", "pages", "ref video IFS", "tau IFS", "tau Final", "pairwise acc (>=0.2)",
                "false passes", "step agreement (n)", "finish keeps best (3 it.)", "s/page"):
        table.add_column(col)
    for r in reports:
        table.add_row(*row(r.name, r.pages, r.steps))
    table.add_row(*row("ALL", [p for r in reports for p in r.pages], [s for r in reports for s in r.steps]), end_section=True)
    console.print(table)
    detail = Table(title="Pages: annotated IFS / video-only IFS")
    for col in ("app", "page", "kind", "annotated IFS", "video IFS", "annotated Final", "video Final"):
        detail.add_column(col)
    for r in reports:
        for p in r.pages:
            detail.add_row(r.name, p.page, p.kind, _f(p.annotated_ifs), _f(p.video_ifs), _f(p.annotated_final), _f(p.video_final))
    console.print(detail)
    for r in reports:
        console.print(f"{r.name}: {r.video_steps} video steps for {r.annotated_steps} annotated actions; plan {r.plan_seconds:.0f} s")


def load_report(path: Path) -> AppAgreement:
    """An app's measurement as written by `run` (agreement.json)."""
    raw = json.loads(path.read_text())
    return AppAgreement(name=raw["name"], pages=[PagePair(**p) for p in raw["pages"]],
                        steps=[StepMatch(**s) for s in raw["steps"]], video_steps=raw["video_steps"],
                        annotated_steps=raw["annotated_steps"], plan_seconds=raw["plan_seconds"])


async def run(apps: list[ValidityApp], work: Path, mutants: int, seed: int, visual: bool) -> list[AppAgreement]:
    """Each app measured (one already measured in `work` is read back: a run resumes), an app
    whose measurement fails reported on stderr and left out, the others kept."""
    reports = []
    async with Judge(validity_judge_config(visual=visual, continue_after_failure=True)) as judge:
        for app in apps:
            done = work / app.name / "agreement.json"
            if done.is_file():
                reports.append(load_report(done))
                continue
            t = time.perf_counter()
            try:
                report = await measure(app, judge, work / app.name, mutants, seed, visual)
            except Exception as e:  # noqa: BLE001 - e.g. the task's files re-recorded under the run
                print(f"{app.name}: FAILED, left out: {e!r}", file=sys.stderr)
                continue
            reports.append(report)
            done.write_text(json.dumps(asdict(report), indent=1))
            print(f"{app.name}: {len(report.pages)} pages in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", default="", help="comma-separated app names (bundled or corpus)")
    parser.add_argument("--tasks", default="", help="comma-separated task ids (same as --apps for recorded apps)")
    parser.add_argument("--corpus", action="store_true", help="also the third-party corpus")
    parser.add_argument("--mutants", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-visual", dest="visual", action="store_false", help="IFS only (Final then = 0.7 IFS)")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=None, help="print the tables of a finished --work folder, no judging")
    args = parser.parse_args()
    if args.report is not None:
        reports = [load_report(f) for f in sorted(args.report.glob("*/agreement.json"))]
        print_table(reports, Console(width=200))
        return
    names = {n for n in (args.apps + "," + args.tasks).split(",") if n} or None
    apps = bundled_validity_apps(None) + (corpus_validity_apps(None) if args.corpus else [])
    apps = [a for a in apps if (names is None or a.name in names or a.task.key in names)
            and not any(bad in a.task.key for bad in LEFT_OUT)]
    if not apps:
        raise SystemExit("no apps to measure (check --apps / --tasks)")
    work = args.work or Path(tempfile.mkdtemp(prefix="iwr-agreement-"))
    started = time.perf_counter()
    reports = asyncio.run(run(apps, work, args.mutants, args.seed, args.visual))
    print_table(reports, Console(width=200))
    print(f"{len(apps)} apps in {time.perf_counter() - started:.0f} s; work files in {work}")


if __name__ == "__main__":
    main()
