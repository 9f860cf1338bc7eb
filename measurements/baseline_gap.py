"""Offline baselines on the bundled tasks: demo IFS, probe IFS and the generalization gap.

Runs `iwr run` (the same runner and judge as any agent) for the offline baselines and the
`reference` oracle, then prints one table per agent (IFS, probe IFS, gap = IFS - probe IFS,
VFS, Final per task, and the mean) and the wall time.

    python measurements/baseline_gap.py                       # all baselines + reference
    python measurements/baseline_gap.py --agent trajectory-replay --agent blank --task task-board
    python measurements/baseline_gap.py --summary RUNS/<run_id>/summary.json   # only print

`reference` is an ORACLE (the bundled app itself), shown as the upper bound.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

DEFAULT_AGENTS = ["reference", "trajectory-replay", "screenshot-slideshow", "static-layout", "blank"]


def _fmt(v: float | None) -> str:
    return "  n/a" if v is None else f"{v:5.3f}"


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.mean(vals) if vals else None


def final_rows(summary: dict) -> list[dict]:
    """The `final` row of every task x agent of a run summary."""
    return [r for r in summary.get("rows", []) if r.get("iteration") == "final"]


def rows_from_results(run_dir: Path) -> list[dict]:
    """The `final` rows of the tasks finished so far (each task's result.json), for a run
    that is still going or was stopped before writing summary.json."""
    rows: list[dict] = []
    for result in sorted(run_dir.rglob("result.json")):
        rows += [r for r in json.loads(result.read_text()).get("rows", []) if r.get("iteration") == "final"]
    return rows


def print_tables(rows: list[dict], agents: list[str]) -> None:
    """One table per agent: IFS, probe IFS, gap, VFS, Final per task and their means."""
    for agent in agents:
        mine = sorted((r for r in rows if r["agent"] == agent), key=lambda r: r["task_id"])
        if not mine:
            continue
        label = f"{agent}  (ORACLE: upper bound)" if agent == "reference" else agent
        print(f"\n{label}")
        print(f"  {'task':18s} {'IFS':>5s} {'probe':>5s} {'gap':>6s} {'VFS':>5s} {'Final':>5s}  status")
        for r in mine:
            gap = None if r.get("ifs") is None or r.get("probe_ifs") is None else r["ifs"] - r["probe_ifs"]
            gap_s = "   n/a" if gap is None else f"{gap:+6.3f}"
            print(f"  {r['task_id']:18s} {_fmt(r.get('ifs'))} {_fmt(r.get('probe_ifs'))} {gap_s} {_fmt(r.get('vfs'))} "
                  f"{_fmt(r.get('final'))}  {r.get('status', '')}{(': ' + r['error'][:60]) if r.get('error') else ''}")
        ok = [r for r in mine if r.get("status") == "ok"]
        ifs, probe = _mean([r.get("ifs") for r in ok]), _mean([r.get("probe_ifs") for r in ok])
        gap = None if ifs is None or probe is None else ifs - probe
        print(f"  {'mean (ok tasks)':18s} {_fmt(ifs)} {_fmt(probe)} {'   n/a' if gap is None else f'{gap:+6.3f}'} "
              f"{_fmt(_mean([r.get('vfs') for r in ok]))} {_fmt(_mean([r.get('final') for r in ok]))}  {len(ok)}/{len(mine)} ok")


def _stamp(line: dict) -> float:
    return datetime.fromisoformat(line["time"]).timestamp()


def time_breakdown(run_dir: Path) -> dict[str, dict[str, list[float]]]:
    """Per agent, seconds per task spent in perception, building the page, judging the demo
    trajectory and judging the held-out probes (the extra time probes add), from each task's
    log.jsonl and judge_final.json, and the task's wall time."""
    out: dict[str, dict[str, list[float]]] = {}
    for result in run_dir.rglob("result.json"):
        data = json.loads(result.read_text())
        folder = result.parent
        parts = out.setdefault(data["agent"], {"wall": [], "perceive": [], "build": [], "judge": [], "probes": []})
        if data.get("wall_s") is not None:
            parts["wall"].append(float(data["wall_s"]))
        log = [json.loads(x) for x in (folder / "log.jsonl").read_text().splitlines()] if (folder / "log.jsonl").is_file() else []
        stamps = {x.get("node") or x["event"]: _stamp(x) for x in log}
        judge = folder / "judge_final.json"
        if not ({"graph", "iteration"} <= set(stamps) and judge.is_file()):
            continue
        verdict = json.loads(judge.read_text())
        demo = verdict["timings"].get("total", 0.0)
        probes = sum(p["timings"].get("total", 0.0) for p in verdict.get("probes", []))
        perceived = stamps.get("match_assets", stamps["graph"])
        parts["perceive"].append(perceived - stamps["graph"])
        parts["build"].append(max(0.0, stamps["iteration"] - perceived - demo - probes))
        parts["judge"].append(demo)
        parts["probes"].append(probes)
    return out


def print_times(run_dir: Path) -> None:
    """Median seconds per task: wall, perception, page building, judging the demo, and the
    extra judging time of the probes."""
    keys = ("wall", "perceive", "build", "judge", "probes")
    print(f"  {'agent':22s} {'wall':>7s} {'perceive':>9s} {'build':>7s} {'judge':>7s} {'+probes':>8s}   (median s per task)")
    for agent, parts in sorted(time_breakdown(run_dir).items()):
        cells = [f"{statistics.median(v):7.1f}" if v else "    n/a" for v in (parts[k] for k in keys)]
        print(f"  {agent:22s} {cells[0]} {cells[1]:>9s} {cells[2]} {cells[3]} {cells[4]:>8s}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="bundled")
    ap.add_argument("--task", action="append", default=[], help="task id (repeatable); default all")
    ap.add_argument("--agent", action="append", default=[], help=f"agent (repeatable); default {' '.join(DEFAULT_AGENTS)}")
    ap.add_argument("--out", type=Path, default=Path("/tmp/iwr-baseline-gap"))
    ap.add_argument("--run-id", default=None)
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("--summary", type=Path, default=None,
                    help="only print: a summary.json, or a run folder (its finished tasks so far)")
    args = ap.parse_args()
    agents = args.agent or DEFAULT_AGENTS
    if args.summary is not None:
        if args.summary.is_dir():
            summary = {"rows": rows_from_results(args.summary)}
            summary["agents"] = sorted({r["agent"] for r in summary["rows"]})
        else:
            summary = json.loads(args.summary.read_text())
        present = summary.get("agents") or agents
        print_tables(final_rows(summary),
                     [a for a in DEFAULT_AGENTS if a in present] + [a for a in present if a not in DEFAULT_AGENTS])
        folder = args.summary if args.summary.is_dir() else args.summary.parent
        print()
        print_times(folder)
        return 0
    run_id = args.run_id or time.strftime("gap-%Y%m%d-%H%M%S")
    cmd = ["iwr", "run", "--tasks", args.tasks, "--out", str(args.out), "--run-id", run_id, "-j", str(args.jobs)]
    for a in agents:
        cmd += ["--agent", a]
    for t in args.task:
        cmd += ["--task", t]
    print("$", " ".join(cmd), flush=True)
    started = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - started
    summary_path = args.out / run_id / "summary.json"
    if not summary_path.is_file():
        print(f"no summary at {summary_path} (iwr run exited {proc.returncode})", file=sys.stderr)
        return 1
    summary = json.loads(summary_path.read_text())
    rows = final_rows(summary)
    print_tables(rows, agents)
    print(f"\nwall time of the whole run: {wall:.0f} s ({len({r['task_id'] for r in rows})} tasks x {len(agents)} agents, -j {args.jobs})")
    print_times(args.out / run_id)
    return 0 if proc.returncode == 0 else proc.returncode


if __name__ == "__main__":
    sys.exit(main())
