"""The judge validated on the bundled tasks (offline protocol, real Chromium and OCR):

- every reference app scores IFS = 1 (and probe IFS = 1);
- planted defects end the prefix exactly at `breaks_at_step` (visual-only keeps IFS 1 and
  loses VFS);
- a blank page and pages showing only the recorded checkpoints (with and without hot spots
  that swap to the next image) score IFS <= 0.2.

One Judge (one browser) serves the whole module and judges a few pages at a time (each in
its own sandboxed context). Assertions use the reference DOM text the recorder stored, so
no OCR is needed except for the visual scores of the visual-only defects (and their
reference); OCR results are cached in `<repo>/.cache-test/ocr`.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import yaml
from verdicts import explain

from iwr.benchmark.bundled import bundled_apps
from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.ground_truth import GroundTruth
from iwr.benchmark.judge.judge import Judge, JudgeConfig
from iwr.benchmark.judge.types import JudgeResult, Status
from iwr.benchmark.references import reference_page_dir
from iwr.benchmark.task import Task

REPO = Path(__file__).resolve().parent.parent
OCR_CACHE = REPO / ".cache-test" / "ocr"
DEFECT_APPS = 3
T = TypeVar("T")
CONCURRENT_PAGES = 3  # pages judged at once: overlaps one page's waits with another's work


def _config(**kw: object) -> JudgeConfig:
    base: dict[str, object] = {"ocr_cache_dir": OCR_CACHE, "visual": False, "probes": False, "action_timeout": 10.0}
    base.update(kw)
    return JudgeConfig(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def judge(loop: asyncio.AbstractEventLoop) -> Iterator[Judge]:
    """The module's one Judge (one browser), offline protocol, visual scores off by default."""
    j = Judge(_config())
    loop.run_until_complete(j.__aenter__())
    yield j
    loop.run_until_complete(j.__aexit__(None, None, None))


async def gather_limited(jobs: list[Awaitable[T]], limit: int = CONCURRENT_PAGES) -> list[T]:
    """Await `jobs` with at most `limit` running at once; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[T]) -> T:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(j) for j in jobs)))


def judge_pages(loop: asyncio.AbstractEventLoop, judge: Judge, task: Task, pages: list[tuple[str, Path, bool]],
                out: Path) -> dict[str, JudgeResult]:
    """Judge several pages (name, folder, with visual scores) for one task's demo, concurrently."""
    jobs = [judge.judge_task(task, page, out / name, visual=visual, probes=False) for name, page, visual in pages]
    results = loop.run_until_complete(gather_limited(jobs))
    return {name: r for (name, _, _), r in zip(pages, results, strict=True)}


@pytest.fixture(scope="module")
def tasks(bundled_jsonl: Path) -> dict[str, Task]:
    return {t.key: t for t in load_tasks(bundled_jsonl)}


@pytest.mark.timeout(1800)
def test_every_reference_app_scores_ifs_1(loop: asyncio.AbstractEventLoop, judge: Judge, tasks: dict[str, Task],
                                          tmp_path: Path) -> None:
    jobs = [judge.judge_task(t, reference_page_dir(t.key), tmp_path / t.key, probes=True) for t in tasks.values()]
    results = loop.run_until_complete(gather_limited(jobs))
    assert len(results) == len(bundled_apps())
    for r in results:
        assert r.status == Status.OK, (r.task_id, r.error)
        for res in [r, *r.probes]:  # the symmetric DOM-text evidence was used
            for s in res.steps:
                if s.assertion is not None:
                    assert s.assertion.evidence.get("reference_text_source") == "dom", (r.task_id, s.index)
        assert r.scores.ifs == 1.0, (r.task_id, explain(r))
        for p in r.probes:
            assert p.scores.ifs == 1.0, (r.task_id, p.trajectory, explain(p))
        if r.probes:
            assert r.probe_ifs == 1.0


def _defect_apps() -> list[Path]:
    apps = [a.dir for a in bundled_apps() if (a.dir / "defects.yaml").is_file()]
    return apps[:DEFECT_APPS]


