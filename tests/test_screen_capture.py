"""`--capture screen` end to end with the real parts (Xvfb, headed Chromium, XTEST input, ffmpeg
x11grab), its ground truth checked against the video it made.

The X cursor is found in a frame by differencing it with the checkpoint of the same page state
(a CDP screenshot: the page without the cursor) and keeping small, strongly differing blobs:
X core cursors are black-outlined and white-filled, so their outline differs from any page
background in luma by far more than video noise, hover tints or chroma subsampling do.
"""

from __future__ import annotations

import bisect
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.ground_truth import GroundTruth
from iwr.benchmark.recorder import RecordError, RecordOptions, record_demos
from iwr.benchmark.recording.x_server import missing_screen_tools
from iwr.benchmark.task import ActionType
from iwr.cli import app
from iwr.tools.ocr import ocr_text
from iwr.tools.video import iter_frames, read_frame, video_info

MISSING = missing_screen_tools()
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"--capture screen needs {', '.join(MISSING)}: run scripts/setup.sh")

TYPED = "Ada 42"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; font: 28px "DejaVu Sans", sans-serif; color: #111; background: #fff; height: 1600px; }
main { padding: 160px 80px 0; }
input { font: inherit; padding: 6px 10px; width: 320px; }
button { font: inherit; padding: 6px 24px; margin-left: 16px; cursor: pointer; }
#out { margin-top: 40px; }
</style></head><body><main>
<label>Name <input id="name" autocomplete="off"></label><button id="go">Greet</button>
<p id="out"></p></main>
<script>document.getElementById('go').addEventListener('click', () => {
  document.getElementById('out').textContent = 'Hello, ' + document.getElementById('name').value + '!'; });</script>
</body></html>
"""
DEMO = f"""id: screen-mini
title: Greeter
resolution: 960x540
entry: index.html
actions:
  - {{type: Type, target: "#name", text: "{TYPED}", description: "Type '{TYPED}' into the Name field"}}
  - {{type: Click, target: "#go", description: "Click the Greet button"}}
  - {{type: Scroll, direction: down, amount: 120, description: "Scroll down a little"}}
"""
FAST = RecordOptions(capture="screen", fps=25.0, intro=0.5, outro=0.8, after_action=1.5)
LUMA_STEP = 96  # a cursor outline differs from the page by more than this (of 255)
CURSOR_MAX = 64  # px: X core cursors are at most 32 x 32


def write_app(folder: Path, demo: str = DEMO) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(PAGE)
    (folder / "demo.yaml").write_text(demo)
    return folder / "demo.yaml"


@dataclass
class Recording:
    dir: Path
    out: Path
    seconds: float
    gt: GroundTruth
    events: list[dict[str, object]]
    fps: float
    grabs: list[float]  # video seconds of every screen grab

    def grab_of(self, n: int) -> float | None:
        """The time of the grab frame n shows, or None when frame n repeats an older grab (the
        grabber fell behind: nothing in it can be checked against its time)."""
        t = n / self.fps
        i = bisect.bisect_left(self.grabs, t)
        near = [self.grabs[j] for j in (i - 1, i) if 0 <= j < len(self.grabs)]
        best = min(near, key=lambda g: abs(g - t), default=None)
        return best if best is not None and abs(best - t) <= 0.5 / self.fps else None


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    root = tmp_path_factory.mktemp("screen")
    demo = write_app(root / "app")
    started = time.monotonic()
    record_demos([demo], root / "out", FAST)
    seconds = time.monotonic() - started
    task_dir = root / "out" / "data" / "screen-mini"
    log = json.loads((task_dir / "input_log.json").read_text())
    return Recording(task_dir, root / "out", seconds, GroundTruth.load(task_dir / "ground_truth.json"),
                     log["events"], float(log["fps"]), [float(g) for g in log["grabs"]])


def gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.int16)


def cursor_boxes(frame: np.ndarray, reference: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of small blobs that differ strongly from the cursor-free reference."""
    mask = (np.abs(gray(frame) - gray(reference)) > LUMA_STEP).astype(np.uint8)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    return [(int(s[0]), int(s[1]), int(s[2]), int(s[3])) for s in stats[1:n]
            if s[4] >= 6 and s[2] <= CURSOR_MAX and s[3] <= CURSOR_MAX]


