"""Judge speed on the bundled tasks (reference pages), printed as a table.

Per task: replay breakdown per step (grounding, acting, settle, screenshot; from a judgement
without visual scores, so no OCR competes with it), a bare
Playwright replay of the same steps by recorded selector (screenshots included), OCR and
image-metric time, the whole judgement's wall time against its candidate OCR alone
(target <= 1.3; candidate OCR = the images a score reads: state 0 and the visually flagged
steps), OCR seconds per image, and the reference's text self-similarity against its own
checkpoints (target >= 0.95). Also compares OCR pools of 1 and 2 threads.

    python measurements/judge_speed.py [--tasks bundled|DATA.jsonl] [--task ID ...] [--limit N] [--workers-check]

Reference checkpoints are OCR'd into a fresh cache first (as the judge does once per
task); the candidate screenshots are then OCR'd during the judgement, overlapped with the
replay (byte-identical images are served by the cache: they are never OCR'd twice).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.ground_truth import GroundTruth
from iwr.benchmark.judge.judge import Judge, JudgeConfig, demo_trajectory, load_truth, visual_steps
from iwr.benchmark.judge.types import JudgeResult
from iwr.benchmark.task import ActionType, Task
from iwr.benchmark.tasks_source import resolve_tasks_path
from iwr.tools.image_metrics import text_similarity
from iwr.tools.ocr import OcrCache, OcrPool, _run_ocr


async def bare_replay(task: Task, page_dir: Path, truth: GroundTruth, out: Path) -> float | None:
    """Seconds per step of a plain Playwright replay by the recorded selectors (with screenshots)."""
    from iwr.tools.browser import launch_browser
    from iwr.tools.sandbox import serve_site

    res = task.resolution
    selectors = {s.index: s.selector for s in truth.steps}
    out.mkdir(parents=True, exist_ok=True)
    with serve_site(page_dir, task.paths.assets) as site:
        async with launch_browser() as browser:
            page = await browser.new_page(viewport={"width": res.width, "height": res.height})
            await page.goto(site.url)
            await page.screenshot(path=str(out / "step_0.png"))
            start = time.perf_counter()
            for i, action in enumerate(task.actions, start=1):
                sel = selectors.get(i)
                if action.type == ActionType.CLICK and sel:
                    await page.click(sel)
                elif action.type == ActionType.TYPE:
                    if sel:
                        await page.click(sel)
                    await page.keyboard.type(action.text or "")
                elif action.type == ActionType.PRESS:
                    await page.keyboard.press(action.parameters.key or "Enter")
                elif action.type == ActionType.SCROLL:
                    if sel:
                        await page.hover(sel)
                    await page.mouse.wheel(0, res.height / 2)
                await page.screenshot(path=str(out / f"step_{i}.png"), animations="disabled", caret="hide")
            return (time.perf_counter() - start) / max(1, len(task.actions))


def ocr_alone(paths: list[Path]) -> float:
    """Seconds to OCR these images one after another, no cache."""
    start = time.perf_counter()
    for p in paths:
        _run_ocr(p.read_bytes())
    return time.perf_counter() - start


def step_means(result: JudgeResult) -> dict[str, float]:
    keys = ("ground", "act", "settle", "screenshot")
    out: dict[str, float] = {}
    for k in keys:
        vals = [s.timings.get(k, 0.0) for s in result.steps if s.performed]
        out[k] = statistics.mean(vals) if vals else 0.0
    return out


def self_similarity(result: JudgeResult, out_dir: Path, cache: OcrCache) -> float | None:
    from iwr.tools.ocr import ocr_text

    sims = []
    for s in result.steps:
        if s.performed and s.screenshot and s.checkpoint and s.visual is not None:
            a = ocr_text(out_dir / s.screenshot, cache).text
            b = ocr_text(Path(s.checkpoint), cache).text
            sims.append(text_similarity(a, b))
    return statistics.mean(sims) if sims else None


async def bench_task(task: Task, page_dir: Path, work: Path) -> dict[str, object]:
    truth = load_truth(task)
    cache_dir = work / "cache" / task.key
    cache = OcrCache(cache_dir)
    traj = demo_trajectory(task, truth)
    refs = [p for k, p in enumerate(traj.checkpoints) if p is not None and k in visual_steps(traj)]
    with OcrPool(cache) as pool:  # references once per task, cached
        for f in [pool.submit(p) for p in refs]:
            f.result()
    config = JudgeConfig(ocr_cache_dir=cache_dir, probes=False)
    async with Judge(config) as judge:
        # (a) the replay part alone: the same judgement without visual scores (no OCR competing)
        replay_only = await judge.judge(page_dir, traj, task.resolution, task.paths.assets,
                                        work / "replay-only" / task.key, task.key, visual=False)
        start = time.perf_counter()
        result = await judge.judge(page_dir, traj, task.resolution, task.paths.assets, work / "judge" / task.key, task.key)
        wall = time.perf_counter() - start
        assert judge.pool is not None
        pool_ocr = judge.pool.compute_seconds
        pool_images = judge.pool.computed
    # the candidate images a score reads (state 0 and the flagged steps of the prefix)
    shots = [work / "judge" / task.key / "step_0.png"] + [
        work / "judge" / task.key / s.screenshot for s in result.steps if s.screenshot and s.visual is not None]
    alone = ocr_alone(shots)
    bare = await bare_replay(task, page_dir, truth, work / "bare" / task.key) if truth is not None else None
    means = step_means(replay_only)
    # wall of the replay's steps (background screenshot comparison included) per step
    replay_step = replay_only.timings.get("replay_steps", 0.0) / max(1, len(replay_only.steps))
    img_metrics = sum(float(v.detail.get("image_metrics_seconds",
                                         0.0)) for v in [result.state0] + [s.visual for s in result.steps] if v is not None)
    return {
        "task": task.key, "steps": len(task.actions), "ifs": result.scores.ifs, **means,
        "replay_step": replay_step, "bare_step": bare,
        "wall": wall, "ocr_alone": alone, "ocr_per_image": alone / max(1, len(shots)), "ocr_images": len(shots),
        "pool_ocr": pool_ocr, "pool_images": pool_images, "image_metrics": img_metrics,
        "self_sim": self_similarity(result, work / "judge" / task.key, cache),
    }


def workers_check(images: list[Path]) -> dict[int, float]:
    """Wall seconds to OCR `images` (no cache) with pools of 1 and 2 threads."""
    out = {}
    for workers in (1, 2):
        with OcrPool(None, workers=workers) as pool:
            pool.warm_up().result()
            start = time.perf_counter()
            for f in [pool.submit(p) for p in images]:
                f.result()
            out[workers] = time.perf_counter() - start
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="bundled")
    ap.add_argument("--task", action="append", default=[])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--workers-check", action="store_true")
    args = ap.parse_args()
    from iwr.benchmark.references import reference_page_dir

    tasks = load_tasks(resolve_tasks_path(args.tasks))
    if args.task:
        tasks = [t for t in tasks if t.key in set(args.task)]
    if args.limit:
        tasks = tasks[: args.limit]
    console = Console(width=240)
    rows = []
    with tempfile.TemporaryDirectory(prefix="iwr-judge-speed-") as tmp:
        for t in tasks:
            console.print(f"[dim]judging {t.key}...[/dim]")
            rows.append(asyncio.run(bench_task(t, reference_page_dir(t.key), Path(tmp))))
        table = Table(title="judge speed (reference pages, offline protocol; seconds)")
        cols = ["task", "steps", "IFS", "ground", "act", "settle", "shot", "replay/step", "bare/step", "ratio",
                "OCR imgs", "OCR/img", "img metrics", "wall", "OCR alone", "wall/OCR", "self-sim"]
        for c in cols:
            table.add_column(c, justify="left" if c == "task" else "right")
        f = lambda v, d=3: "-" if v is None else f"{v:.{d}f}"  # noqa: E731
        for r in rows:
            ratio = r["replay_step"] / r["bare_step"] if r["bare_step"] else None
            table.add_row(str(r["task"]), str(r["steps"]), f(r["ifs"], 2), f(r["ground"]), f(r["act"]), f(r["settle"]),
                          f(r["screenshot"]), f(r["replay_step"]), f(r["bare_step"]), f(ratio, 2),
                          str(r["ocr_images"]), f(r["ocr_per_image"], 2),
                          f(r["image_metrics"], 2), f(r["wall"], 1), f(r["ocr_alone"], 1), f(r["wall"] / r["ocr_alone"], 2),
                          f(r["self_sim"]))
        console.print(table)
        replay = [r["replay_step"] * r["steps"] for r in rows if r["bare_step"]]
        bare = [r["bare_step"] * r["steps"] for r in rows if r["bare_step"]]
        ratios = [r["wall"] / r["ocr_alone"] for r in rows if r["ocr_alone"]]
        sims = [r["self_sim"] for r in rows if r["self_sim"] is not None]
        if bare:
            console.print(f"all tasks: replay/bare {sum(replay) / sum(bare):.2f} (per-task median "
                          f"{statistics.median(r['replay_step'] / r['bare_step'] for r in rows if r['bare_step']):.2f}); "
                          f"wall/OCR median {statistics.median(ratios):.2f}, max {max(ratios):.2f}; "
                          f"self-sim min {min(sims) if sims else float('nan'):.3f}")
        if args.workers_check and rows:
            imgs = sorted((Path(tmp) / "judge" / str(rows[0]["task"])).glob("step_*.png"))[:6]
            w = workers_check(imgs)
            console.print(f"OCR pool on {len(imgs)} images: 1 thread {w[1]:.1f} s, 2 threads {w[2]:.1f} s")


if __name__ == "__main__":
    main()