def _apply_defect(app_dir: Path, defect: dict, dest: Path) -> Path:
    shutil.copytree(app_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    target = dest / defect["file"]
    text = target.read_text(encoding="utf-8")
    assert text.count(defect["find"]) == 1, (app_dir.name, defect["name"])
    target.write_text(text.replace(defect["find"], defect["replace"]), encoding="utf-8")
    return dest


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("app_dir", _defect_apps(), ids=lambda p: p.name)
def test_planted_defects_break_at_their_step(loop: asyncio.AbstractEventLoop, judge: Judge, app_dir: Path,
                                            tasks: dict[str, Task], tmp_path: Path) -> None:
    task_id = str(yaml.safe_load((app_dir / "demo.yaml").read_text())["id"])
    task = tasks[task_id]
    defects = yaml.safe_load((app_dir / "defects.yaml").read_text())
    visual_only = any(d.get("breaks_at_step") is None for d in defects)
    # visual scores (OCR) only where they are compared: the visual-only defects and the reference
    pages = [("reference", app_dir, visual_only)] + [
        (d["name"], _apply_defect(app_dir, d, tmp_path / "pages" / d["name"]), d.get("breaks_at_step") is None)
        for d in defects
    ]
    results = judge_pages(loop, judge, task, pages, tmp_path / "out")
    ref = results["reference"]
    assert ref.scores.ifs == 1.0, explain(ref)
    for d in defects:
        r = results[d["name"]]
        if d.get("breaks_at_step") is None:
            assert r.scores.ifs == 1.0, (d["name"], explain(r))
            assert r.scores.vfs is not None and ref.scores.vfs is not None
            # the reference reproduces its own checkpoints: any visual defect scores lower
            assert r.scores.vfs < ref.scores.vfs - 1e-3, (d["name"], r.scores.vfs, ref.scores.vfs)
        else:
            assert r.success_steps == d["breaks_at_step"] - 1, (d["name"], explain(r))


def _checkpoint_page(task: Task, dest: Path, hot_spots: bool) -> Path:
    """A page that only shows the recorded checkpoints; optionally hot spots at the recorded
    targets (and any key) swap to the next image."""
    dest.mkdir(parents=True)
    n = len(task.actions)
    for k in range(n + 1):
        src = task.paths.checkpoint(k)
        if src.is_file():
            shutil.copy(src, dest / f"s{k}.png")
    spots = ""
    if hot_spots:
        truth = GroundTruth.load(task.paths.ground_truth)
        for st in truth.steps:
            if st.target_box is not None:
                b = st.target_box
                spots += (f'<div class="spot" data-step="{st.index}" style="left:{b.x}px;top:{b.y}px;'
                          f'width:{b.width}px;height:{b.height}px"></div>')
    script = """
let k = 0;
function next() { const img = document.getElementById('shot'); const n = k + 1;
  const probe = new Image(); probe.onload = () => { k = n; img.src = 's' + n + '.png'; }; probe.src = 's' + n + '.png'; }
document.querySelectorAll('.spot').forEach(s => s.addEventListener('click', next));
document.addEventListener('keydown', next);
""" if hot_spots else ""
    (dest / "index.html").write_text(f"""<!DOCTYPE html><html><head><style>
body {{ margin: 0; }} #shot {{ position: absolute; left: 0; top: 0; }}
.spot {{ position: absolute; cursor: pointer; }}
</style></head><body><img id="shot" src="s0.png">{spots}<script>{script}</script></body></html>""")
    return dest


@pytest.mark.timeout(1200)
def test_blank_and_screenshot_only_pages_score_low(loop: asyncio.AbstractEventLoop, judge: Judge,
                                                   tasks: dict[str, Task], tmp_path: Path) -> None:
    chosen = [t for t in tasks.values() if t.paths.ground_truth.is_file()][:1]
    assert chosen
    for task in chosen:
        blank = tmp_path / task.key / "blank"
        blank.mkdir(parents=True)
        (blank / "index.html").write_text("<!DOCTYPE html><html><body></body></html>")
        pages = [
            ("blank", blank, False),
            ("images", _checkpoint_page(task, tmp_path / task.key / "images", hot_spots=False), False),
            ("hotspots", _checkpoint_page(task, tmp_path / task.key / "hotspots", hot_spots=True), False),
        ]
        results = judge_pages(loop, judge, task, pages, tmp_path / task.key / "out")
        for name, r in results.items():
            assert r.status == Status.OK, (name, r.error)
            assert r.scores.ifs <= 0.2, (task.key, name, r.scores.ifs, explain(r))
