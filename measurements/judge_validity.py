"""The judge's validity on the bundled apps (and the third-party corpus), offline protocol.

    python measurements/judge_validity.py [--corpus] [--mutants N] [--seed S] [--apps a,b] [--json]
    python measurements/judge_validity.py --compare BEFORE_WORK AFTER_WORK   (same verdicts?)

Per app, every figure twice: `gt` judges the recorded task with ground_truth.json, `off`
an official-layout copy of it without that file (what IWR-Bench ships). Pages judged:
the reference (IFS, and probe IFS with gt), the planted defects of defects.yaml, N
mechanical JS mutants picked by the seed among the sites in code the demo runs (V8 block
coverage of the original's replay), and the blank and slideshow baselines. A
variant's truth is where a DOM probe (replay by selector at human pace) first sees its
visible text differ from the original's; the judge should fail exactly there (a
difference at load: at step 1), and keep IFS 1 when the text never differs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from iwr.agents.baselines import BlankCoder, SlideshowCoder
from iwr.benchmark.bundled import bundled_apps, bundled_tasks_jsonl
from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.demo import load_demo
from iwr.benchmark.judge.judge import Judge
from iwr.benchmark.task import Task
from iwr.benchmark.validity import (
    AppReport,
    ExtraPage,
    Outcome,
    PageReport,
    ValidityApp,
    load_defects,
    measure_app,
    validity_judge_config,
)
from iwr.benchmark.validity.saved_reports import compare_reports, load_reports, save_report
from iwr.tools.browser import launch_browser

PROTOCOLS = ("gt", "official")
SHORT = {"gt": "gt", "official": "off"}


def bundled_validity_apps(names: set[str] | None) -> list[ValidityApp]:
    tasks = {t.key: t for t in load_tasks(bundled_tasks_jsonl(progress=lambda line: print(line, file=sys.stderr)))}
    out = []
    for app in bundled_apps():
        if (names and app.name not in names) or app.task_id not in tasks:
            continue
        out.append(ValidityApp(name=app.name, spec=load_demo(app.demo_path), task=tasks[app.task_id],
                               defects=load_defects(app.dir / "defects.yaml")))
    return out


def corpus_validity_apps(names: set[str] | None) -> list[ValidityApp]:
    """The third-party corpus as ValidityApps (fetched and recorded by its loader)."""
    try:
        from iwr.benchmark.corpus import validity_apps  # type: ignore[attr-defined]
    except ImportError as e:
        raise SystemExit(f"--corpus: the corpus loader is not available ({e})") from None
    return [a for a in validity_apps() if not names or a.name in names]


async def baseline_pages(task: Task, dest: Path) -> list[ExtraPage]:
    """The blank and slideshow baselines' pages for a task (slideshow from the video's distinct frames)."""
    pages = []
    for name, coder in (("blank", BlankCoder()), ("slideshow", SlideshowCoder())):
        folder = dest / name
        folder.mkdir(parents=True, exist_ok=True)
        result = await coder.draft(task.inputs(), None, [], [], folder / "work")
        (folder / "index.html").write_text(result.html, encoding="utf-8")
        for rel, data in result.files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
        pages.append(ExtraPage(name=name, kind=name, dir=folder))  # type: ignore[arg-type]
    return pages


async def run(apps: list[ValidityApp], mutants: int, seed: int, work: Path,
              protocols: tuple[str, ...] = PROTOCOLS) -> list[AppReport]:
    reports = []
    async with Judge(validity_judge_config()) as judge, launch_browser() as browser:
        for app in apps:
            started = time.perf_counter()
            extra = await baseline_pages(app.task, work / app.name / "baselines")
            report = await measure_app(app, judge, browser, work / app.name, mutants=mutants, seed=seed, extra_pages=extra,
                                       protocols=protocols)  # type: ignore[arg-type]
            reports.append(report)
            save_report(report, work)
            print(f"{app.name}: {len(report.pages)} pages, probes {report.probe_seconds:.0f} s, "
                  f"judging {report.judge_seconds:.0f} s ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return reports


# ------------------------------------------------------------------------------- tables


def _count(pages: list[PageReport], proto: str, *outcomes: Outcome) -> int:
    return sum(1 for p in pages if proto in p.judged and p.judged[proto].outcome in outcomes)


def _caught(pages: list[PageReport], proto: str) -> str:
    """at step / early / late / missed (judge errors)."""
    counts = [_count(pages, proto, o) for o in (Outcome.AT_STEP, Outcome.EARLY, Outcome.LATE, Outcome.MISSED)]
    errors = _count(pages, proto, Outcome.JUDGE_ERROR)
    return "/".join(map(str, counts)) + (f" ({errors} err)" if errors else "")


def _ifs(pages: list[PageReport], proto: str) -> str:
    vals = [p.judged[proto].ifs for p in pages if proto in p.judged]
    if len(vals) > 2:
        return f"{sum(v == 1 for v in vals)}/{len(vals)} at 1, {min(vals):.2f}-{max(vals):.2f}"
    return "-" if not vals else " ".join(f"{v:.2f}" for v in vals)


def summary_rows(name: str, pages: list[PageReport], proto: str) -> list[str]:
    ref = [p for p in pages if p.kind == "reference"]
    functional = [p for p in pages if p.kind == "defect" and p.label != "visual_only"]
    visual = [p for p in pages if p.kind == "defect" and p.label == "visual_only"]
    live = [p for p in pages if p.kind == "mutant" and p.truth is not None]
    equivalent = [p for p in pages if p.kind == "mutant" and p.truth is None]
    probe = [p.judged[proto].probe_ifs for p in ref if proto in p.judged and p.judged[proto].probe_ifs is not None]
    vis = []
    for p in visual:
        j, r = p.judged.get(proto), ref[0].judged.get(proto) if ref else None
        if j is not None and r is not None:
            lower = j.vfs is not None and r.vfs is not None and j.vfs < r.vfs - 1e-3
            vis.append(f"{j.ifs:.2f}{'<' if lower else '!'}{'' if p.truth is None else f' (text differs at {p.truth})'}")
    secs = [j.seconds for p in pages if (j := p.judged.get(proto)) is not None]
    return [
        name, SHORT[proto], _ifs(ref, proto), " ".join(f"{v:.2f}" for v in probe) or "-",
        _caught(functional, proto), _caught(live, proto),
        f"{_count(equivalent, proto, Outcome.KEPT)}/{len(equivalent)}",
        " ".join(vis) or "-",
        _ifs([p for p in pages if p.kind == "blank"], proto), _ifs([p for p in pages if p.kind == "slideshow"], proto),
        f"{sum(secs) / len(secs):.1f}" if secs else "-",
    ]


def print_tables(reports: list[AppReport], console: Console) -> None:
    table = Table(title="Judge validity (offline protocol); caught = at step/early/late/missed", show_lines=False)
    for col in ("app", "proto", "ref IFS", "probe IFS", "defects caught", "mutants caught", "equiv kept",
                "visual-only IFS (< = VFS lower)", "blank", "slideshow", "s/page"):
        table.add_column(col)
    every = [p for r in reports for p in r.pages]
    protocols = [proto for proto in PROTOCOLS if any(proto in p.judged for p in every)]
    for proto in protocols:
        for r in reports:
            table.add_row(*summary_rows(r.name + ("" if r.deterministic else " (!nondet)"), r.pages, proto))
        table.add_row(*summary_rows("ALL", every, proto), end_section=True)
    console.print(table)

    ops = Table(title="Mechanical mutants by operator: at step/early/late/missed | equivalent kept/total | syntax errors")
    for col in ("operator", "proto", "caught", "equiv kept", "load/syntax errors"):
        ops.add_column(col)
    for proto in protocols:
        for op in sorted({p.label for p in every if p.kind == "mutant"}):
            ms = [p for p in every if p.kind == "mutant" and p.label == op]
            live = [p for p in ms if p.truth is not None]
            eq = [p for p in ms if p.truth is None]
            ops.add_row(op, SHORT[proto], _caught(live, proto), f"{_count(eq, proto, Outcome.KEPT)}/{len(eq)}",
                        f"{sum(bool(p.load_error) for p in ms)}/{sum(p.syntax_error for p in ms)}")
    console.print(ops)
    sites = ", ".join(f"{r.name} {r.mutant_sites_run}/{r.mutant_sites}" for r in reports if r.mutant_sites)
    if sites:
        console.print(f"mutants drawn from the sites the demo runs (run/all): {sites}")

    for r in reports:
        for p in r.pages:
            if p.kind == "defect" and p.label != "visual_only" and p.truth != p.declared:
                console.print(f"note: {r.name} {p.name} is declared to break at step {p.declared}, its DOM first differs at {p.truth}")
    wrong = Table(title="Variants not judged at their step (and visual-only defects that failed)")
    for col in ("app", "proto", "variant", "truth", "judged", "outcome", "judge's reason"):
        wrong.add_column(col, overflow="fold")
    for r in reports:
        for p in r.pages:
            for proto, j in p.judged.items():
                visual_only = p.label == "visual_only"  # must keep IFS 1 even where its text shifts
                misjudged = not visual_only and j.outcome not in (None, Outcome.AT_STEP, Outcome.KEPT)
                visual_failed = visual_only and j.step is not None
                if misjudged or visual_failed:
                    wrong.add_row(r.name, SHORT[proto], f"{p.name}: {p.description}", str(p.truth), str(j.step),
                                  "visual-only failed" if visual_failed else str(j.outcome), j.reason[:300])
    console.print(wrong)


def print_comparison(before: Path, after: Path) -> int:
    """Print what differs between two kept runs; 0 when every verdict is the same."""
    runs = [load_reports(d) for d in (before, after)]
    for d, reports in zip((before, after), runs, strict=True):
        if not reports:
            raise SystemExit(f"no <app>/report.json under {d}")
    return compare_reports(*runs).print_report(f"{len(runs[0])} apps before, {len(runs[1])} after")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", action="store_true", help="also the third-party corpus (benchmark/corpus)")
    ap.add_argument("--mutants", type=int, default=20, help="mechanical mutants per app (default 20)")
    ap.add_argument("--seed", type=int, default=0, help="picks the mutants (default 0)")
    ap.add_argument("--apps", default="", help="comma-separated app names (default: all)")
    ap.add_argument("--json", action="store_true", help="print the full reports as JSON instead of tables")
    ap.add_argument("--work", type=Path, default=None, help="keep pages and judgements here (default: a temp dir)")
    ap.add_argument("--protocols", default="gt,official", help="gt, official or both (default both)")
    ap.add_argument("--report", type=Path, action="append", default=None,
                    help="only print the tables of the reports saved in this --work dir (repeatable)")
    ap.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"), default=None,
                    help="compare two kept --work dirs verdict by verdict (exit 1 when they differ)")
    args = ap.parse_args()
    if args.report is not None:
        print_tables([r for d in args.report for r in load_reports(d)], Console(width=200))
        return
    if args.compare is not None:
        raise SystemExit(print_comparison(*args.compare))
    names = {n.strip() for n in args.apps.split(",") if n.strip()} or None
    apps = bundled_validity_apps(names) + (corpus_validity_apps(names) if args.corpus else [])
    if not apps:
        raise SystemExit("no app to measure")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="iwr-validity-") as tmp:
        protocols = tuple(p for p in PROTOCOLS if p in args.protocols.split(","))
        reports = asyncio.run(run(apps, args.mutants, args.seed, args.work or Path(tmp), protocols))
    if args.json:
        print(json.dumps([asdict(r) for r in reports], indent=1, default=str))
    else:
        print_tables(reports, Console(width=200))
        print(f"total {time.perf_counter() - started:.0f} s, {sum(len(r.pages) for r in reports)} pages x {len(protocols)} protocols")


if __name__ == "__main__":
    main()
