"""`--capture screen` on a page driven by keys alone (arrow keys, Enter, Escape handled by a
`keydown` listener on document, no click first): every key reaches the page, and the video
shows each one's effect. Real Xvfb, headed Chromium, XTEST and ffmpeg x11grab.

Without the X keyboard focus, Chromium drops the keys XTEST sends while `document.hasFocus()`
still says true; a click would give the focus, so only a demo of keys alone shows it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

import iwr.benchmark.recording.screen_browser as screen_browser
from iwr.benchmark.ground_truth import GroundTruth
from iwr.benchmark.recorder import RecordOptions, record_demos
from iwr.benchmark.recording.x_server import missing_screen_tools
from iwr.tools.video import read_frame, video_info

MISSING = missing_screen_tools()
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"--capture screen needs {', '.join(MISSING)}: run scripts/setup.sh")

# keyCode for the arrows, key for Enter and Escape, modified keys ignored: as games do
PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; font: 32px "DejaVu Sans", sans-serif; color: #111; background: #fff; }
main { padding: 60px 80px; } #dot { position: absolute; width: 60px; height: 60px; background: #c22; }
</style></head><body><main><p id="status">Moves 0 at 0,0</p><p id="last">No key yet</p></main>
<div id="dot"></div>
<script>
let x = 0, y = 0, moves = 0, marked = false;
const steps = {37: [-1, 0], 38: [0, -1], 39: [1, 0], 40: [0, 1]};
function show() {
  document.getElementById('status').textContent = 'Moves ' + moves + ' at ' + x + ',' + y + (marked ? ' marked' : '');
  const dot = document.getElementById('dot');
  dot.style.left = (420 + 80 * x) + 'px'; dot.style.top = (300 + 80 * y) + 'px';
  dot.style.background = marked ? '#22c' : '#c22';
}
document.addEventListener('keydown', (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
  if (steps[e.keyCode]) { x += steps[e.keyCode][0]; y += steps[e.keyCode][1]; moves++; e.preventDefault(); }
  else if (e.key === 'Enter') marked = !marked;
  else if (e.key === 'Escape') { x = 0; y = 0; moves = 0; marked = false; }
  else return;
  document.getElementById('last').textContent = 'Last key ' + e.key;
  show();
});
show();
</script></body></html>
"""
KEYS = ["ArrowRight", "ArrowDown", "ArrowRight", "Enter", "ArrowUp", "ArrowLeft", "Escape"]
STATUS = ["Moves 0 at 0,0", "Moves 1 at 1,0", "Moves 2 at 1,1", "Moves 3 at 2,1", "Moves 3 at 2,1 marked",
          "Moves 4 at 2,0 marked", "Moves 5 at 1,0 marked", "Moves 0 at 0,0"]
DEMO = "id: screen-keys\ntitle: Keys\nresolution: 960x540\nentry: index.html\nactions:\n" + "".join(
    f'  - {{type: Press, key: {key}, description: "Press {key}"}}\n' for key in KEYS)
FAST = RecordOptions(capture="screen", fps=25.0, intro=0.5, outro=0.8, after_action=1.5)


@dataclass
class KeyRecording:
    dir: Path
    gt: GroundTruth
    events: list[dict[str, object]]


def record(root: Path) -> KeyRecording:
    app = root / "app"
    app.mkdir(parents=True)
    (app / "index.html").write_text(PAGE)
    (app / "demo.yaml").write_text(DEMO)
    record_demos([app / "demo.yaml"], root / "out", FAST)
    task_dir = root / "out" / "data" / "screen-keys"
    events = json.loads((task_dir / "input_log.json").read_text())["events"]
    return KeyRecording(task_dir, GroundTruth.load(task_dir / "ground_truth.json"), events)


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory) -> KeyRecording:
    return record(tmp_path_factory.mktemp("screen-keys"))


def check_keys_reached_the_page(rec: KeyRecording) -> None:
    """The page's text after each key is the key's effect, and the log holds each key once."""
    texts = rec.gt.checkpoint_texts
    assert [texts[k].splitlines()[0] for k in range(len(KEYS) + 1)] == STATUS
    assert [texts[k].splitlines()[1] for k in range(1, len(KEYS) + 1)] == [f"Last key {key}" for key in KEYS]
    keys = [e["detail"] for e in rec.events if e["kind"] == "key"]
    assert keys == KEYS
    assert {e["kind"] for e in rec.events} <= {"key", "move"}


def gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.int16)


def test_every_key_reaches_the_page(rec: KeyRecording) -> None:
    check_keys_reached_the_page(rec)


def test_the_video_shows_every_key(rec: KeyRecording) -> None:
    """Just before each key the video shows the previous state, at the end of its step the new
    one: the frame is nearer the new state's checkpoint than the old one's, and far from the
    frame before the key."""
    video = rec.dir / "video.mp4"
    info = video_info(video)
    shots = [gray(cv2.imread(str(rec.dir / "checkpoints" / f"step_{k}.png"))) for k in range(len(KEYS) + 1)]
    inputs = [float(e["t"]) for e in rec.events if e["kind"] == "key"]  # type: ignore[arg-type]
    for step, pressed in zip(rec.gt.steps, inputs, strict=True):
        k = step.index
        before = gray(read_frame(video, max(0, int((pressed - 0.1) * info.fps)), rgb=False))
        after = gray(read_frame(video, min(info.frame_count - 1, int((step.span[1] - 0.1) * info.fps)), rgb=False))
        changed = int((np.abs(after - before) > 48).sum())
        assert changed > 500, f"the video shows no change for key {k} ({KEYS[k - 1]}): {changed} px"
        new, old = (float(np.abs(after - shots[j]).mean()) for j in (k, k - 1))
        assert new < old, f"key {k} ({KEYS[k - 1]}): the frame after it is nearer the old state ({new:.2f} vs {old:.2f})"


def test_keys_reach_the_page_after_the_window_lost_the_keyboard_focus(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The window starts without the X keyboard focus (as before the recorder gave it): the
    first key is dropped, seen to be, the focus given back and the key pressed again."""
    async def no_focus(*_: object) -> None:
        return None

    monkeypatch.setattr(screen_browser, "focus_keyboard", no_focus)
    check_keys_reached_the_page(record(tmp_path))
