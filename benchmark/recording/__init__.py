"""The task recorder: a demo.yaml + a local web app -> a task in the official layout.

The app is served on 127.0.0.1 and driven in headless Chromium by the demo's selectors.
The video is composed offline: every distinct page state (before/after each action, each
typed character, every change during a hold, scroll increments) is a screenshot, and
constant-fps frames hold those states while a drawn pointer glides between targets. The
video time of every action is therefore exact (ground-truth spans), and the recording is
deterministic. The page lives in page time (`page_clock`): it starts at a fixed date and
lives exactly the video's time (timers, frames and animations move with the film); the
page time of every input and checkpoint is recorded for the judge.

Output per task (`DIR/data/<id>/`): video.mp4, checkpoints/step_<k>.png (no pointer, page
settled), checkpoints/probes/<name>/step_<k>.png, assets/asset_NNN.<ext> (original bytes,
first-use order), stitched_assets/stitched_image_<n>.png, metadata.json and the
evaluation-only ground_truth.json; plus the record upserted into DIR/data.jsonl. Nothing
in DIR changes unless every demo recorded fine.

Only the app's own server is reachable: any other request of the page is aborted, and images
it names on other hosts are left out of the assets (never fetched).

Modules: `options` (RecordOptions, RecordError), `page_scripts` (the JavaScript run in the
page), `driver` (performs and films actions), `trajectory` (one page from open to last
action), `assets` (the images used, fetched from the local server), `probes` (held-out probes,
not filmed), `task_files` (a recorded task on disk), `record` (demos -> tasks).
`--capture screen` (`RecordOptions.capture`): `screen_capture` films the demo on a private X
screen instead, with `x_server` (Xvfb), `screen_browser` (a headed Chromium over CDP),
`x_input` (XTEST input at a human pace), `screen_driver` (actions through X) and
`screen_grab` (ffmpeg x11grab); the task folder is the same.
"""

from .options import RECORDER_VERSION, RecordError, RecordOptions
from .record import record_demo, record_demos
from .task_files import RecordedTask
from .trajectory import new_recording_page

__all__ = ["RECORDER_VERSION", "RecordError", "RecordOptions", "RecordedTask", "new_recording_page", "record_demo",
           "record_demos"]
