"""Perception of screen recordings: keyframes, events, pointer tracking, asset matching.

`perceive(video, assets_dir, out_dir)` is the entry point; `draft_plan` turns its events
into draft actions. Floor 1: nothing here imports `iwr.benchmark`.
"""

from .pipeline import PerceiveOptions, load_perception, perceive
from .plan import draft_plan
from .types import (
    AssetMatch,
    AssetReport,
    ChangeRegion,
    Keyframe,
    PBox,
    PerceivedEvent,
    Perception,
    PerceptionError,
    PlanStep,
    PointerObservation,
    Timings,
    VideoInfo,
)

__all__ = [
    "AssetMatch", "AssetReport", "ChangeRegion", "Keyframe", "PBox", "PerceivedEvent", "Perception",
    "PerceptionError", "PerceiveOptions", "PlanStep", "PointerObservation", "Timings", "VideoInfo",
    "draft_plan", "load_perception", "perceive",
]