def distance(box: tuple[int, int, int, int], x: float, y: float) -> float:
    """Pixels from (x, y) to the box (0 inside)."""
    bx, by, w, h = box
    dx = max(bx - x, 0.0, x - (bx + w - 1))
    dy = max(by - y, 0.0, y - (by + h - 1))
    return float(np.hypot(dx, dy))


def state_before(gt: GroundTruth, t: float) -> int:
    """The checkpoint showing the page at video second t (the last action begun by then has not
    settled yet, so its previous state)."""
    begun = [s.index for s in gt.steps if s.span[0] <= t]
    return max(begun) - 1 if begun else 0


def checkpoint(rec: Recording, k: int) -> np.ndarray:
    image = cv2.imread(str(rec.dir / "checkpoints" / f"step_{k}.png"))
    assert image is not None
    return image


def test_layout_and_ground_truth(rec: Recording) -> None:
    tasks = load_tasks(rec.out / "data.jsonl")
    assert [t.key for t in tasks] == ["screen-mini"]
    assert [a.type for a in tasks[0].action_sequence] == [ActionType.TYPE, ActionType.CLICK, ActionType.SCROLL]
    for name in ("video.mp4", "metadata.json", "ground_truth.json", "input_log.json"):
        assert (rec.dir / name).is_file(), name
    assert sorted(p.name for p in (rec.dir / "checkpoints").glob("step_*.png")) == [f"step_{k}.png" for k in range(4)]
    meta = json.loads((rec.dir / "metadata.json").read_text())
    assert meta["capture"] == "screen" and "x11grab" in meta["recording_details"]["environment"]
    assert meta["screen_capture"]["grabs"] == len(rec.grabs) > 0
    info = video_info(rec.dir / "video.mp4")
    assert (info.width, info.height, info.fps) == (960, 540, 25.0)
    assert abs(info.duration - rec.gt.duration) < 1e-6 and rec.gt.fps == 25.0
    gt = rec.gt
    assert [s.index for s in gt.steps] == [1, 2, 3] and gt.state0_at is not None
    ends = [0.0] + [s.span[1] for s in gt.steps]
    for s, previous_end in zip(gt.steps, ends, strict=False):
        assert previous_end <= s.span[0] < s.span[1] <= gt.duration
    for s in gt.steps[:2]:  # Type and Click: the pointer was on the target when pressed
        assert s.target_box is not None and s.pointer is not None
        box = s.target_box
        assert box.x <= s.pointer.x <= box.x + box.width and box.y <= s.pointer.y <= box.y + box.height
    assert gt.steps[2].scroll_delta is not None and gt.steps[2].scroll_delta.y >= 100
    inputs = [s.input_at for s in gt.steps]
    assert all(v is not None for v in inputs) and inputs == sorted(inputs)  # type: ignore[type-var]
    kinds = [e["kind"] for e in rec.events]
    assert kinds.count("down") == 2 and kinds.count("key") == len(TYPED) and kinds.count("wheel") >= 1
    print(f"recorded {gt.duration:.1f} s of video in {rec.seconds:.1f} s")


def test_cursor_is_at_the_logged_pointer_when_clicking(rec: Recording) -> None:
    """At every logged press the video's X cursor covers the logged pointer (the last frame
    grabbed between the pointer's arrival and the press)."""
    downs = [e for e in rec.events if e["kind"] == "down"]
    steps = rec.gt.steps[:2]  # Type (its click) and Click
    errors = []
    for event, step in zip(downs, steps, strict=True):
        t, x, y = float(event["t"]), float(event["x"]), float(event["y"])  # type: ignore[arg-type]
        assert step.pointer is not None and (step.pointer.x, step.pointer.y) == (x, y)
        arrived = max(float(e["t"]) for e in rec.events if e["kind"] == "move" and float(e["t"]) < t)  # type: ignore[arg-type]
        shown = [n for n in range(int(arrived * rec.fps), int(t * rec.fps) + 1)
                 if (g := rec.grab_of(n)) is not None and arrived < g < t]
        assert shown, f"no frame was grabbed between the pointer's arrival and the press at {t:.2f} s"
        frame = read_frame(rec.dir / "video.mp4", shown[-1], rgb=False)
        boxes = cursor_boxes(frame, checkpoint(rec, step.index - 1))
        assert boxes, f"no cursor found in the video before the press at {t:.2f} s"
        errors.append(min(distance(b, x, y) for b in boxes))
    print(f"click error (logged pointer to the cursor's box): {errors} px")
    assert max(errors) <= 2.0


