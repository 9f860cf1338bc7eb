"""OCR configurations compared on the bundled checkpoints: speed and accuracy.

For each rapidocr configuration: CPU seconds and wall seconds per image (process CPU time
covers onnxruntime's threads, so it is less sensitive to other load than wall time), and
accuracy as recall of the checkpoint's visible DOM words (recorded by the recorder) among
the OCR'd words. The judge's choice is `tools.ocr.OCR_PARAMS`.

    python measurements/judge_ocr_config.py [--tasks bundled|DATA.jsonl] [--per-task 2]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.ground_truth import GroundTruth
from iwr.benchmark.tasks_source import resolve_tasks_path
from iwr.tools.ocr import OCR_PARAMS

BASE: dict[str, Any] = {"Global.use_cls": False, "Global.log_level": "error"}
CONFIGS: dict[str, dict[str, Any]] = {
    "default (min 736)": {},
    "max 1280 (native)": {"Det.limit_type": "max", "Det.limit_side_len": 1280},
    "max 960": {"Det.limit_type": "max", "Det.limit_side_len": 960},
    "max 800": {"Det.limit_type": "max", "Det.limit_side_len": 800},
    "max 960, rec batch 12": {"Det.limit_type": "max", "Det.limit_side_len": 960, "Rec.rec_batch_num": 12},
    "judge (OCR_PARAMS)": {k: v for k, v in OCR_PARAMS.items() if k not in BASE},
}
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> Counter[str]:
    return Counter(w for w in _WORD.findall(text.lower()) if len(w) >= 2 or w.isdigit())


def recall(ocr: str, dom: str) -> float | None:
    """Share of the DOM's words (with multiplicity) that the OCR text contains."""
    want = words(dom)
    if not want:
        return None
    got = words(ocr)
    return sum(min(n, got[w]) for w, n in want.items()) / sum(want.values())


def images_with_text(tasks_path: Path, per_task: int) -> list[tuple[Path, str]]:
    out = []
    for task in load_tasks(tasks_path):
        if not task.paths.ground_truth.is_file():
            continue
        truth = GroundTruth.load(task.paths.ground_truth)
        ks = sorted(truth.checkpoint_texts)
        out.extend((task.paths.checkpoint(k), truth.checkpoint_texts[k])
                   for k in ks[:: max(1, len(ks) // per_task)][:per_task] if task.paths.checkpoint(k).is_file())
    return out


def run_config(params: dict[str, Any], images: list[tuple[Path, str]]) -> dict[str, float]:
    import logging

    from rapidocr import RapidOCR

    from iwr.tools.ocr import _disable_spinning

    _disable_spinning()
    engine = RapidOCR(params={**BASE, **params})
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    engine(images[0][0].read_bytes())  # warm up
    cpu0, wall0 = time.process_time(), time.perf_counter()
    recalls = []
    for path, dom in images:
        out = engine(path.read_bytes())
        r = recall(" ".join(out.txts or ()), dom)
        if r is not None:
            recalls.append(r)
    n = len(images)
    return {"cpu": (time.process_time() - cpu0) / n, "wall": (time.perf_counter() - wall0) / n,
            "recall": statistics.mean(recalls) if recalls else float("nan")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="bundled")
    ap.add_argument("--per-task", type=int, default=2)
    args = ap.parse_args()
    images = images_with_text(resolve_tasks_path(args.tasks), args.per_task)
    print(f"{len(images)} checkpoint images; per image: CPU s, wall s, DOM-word recall")
    for name, params in CONFIGS.items():
        r = run_config(params, images)
        print(f"{name:24} cpu {r['cpu']:5.2f}  wall {r['wall']:5.2f}  recall {r['recall']:.3f}", flush=True)


if __name__ == "__main__":
    main()
