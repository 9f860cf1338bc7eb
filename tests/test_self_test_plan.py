"""The agent's model-free self-test plan is replayed by the video-only judge's rules
(graphs/self_test_plan.py `replay_as_recorded`, used by the `analyse` node)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from iwr.benchmark.task import ActionType, Point
from iwr.graphs.context import PlanResult
from iwr.graphs.self_test_plan import event_to_action, replay_as_recorded
from iwr.graphs.state import EventSummary, KeyframeRef, PerceptionSummary
from iwr.tools.perception.types import PBox
from iwr.tools.perception.visible_change import TextChange, VisibleChange


def _frames(tmp_path: Path) -> tuple[Path, Path]:
    """Two 640 px wide keyframes of a page of text-like rows, the second scrolled 120 px down."""
    rng = np.random.default_rng(3)
    page = np.full((1400, 640, 3), 255, np.uint8)
    for y in range(20, 1380, 60):
        cv2.rectangle(page, (30, y), (30 + int(rng.integers(100, 580)), y + 24), (40, 40, 40), -1)
    a, b = tmp_path / "k0.png", tmp_path / "k1.png"
    cv2.imwrite(str(a), page[0:480])
    cv2.imwrite(str(b), page[120:600])
    return a, b


def test_a_click_that_moved_the_whole_screen_is_replayed_as_the_scroll_it_was(tmp_path: Path) -> None:
    a, b = _frames(tmp_path)
    event = EventSummary(index=0, kind="click", start=1.0, end=1.5, point=Point(x=600, y=500), confidence=0.5,
                         before_keyframe=0, after_keyframe=1)  # a wheel step perception took for a click (no ring seen)
    perception = PerceptionSummary(keyframes=[KeyframeRef(index=0, time=0.5, path=a), KeyframeRef(index=1, time=2.0, path=b)],
                                   events=[event])
    plan = PlanResult(actions=[event_to_action(event)], keyframes=[1], initial_keyframe=0)
    change = VisibleChange(changed_fraction=0.4, regions=[PBox(x=0, y=0, width=1280, height=960)], width=1280, height=960,
                           texts=[TextChange(kind="changed", before="Total 3", after="Total 4", box=PBox(x=0, y=0, width=9, height=9))])
    actions, changes = replay_as_recorded(perception, plan, [change], page_width=1280)  # the page is twice the keyframes' width
    assert actions[0].type == ActionType.SCROLL and actions[0].parameters.direction == "down"
    assert abs(getattr(actions[0].parameters, "amount", 0) - 240) <= 4  # 120 keyframe pixels = 240 page pixels
    assert changes == [change]  # not a masked step: held to all of it
    assert replay_as_recorded(None, plan, [change], 1280) == (plan.actions, [change])
