"""What a recording is asked to do (`RecordOptions`) and how it fails (`RecordError`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ...core.errors import IwrError
from ..page_clock import SETTLE_MIN_MS, PageClockPolicy

RECORDER_VERSION = "iwr-recorder/3"  # 2: page time follows video time (page_clock); 3: image boxes leave out what covers them


class RecordError(IwrError):
    """A demo could not be recorded (the message names the demo, action and selector)."""


@dataclass(frozen=True)
class RecordOptions:
    """Timing and behaviour of a recording (seconds unless noted)."""

    fps: float = 15.0
    action_timeout: float = 5.0  # wait for a target to exist and be visible
    # a found target's scroll into view and click: each is several browser round trips,
    # which take seconds on a loaded machine; only a stalled or refusing page uses it all
    operation_timeout: float = 10.0
    settle_timeout: float = 3.0  # page (and video) time the page may take to stop changing
    settle_min: float = SETTLE_MIN_MS / 1000  # page time always given after an action
    intro: float = 1.0  # initial state shown before the first action
    outro: float = 1.0  # extra time after the last action
    # Settled state shown after each action. IWR-Bench videos run about 35 s for 8.9
    # actions (~3.9 s per action); with the glide, hover and settle this keeps that pace.
    after_action: float = 3.0
    hover_pause: float = 0.2  # pointer rests on the target before clicking
    char_seconds: float = 0.12  # per typed character
    transition_samples: int = 3  # screenshots taken while an action's effect unfolds
    scroll_increments: int = 8
    parallel_pages: int = 3  # the demo and its probes run in separate pages, this many at once
    clock: PageClockPolicy = PageClockPolicy()  # start date, Math.random seed, time zone
    # "composed": headless pages filmed state by state with a drawn pointer (deterministic);
    # "screen": a headed Chromium on Xvfb, X input at a human pace, ffmpeg x11grab (`screen_capture`)
    capture: Literal["composed", "screen"] = "composed"
    input_seed: int = 0  # screen capture: seeds the glide, click and key timings


def short_error(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
