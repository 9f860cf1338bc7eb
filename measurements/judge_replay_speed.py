"""Replay speed of the judge vs a bare Playwright replay by selector, on the bundled tasks.

    python measurements/judge_replay_speed.py [--apps shop-cart,calc-pad] [--no-hints] [--repeat 2]

For each bundled task: the judge's replay (`replay_page` with the DOM grounder, in the
sandbox: grounding, acting, settling, screenshot + visible text per step) and a bare replay
of the same steps by the recorded selectors (click/type/press/wheel + PNG screenshot, no
grounding, no settle) in a plain context of the same browser. Prints per-step milliseconds
(ground, act, settle, screenshot, replay total) against the bare replay, the ratio, and how
many steps the judge performed (validity: the reference page must perform every step).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from iwr.benchmark.bundled import bundled_tasks_jsonl
from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.ground_truth import GroundTruth
from iwr.benchmark.judge.grounding import DomGrounder
from iwr.benchmark.judge.replay import key_of, replay_page
from iwr.benchmark.judge.types import Trajectory
from iwr.benchmark.references import reference_page_dir
from iwr.benchmark.task import ActionType, Task
from iwr.tools.sandbox import BrowserHandle, Sandbox


def trajectory_of(task: Task, hints: bool) -> tuple[Trajectory, GroundTruth | None]:
    gt = GroundTruth.load(task.paths.ground_truth) if task.paths.ground_truth.is_file() else None
    n = len(task.actions)
    pointers = [s.pointer for s in gt.steps] if (gt and hints) else []
    return Trajectory(actions=task.actions, checkpoints=[task.paths.checkpoint(k) for k in range(n + 1)],
                      pointer_hints=pointers), gt


def target_hits(trace: Any, task: Task, gt: GroundTruth | None) -> tuple[int, int]:
    """(hits, aimed): Click/Type steps whose grounded point lies in the recorded target box
    (a target the replay had to scroll into view may sit elsewhere than when recorded)."""
    if gt is None:
        return 0, 0
    hit = aimed = 0
    for step, truth, action in zip(trace.steps, gt.steps, task.actions, strict=False):  # a replay that stopped has fewer steps
        if action.type not in (ActionType.CLICK, ActionType.TYPE) or truth.target_box is None or not step.grounding.found:
            continue
        aimed += 1
        p = step.grounding.point
        hit += bool(p is not None and truth.target_box.contains(p))
    return hit, aimed


async def bare_replay(handle: BrowserHandle, url: str, task: Task, gt: GroundTruth, out: Path) -> list[float]:
    """Seconds per step of a selector replay with a PNG screenshot after each step."""
    res = task.resolution
    ctx = await handle.browser.new_context(viewport={"width": res.width, "height": res.height}, device_scale_factor=1)
    page = await ctx.new_page()
    await page.goto(url, wait_until="load")
    await page.screenshot(type="png")
    per: list[float] = []
    for k, (action, truth) in enumerate(zip(task.actions, gt.steps, strict=False), start=1):  # as the judge: extra steps ignored
        t = time.perf_counter()
        loc = page.locator(truth.selector) if truth.selector else None
        if action.type == ActionType.CLICK and loc is not None:
            await loc.click()
        elif action.type == ActionType.TYPE and loc is not None:
            await loc.click()
            await page.keyboard.type(action.text or "")
        elif action.type == ActionType.PRESS:
            await page.keyboard.press(key_of(action) or "Enter")
        elif action.type == ActionType.SCROLL:
            if truth.pointer:
                await page.mouse.move(truth.pointer.x, truth.pointer.y)
            await page.mouse.wheel(0, res.height / 2)
        (out / f"bare_{k}.png").write_bytes(await page.screenshot(type="png"))
        per.append(time.perf_counter() - t)
    await ctx.close()
    return per


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=Path, default=None, help="a data.jsonl of bundled tasks (default: record/cache them)")
    ap.add_argument("--apps", default="", help="comma-separated task ids (default: all bundled)")
    ap.add_argument("--no-hints", action="store_true", help="ground on descriptions only (no pointer hints)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per task; the last is reported (first warms up)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/iwr-judge-replay-speed"))
    args = ap.parse_args()
    tasks = load_tasks(args.tasks or bundled_tasks_jsonl())
    if args.apps:
        wanted = set(args.apps.split(","))
        tasks = [t for t in tasks if t.key in wanted]
    return asyncio.run(run(tasks, args))


async def run(tasks: list[Task], args: argparse.Namespace) -> int:
    rows = []
    all_judge: list[float] = []
    all_bare: list[float] = []
    all_hits = [0, 0]
    async with BrowserHandle() as handle, Sandbox(handle) as sb:
        for task in tasks:
            traj, gt = trajectory_of(task, hints=not args.no_hints)
            site = sb.site(reference_page_dir(task.key))
            out = args.out / task.key
            for _ in range(max(1, args.repeat)):
                trace = await replay_page(handle, site, traj, task.resolution, out, DomGrounder(), continue_after_failure=True)
                bare = await bare_replay(handle, site.url, task, gt, out) if gt else []
            steps = trace.steps
            parts = {p: statistics.mean(s.timings.get(p,
                                                      0.0) for s in steps) * 1000 for p in ("ground", "act", "settle", "screenshot")}
            # wall of the judge's steps (background screenshot comparison included) per step
            judge_step = trace.timings.get("steps", 0.0) / max(1, len(steps)) * 1000
            bare_step = statistics.mean(bare) * 1000 if bare else float("nan")
            all_judge += [trace.timings.get("steps", 0.0) / max(1, len(steps))] * len(steps)
            all_bare += bare
            performed = sum(s.performed for s in steps)
            hit, aimed = target_hits(trace, task, gt)
            all_hits[0] += hit
            all_hits[1] += aimed
            failed = [f"{s.index}:{s.error}" for s in steps if not s.performed]
            rows.append((task.key, len(task.actions), performed, parts, judge_step, bare_step, failed, f"{hit}/{aimed}"))
    print(f"{'task':16} {'steps':>5} {'done':>4} {'on-target':>9} {'ground':>7} {'act':>6} {'settle':>7} {'shot+txt':>8} "
          f"{'judge':>7} {'bare':>6} {'ratio':>6}")
    for key, n, done, p, j, b, failed, hits in rows:
        print(f"{key:16} {n:5d} {done:4d} {hits:>9} {p['ground']:7.1f} {p['act']:6.1f} {p['settle']:7.1f} {p['screenshot']:8.1f} "
              f"{j:7.1f} {b:6.1f} {j / b:6.2f}")
        for f in failed:
            print(f"{'':16}   not performed: {f}")
    if all_judge and all_bare:
        j, b = statistics.mean(all_judge) * 1000, statistics.mean(all_bare) * 1000
        print(f"{'ALL':16} {len(all_judge):5d} {'':4} {f'{all_hits[0]}/{all_hits[1]}':>9} {'':7} {'':6} {'':7} {'':8} {j:7.1f} {b:6.1f} {j / b:6.2f}")
        print("ms per step; acceptance: judge/bare ratio <= 2. on-target: grounded point inside the recorded target box (Click/Type)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
