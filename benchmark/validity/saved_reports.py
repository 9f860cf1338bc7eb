"""Validity reports kept in a run's --work folder (`<work>/<app>/report.json`): saved, read
back, and two runs compared page by page: is every verdict the same?

    save_report(report, work); before = load_reports(Path("runA")); after = load_reports(Path("runB"))
    diff = compare_reports(before, after)
    print(diff.summary()); for line in diff.differences: print(line)

What a refactor must leave alone: per app the mutation sites and determinism, per page
what it is and where its DOM first differs, and per protocol the IFS, the first failed
step, the outcome, the reason and the probe IFS. Scores are compared to a tolerance (two runs
of the same code differ in VFS's last digits); timings and the page's folder are not compared.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ...core.saved_diff import SavedDiff, compare_saved
from .measure import AppReport, Judged, PageReport
from .outcome import Outcome

VFS_TOLERANCE = 1e-4  # two runs of the same code on the same pages differ by up to ~1e-5 (tables show 2 decimals)
UNCOMPARED = frozenset({"seconds", "description", "probe_seconds", "judge_seconds"})  # timings, paths


def save_report(report: AppReport, work: Path) -> Path:
    """Write `report` where load_reports finds it; returns the file."""
    path = work / report.name / "report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_plain(report), indent=1))
    return path


def load_report(path: Path) -> AppReport:
    """An AppReport saved by a run (`<work>/<app>/report.json`)."""
    data = json.loads(path.read_text())
    pages = []
    for p in data.pop("pages"):
        judged = {k: Judged(**{**j, "outcome": Outcome(j["outcome"]) if j["outcome"] else None})
                  for k, j in p.pop("judged").items()}
        pages.append(PageReport(**p, judged=judged))
    return AppReport(pages=pages, **data)


def load_reports(work: Path) -> list[AppReport]:
    """Every app report a run kept in its --work folder, by app name."""
    return [load_report(p) for p in sorted(work.glob("*/report.json"))]


def compare_reports(before: Sequence[AppReport], after: Sequence[AppReport],
                    vfs_tolerance: float = VFS_TOLERANCE) -> SavedDiff:
    """Every app, page and verdict of `before` against `after` (see the module docstring)."""
    return compare_saved(_keyed(before), _keyed(after), ignore=UNCOMPARED, tolerance=vfs_tolerance)


def _keyed(reports: Sequence[AppReport]) -> dict[str, Any]:
    """Reports as plain values, apps and pages keyed by name (their order is not compared)."""
    out: dict[str, Any] = {}
    for report in reports:
        app = _plain(report)
        app["pages"] = {page["name"]: page for page in app["pages"]}
        out[report.name] = app
    return out


def _plain(report: AppReport) -> dict[str, Any]:
    """The report as JSON values (enums as their values), as saved and as compared."""
    plain: dict[str, Any] = json.loads(json.dumps(asdict(report), default=str))
    return plain
