"""Time the perception step: a synthetic 1280x720 recording (always) and the bundled tasks.

Prints wall and CPU seconds per video second and per stage. Usage:
    python benchmarks/perception_speed.py [--bundled] [--seconds 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from iwr.tools.perception import PerceiveOptions, perceive
from iwr.tools.perception.synthetic import SyntheticOptions, make_synthetic_recording


def _time(video: Path, assets: Path | None, out: Path, workers: int = 2) -> tuple[float, float, dict[str, float], float]:
    wall, cpu = time.perf_counter(), time.process_time()
    p = perceive(video, assets, out, PerceiveOptions(workers=workers))
    return time.perf_counter() - wall, time.process_time() - cpu, p.timings.model_dump(), p.video.duration


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bundled", action="store_true", help="also time every bundled task (records them if needed)")
    ap.add_argument("--tail", type=float, default=12.0, help="still seconds appended to the synthetic video")
    ap.add_argument("--workers", type=int, default=2, help="asset-matching threads (the target is set for 2 cores)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="iwr-perception-speed-") as tmp:
        truth = make_synthetic_recording(Path(tmp) / "syn", SyntheticOptions(tail=args.tail))
        wall, cpu, stages, duration = _time(Path(truth.video), Path(truth.assets_dir), Path(tmp) / "out", args.workers)
        print(f"synthetic 1280x720 {duration:.1f} s: wall {wall:.2f} s ({wall / duration:.3f} s per video s), "
              f"cpu {cpu:.2f} s ({cpu / duration:.3f}); x{duration / wall:.1f} real time; stages {stages}")
        if args.bundled:
            from iwr.benchmark.dataset import load_tasks, resolve_tasks_path

            total_wall = total_cpu = total_dur = 0.0
            for task in load_tasks(resolve_tasks_path("bundled")):
                p = task.paths
                wall, cpu, stages, duration = _time(p.video, p.assets, Path(tmp) / task.key, args.workers)
                total_wall, total_cpu, total_dur = total_wall + wall, total_cpu + cpu, total_dur + duration
                print(f"{task.key:<16} {duration:5.1f} s video: wall {wall:6.2f} s, cpu {cpu:6.2f} s, assets {stages['assets']:.2f} s")
            print(f"bundled overall: {total_wall / total_dur:.3f} wall s and {total_cpu / total_dur:.3f} cpu s per video second; "
                  f"x{total_dur / total_wall:.1f} real time (target: x10)")


if __name__ == "__main__":
    main()