def logged_pointer(times: list[float], moves: list[dict[str, object]], t: float) -> tuple[float, float] | None:
    i = bisect.bisect_right(times, t) - 1
    return (float(moves[i]["x"]), float(moves[i]["y"])) if i >= 0 else None  # type: ignore[arg-type]


def test_video_time_matches_the_input_log_while_moving(rec: Recording) -> None:
    """Frames mid-glide show the cursor where the log puts the pointer at that frame's time:
    the video's clock is the log's (a frame is the grab nearest its time, so the pointer may
    have moved by up to half a frame's travel either way)."""
    moves = [e for e in rec.events if e["kind"] == "move"]
    times = [float(e["t"]) for e in moves]  # type: ignore[arg-type]
    half = 0.5 / rec.fps
    misses, errors, repeats = 0, [], 0
    refs = {k: checkpoint(rec, k) for k in range(len(rec.gt.steps) + 1)}
    for frame in iter_frames(rec.dir / "video.mp4", rgb=False):
        grabbed = rec.grab_of(frame.index)
        if grabbed is None:
            repeats += 1
            continue
        t = grabbed
        here, before, after = (logged_pointer(times, moves, v) for v in (t, t - half, t + half))
        if here is None or before is None or after is None or before == after:
            continue  # the pointer is not moving here
        boxes = cursor_boxes(frame.image, refs[state_before(rec.gt, t)])
        error = min((distance(b, *here) for b in boxes), default=float("inf"))
        travel = max(np.hypot(here[0] - p[0], here[1] - p[1]) for p in (before, after))
        errors.append(error)
        misses += error > travel + 2.0
    assert len(errors) >= 10, "too few frames with a moving pointer"
    print(f"{len(errors)} moving frames: error median {np.median(errors):.1f} px, "
          f"90th percentile {np.percentile(errors, 90):.1f} px, {misses} beyond half a frame's travel; "
          f"{repeats} frames repeat an older grab")
    assert np.median(errors) <= 2.0
    assert misses <= 0.1 * len(errors)


def test_typed_text_is_on_screen_at_the_end(rec: Recording) -> None:
    info = video_info(rec.dir / "video.mp4")
    first = read_frame(rec.dir / "video.mp4", 0, rgb=False)
    last = read_frame(rec.dir / "video.mp4", info.frame_count - 1, rgb=False)

    def squeeze(text: str) -> str:
        return "".join(text.lower().split())

    assert squeeze(TYPED) not in squeeze(ocr_text(first).text)
    final = squeeze(ocr_text(last).text)
    assert squeeze(TYPED) in final, final
    assert final.count(squeeze(TYPED)) >= 2 and "hello" in final  # in the field and in the click's greeting


def _our_processes() -> set[int]:
    """Live children of this process and anything running on a screen-capture profile."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        state = stat.rsplit(")", 1)[1].split()[0]
        if state != "Z" and (ppid == os.getpid() or "iwr-screen-chromium-" in cmdline):
            found.add(int(entry.name))
    return found


def test_a_failing_demo_leaves_nothing_running(tmp_path: Path) -> None:
    before = _our_processes()
    bad = DEMO.replace('"#name"', '"#no-such-field"')
    demo = write_app(tmp_path / "app", bad)
    with pytest.raises(RecordError, match="no-such-field"):
        record_demos([demo], tmp_path / "out", RecordOptions(capture="screen", fps=25.0, action_timeout=0.5, intro=0.2))
    assert not (tmp_path / "out" / "data.jsonl").exists()
    assert _our_processes() - before == set()


def test_cli_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = write_app(tmp_path / "app")
    runner = CliRunner()
    bad = runner.invoke(app, ["record", str(demo), "--capture", "film", "--out", str(tmp_path / "out")])
    assert bad.exit_code == 2 and "composed or screen" in bad.output
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    missing = runner.invoke(app, ["record", str(demo), "--capture", "screen", "--out", str(tmp_path / "out")])
    assert missing.exit_code != 0
    assert "Xvfb" in missing.output and "scripts/setup.sh" in missing.output
