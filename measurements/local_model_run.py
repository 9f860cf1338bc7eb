"""Single-shot vs iterative (2 repairs) with the local model (scripts/local-model.sh) on bundled tasks.

Runs `iwr run` (the same runner, judge and report as any run) on every bundled task, or as many
as fit in `--minutes` (default 60: task by task, every agent on a task; no cell starts that would
end past the cap, by the mean time of the cells done), then prints per task and agent
IFS / VFS / Final per iteration, and per cell the tokens, seconds, parse failures (answers
with no usable code or JSON), answers cut off by the length limit (and of those the ones that
ended in a loop, which was dropped) and the edits applied and failed; then the mean per agent and iteration. Written to
`RUNS/<run_id>/local_model_table.md` too.

    scripts/local-model.sh start        # prints --model / --api-base
    python measurements/local_model_run.py [--task calc-pad ...] [--max-iters 2] [--out runs-local]
    python measurements/local_model_run.py --run RUNS/<run_id>     # only print an existing run
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from iwr.core.cache_files import cache_dir
from iwr.tools.llm.parsing import loop_start

CACHE = cache_dir() / "local-model"
DEFAULT_MODEL = "openai/qwen2.5-coder-0.5b"


def default_api_base() -> str:
    """The running local server's endpoint (its port file), else the script's default port."""
    port_file = CACHE / "server.port"
    port = port_file.read_text().strip() if port_file.is_file() else "8731"
    return f"http://127.0.0.1:{port}/v1"


@dataclass
class Cell:
    """What one task x agent cell did."""

    task: str
    agent: str
    status: str
    scores: dict[int, tuple[float | None, float | None, float | None]] = field(default_factory=dict)  # iter -> IFS, VFS, Final
    final: tuple[float | None, float | None, float | None] = (None, None, None)
    tokens: int = 0
    seconds: float = 0.0
    calls: int = 0
    parse_failures: int = 0
    continued: int = 0
    loops_cut: int = 0
    edits_applied: int = 0
    edits_failed: int = 0
    stop: str = ""


def _graph_state(task_dir: Path) -> dict[str, Any]:
    """The final LangGraph state of a cell (pages with their edits, errors), {} when unreadable."""
    db = task_dir / "checkpoint.sqlite"
    if not db.is_file():
        return {}
    from langgraph.checkpoint.sqlite import SqliteSaver

    from iwr.graphs import build_graph, state_serializer

    with sqlite3.connect(db, check_same_thread=False) as conn:
        graph = build_graph().compile(checkpointer=SqliteSaver(conn, serde=state_serializer()))
        snapshot = graph.get_state({"configurable": {"thread_id": task_dir.name}})
    return dict(snapshot.values or {})


def _transcript(task_dir: Path) -> list[dict[str, Any]]:
    path = task_dir / "transcript.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


def read_cell(run_dir: Path, outcome: dict[str, Any]) -> Cell:
    """One cell from its result.json, graph state and transcript."""
    task_dir = run_dir / outcome["folder"]
    cell = Cell(task=outcome["task_id"], agent=outcome["agent"], status=outcome["status"],
                tokens=outcome.get("prompt_tokens", 0) + outcome.get("completion_tokens", 0),
                seconds=outcome.get("wall_s", 0.0), calls=outcome.get("model_calls", 0),
                stop=outcome.get("stop_reason") or outcome.get("error_kind") or "")
    for row in outcome.get("rows", []):
        triple = (row.get("ifs"), row.get("vfs"), row.get("final"))
        if row["iteration"] == "final":
            cell.final = triple
        else:
            cell.scores[int(row["iteration"])] = triple
    state = _graph_state(task_dir)
    pages = state.get("pages") or []
    cell.edits_applied = sum(getattr(p, "edits_applied", 0) for p in pages)
    cell.edits_failed = sum(getattr(p, "edits_failed", 0) for p in pages)
    errors = [str(e) for e in state.get("errors") or []]
    cell.parse_failures = sum("unparseable" in e for e in errors) + (outcome.get("error_kind") == "unparseable")
    cut_off = [r["response"] for r in _transcript(task_dir)
               if (r.get("response") or {}).get("finish_reason") in ("length", "loop")]  # 'loop': stopped while streaming
    cell.continued = len(cut_off)
    cell.loops_cut = sum(1 for r in cut_off if loop_start(str(r.get("text", ""))) is not None)
    return cell


def _f(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.mean(vals) if vals else None


def table(cells: list[Cell]) -> str:
    """Markdown: one line per cell x iteration, then the means per agent x iteration."""
    out = ["| task | agent | iteration | IFS | VFS | Final | tokens | seconds | calls | parse failures | cut off | in a loop "
           "| edits ok/failed | stop |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in sorted(cells, key=lambda c: (c.task, c.agent)):
        its = sorted(c.scores) or [-1]
        for k, it in enumerate(its):
            ifs, vfs, fin = c.scores.get(it, (None, None, None))
            extra = [str(c.tokens), f"{c.seconds:.0f}", str(c.calls), str(c.parse_failures), str(c.continued), str(c.loops_cut),
                     f"{c.edits_applied}/{c.edits_failed}", c.stop or c.status] if k == 0 else [""] * 8
            out.append(f"| {c.task} | {c.agent} | {it if it >= 0 else '-'} | {_f(ifs)} | {_f(vfs)} | {_f(fin)} | " + " | ".join(extra) + " |")
        out.append(f"| {c.task} | {c.agent} | final | {_f(c.final[0])} | {_f(c.final[1])} | {_f(c.final[2])} |" + " |" * 8)
    out += ["",
            "| agent | iteration | tasks | mean IFS | mean VFS | mean Final | mean tokens | mean seconds | parse failures | edits ok/failed |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for agent in sorted({c.agent for c in cells}):
        mine = [c for c in cells if c.agent == agent]
        iterations: list[int | str] = [*sorted({i for c in mine for i in c.scores}), "final"]
        for it in iterations:
            rows = [c.final if it == "final" else c.scores.get(int(it), (None, None, None)) for c in mine]
            stats = [str(len(mine)), *(_f(_mean([r[j] for r in rows])) for j in range(3))]
            tail = [f"{statistics.mean(c.tokens for c in mine):.0f}", f"{statistics.mean(c.seconds for c in mine):.0f}",
                    str(sum(c.parse_failures for c in mine)),
                    f"{sum(c.edits_applied for c in mine)}/{sum(c.edits_failed for c in mine)}"] if it == "final" else [""] * 4
            out.append(f"| {agent} | {it} | " + " | ".join(stats + tail) + " |")
    return "\n".join(out)


def read_run(run_dir: Path) -> list[Cell]:
    """Every finished cell of a run folder."""
    return [read_cell(run_dir, json.loads(p.read_text())) for p in sorted(run_dir.rglob("result.json"))]


def _left_out(run_dir: Path) -> str:
    """A line naming the cells the run's time or token budget did not start, if any."""
    path = run_dir / "summary.json"
    summary = json.loads(path.read_text()) if path.is_file() else {}
    left = summary.get("not_started") or []
    why = summary.get("stopped_by_budget") or ""
    return f"\n\nnot started ({why}): {', '.join(left)}" if left else ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--api-base", default=None, help="default: the running local server")
    ap.add_argument("--task", action="append", default=[], help="bundled task id (repeatable; default all)")
    ap.add_argument("--max-iters", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("runs-local"))
    ap.add_argument("--run-id", default=None)
    ap.add_argument("--agent", action="append", default=[], help="default: single-shot and iterative")
    ap.add_argument("--run", type=Path, action="append", default=[],
                    help="only print the table of these run folders (repeatable)")
    ap.add_argument("--llm-timeout", type=float, default=1800.0, help="seconds per model call (one thread is slow)")
    ap.add_argument("--max-output-tokens", type=int, default=4096, help="per model call (IWR_LLM_MAX_TOKENS): a small "
                    "model that repeats itself would otherwise run on to the end of the context")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="cells in parallel (judging overlaps generation)")
    ap.add_argument("--minutes", type=float, default=60.0, help="wall-clock cap (iwr run --max-minutes); 0: none")
    args = ap.parse_args()
    run_dirs: list[Path] = list(args.run)
    if not run_dirs:
        run_id = args.run_id or "local-" + datetime.now().strftime("%Y%m%d-%H%M%S")
        agents = [x for a in (args.agent or ["single-shot", "iterative"]) for x in ("--agent", a)]
        cmd = [sys.executable, "-m", "iwr.cli", "run", "--tasks", "bundled", *agents, "--model", args.model,
               "--api-base", args.api_base or default_api_base(), "--api-key", "local",
               "--max-iters", str(args.max_iters), "--llm-timeout", str(args.llm_timeout), "--llm-retries", "1", "-j",
               str(args.jobs), *(["--max-minutes", str(args.minutes)] if args.minutes else []),
               "--out", str(args.out), "--run-id", run_id] + (["--resume"] if (args.out / run_id).exists() else [])
        for t in args.task:
            cmd += ["--task", t]
        print("$", " ".join(cmd), flush=True)
        started = time.monotonic()
        code = subprocess.call(cmd, env={**os.environ, "IWR_LLM_MAX_TOKENS": str(args.max_output_tokens)})
        print(f"iwr run exited {code} after {time.monotonic() - started:.0f} s", flush=True)
        run_dirs = [args.out / run_id]
    text = table([c for d in run_dirs for c in read_run(d)]) + "".join(_left_out(d) for d in run_dirs)
    (run_dirs[0] / "local_model_table.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
