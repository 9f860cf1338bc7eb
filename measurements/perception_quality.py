"""Perception quality on named data sets: the figures of `iwr perceive --score`, one row per set.

Sets (each a data.jsonl with our recorder's ground_truth.json per task):
  bundled-composed  the bundled apps, composed video (recorded into the cache if needed)
  bundled-screen    the bundled apps filmed by screen capture (`--bundled-screen PATH`)
  corpus-composed   the third-party corpus apps, composed video (recorded if needed)
  corpus-screen     the corpus apps filmed by screen capture (`--corpus-screen PATH`)
A set given as a path may be a data.jsonl or a folder holding one; the composed sets can be
given as paths too (then nothing is recorded). Sets that are not there are listed as missing.
Usage:
    python measurements/perception_quality.py [--bundled-screen /tmp/sc/allb] [--corpus-screen P]
        [--only bundled-screen,corpus-screen] [--no-record] [--out DIR] [--json]
    python measurements/perception_quality.py --compare BEFORE_OUT AFTER_OUT   (same perception?)
The figures (and every task's counts) are also written to OUT/figures.json; --compare reads
two such --out folders and compares the figures and every task's perception.json, leaving out
timings and file paths (exit 1 when anything differs).
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

import structlog

from iwr.benchmark.dataset import load_tasks, tasks_file
from iwr.benchmark.perception_score import score_tasks
from iwr.core.errors import IwrError
from iwr.core.saved_diff import compare_saved
from iwr.tools.perception import PerceiveOptions

SETS = ("bundled-composed", "bundled-screen", "corpus-composed", "corpus-screen")
SPEED = frozenset({"seconds_per_video_second", "cpu_seconds_per_video_second", "seconds", "cpu_seconds"})
UNCOMPARED = SPEED | {"timings", "path", "sheet"}  # perception.json's timings and file paths
FIGURES = {"event_recall": "recall", "event_precision": "precision", "click_error_px_median": "click px",
           "kind_accuracy": "kind", "typed_text_accuracy": "typed", "asset_precision": "asset P",
           "asset_recall": "asset R", "seconds_per_video_second": "s/video s"}


def _recorded(name: str) -> Callable[[], Path]:
    def record() -> Path:
        if name == "bundled-composed":
            from iwr.benchmark.bundled import bundled_tasks_jsonl
            return bundled_tasks_jsonl()
        from iwr.benchmark.corpus.record import corpus_tasks_jsonl
        return corpus_tasks_jsonl()
    return record


def _locate(name: str, given: str | None, record: bool) -> tuple[Path | None, str]:
    """The set's data.jsonl, or None and why it is missing."""
    if given:
        try:
            return tasks_file(given), ""
        except IwrError as e:
            return None, str(e)
    if name.endswith("-screen"):
        return None, f"no path given (--{name} DATA.jsonl)"
    if not record:
        return None, "not recorded here (--no-record)"
    try:
        return _recorded(name)(), ""
    except IwrError as e:
        return None, f"could not be recorded: {e}"


def _saved(out_root: Path) -> tuple[object, dict[str, object]]:
    """An --out folder's figures.json and every task's perception.json (by set/task)."""
    figures = out_root / "figures.json"
    if not figures.is_file():
        raise SystemExit(f"{figures} not found (an --out folder of this script)")
    perceptions = {str(p.parent.relative_to(out_root)): json.loads(p.read_text())
                   for p in sorted(out_root.glob("*/*/perception.json"))}
    return json.loads(figures.read_text()), perceptions


def print_comparison(before: Path, after: Path) -> int:
    """Print what differs between two --out folders; 0 when figures and perceptions are the same."""
    (fig_a, per_a), (fig_b, per_b) = _saved(before), _saved(after)
    diff = compare_saved({"figures": fig_a, "perception": per_a}, {"figures": fig_b, "perception": per_b}, ignore=UNCOMPARED)
    return diff.print_report(f"{len(per_a)} perceptions before, {len(per_b)} after")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in SETS:
        ap.add_argument(f"--{name}", metavar="PATH", help=f"data.jsonl (or its folder) of the {name} set")
    ap.add_argument("--only", help="comma-separated set names to measure (default: all)")
    ap.add_argument("--no-record", action="store_true", help="never record the composed sets; missing ones are skipped")
    ap.add_argument("--out", type=Path, help="where perception outputs go (default: a temporary folder)")
    ap.add_argument("--json", action="store_true", help="print one JSON object: set -> figures")
    ap.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE_OUT", "AFTER_OUT"), default=None,
                    help="compare two --out folders: figures and every perception.json (exit 1 when they differ)")
    args = ap.parse_args()
    if args.compare is not None:
        raise SystemExit(print_comparison(*args.compare))
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    names = [n.strip() for n in args.only.split(",")] if args.only else list(SETS)
    unknown = [n for n in names if n not in SETS]
    if unknown:
        ap.error(f"unknown set(s) {', '.join(unknown)}; the sets are {', '.join(SETS)}")
    out_root = args.out or Path(tempfile.mkdtemp(prefix="iwr-perception-quality-"))
    results: dict[str, dict[str, float | None]] = {}
    per_task: dict[str, dict[str, object]] = {}
    missing: dict[str, str] = {}
    for name in names:
        path, why = _locate(name, getattr(args, name.replace("-", "_")), not args.no_record)
        if path is None:
            missing[name] = why
            continue
        report = score_tasks(load_tasks(path), out_root / name, PerceiveOptions())
        results[name] = {k: report.overall.get(k) for k in FIGURES}
        per_task[name] = {t.task_id: t.model_dump() for t in report.tasks}
        failed = [t.task_id for t in report.tasks if t.error]
        if failed:
            missing[f"{name} tasks"] = f"not scored: {', '.join(failed)}"
    (out_root / "figures.json").write_text(json.dumps({"sets": results, "missing": missing, "tasks": per_task}, indent=1))
    if args.json:
        print(json.dumps({"sets": results, "missing": missing}))
        return
    print(f"{'set':<17}" + "".join(f"{label:>10}" for label in FIGURES.values()))
    for name, figs in results.items():
        print(f"{name:<17}" + "".join(f"{'-' if v is None else f'{v:.3g}':>10}" for v in figs.values()))
    for name, why in missing.items():
        print(f"missing {name}: {why}")
    print(f"perception outputs in {out_root}")


if __name__ == "__main__":
    main()
