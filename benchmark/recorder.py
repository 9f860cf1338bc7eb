"""The task recorder's entry points (the code lives in `benchmark/recording/`).

`record_demos` is looked up here by the bundled benchmark (tests replace it); the DOM probe of
`benchmark/validity` drives pages with the recorder's own driver, under its older names.
"""

from __future__ import annotations

from .recording import RECORDER_VERSION, RecordedTask, RecordError, RecordOptions, new_recording_page, record_demo, record_demos
from .recording.driver import Driver as _Driver
from .recording.driver import TimeFilm as _TimeFilm
from .recording.trajectory import open_app as _open_app
from .recording.trajectory import visible_text as _visible_text

__all__ = [
    "RECORDER_VERSION", "RecordError", "RecordOptions", "RecordedTask", "new_recording_page", "record_demo", "record_demos",
    "_Driver", "_TimeFilm", "_open_app", "_visible_text",
]
