"""The perception score: which checkpoint a keyframe shows, and which results are shown."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from iwr.benchmark.perception_score import keyframe_states, results_shown
from iwr.tools.perception import Keyframe, Perception
from iwr.tools.perception.types import VideoInfo


def _perception(keyframes: list[tuple[float, float, str | None]]) -> Perception:
    video = VideoInfo(path="v.mp4", width=320, height=180, fps=15, frame_count=300, duration=20, sample_fps=8)
    kfs = [Keyframe(index=i, time=end, start=start, end=end, frame_no=int(end * 15), path=path)
           for i, (start, end, path) in enumerate(keyframes)]
    return Perception(video=video, keyframes=kfs)


def _page(tmp: Path, name: str, label: str) -> str:
    img = np.full((180, 320, 3), 240, np.uint8)
    cv2.rectangle(img, (20, 20), (300, 60), (40, 40, 40), -1)
    cv2.putText(img, label, (40, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (0, 0, 200), 4)
    cv2.imwrite(str(tmp / name), img)
    return str(tmp / name)


def test_keyframe_state_comes_from_the_nearest_checkpoint_image_not_event_times(tmp_path: Path) -> None:
    checkpoints = [Path(_page(tmp_path, f"step_{i}.png", label)) for i, label in enumerate(["one", "two", "three"])]
    # the second keyframe shows "three" although event times alone would say state 1
    p = _perception([(0.0, 1.0, _page(tmp_path, "k0.png", "one")), (3.0, 4.0, _page(tmp_path, "k1.png", "three"))])
    assert keyframe_states(p, checkpoints, effect_times=[1.5, 4.5]) == [0, 2]
    # without screenshots, fall back to counting the effects before each keyframe
    assert keyframe_states(p, [tmp_path / "missing.png"] * 3, effect_times=[1.5, 4.5]) == [0, 1]


def test_result_is_shown_by_a_stable_keyframe_before_the_next_change_or_by_the_next_one_when_too_quick() -> None:
    # effects at 1.0, 3.0, 3.2 (too quick after 3.0), 6.0; keyframes stable from 1.5, 3.6
    p = _perception([(0.0, 0.9, None), (1.5, 2.9, None), (3.6, 5.9, None)])
    states = [0, 1, 3]
    assert results_shown(p, [1.0, 3.0, 3.2, 6.0], states) == [True, True, True, False]
    # a keyframe showing an older state does not show the result
    assert results_shown(p, [1.0, 3.0, 3.2, 6.0], [0, 0, 3]) == [False, True, True, False]


def test_a_later_keyframe_shows_an_earlier_result_only_while_that_part_is_unchanged() -> None:
    blank = np.zeros((90, 160), np.float32)
    shots = [blank.copy() for _ in range(4)]
    shots[1][10:20, 10:20] = 200  # action 1 changes the top left
    shots[2] = shots[1].copy()
    shots[2][60:70, 100:120] = 200  # action 2 elsewhere: action 1's result stays
    shots[3] = shots[2].copy()
    shots[3][10:20, 10:20] = 90  # action 3 overwrites action 1's part
    p = _perception([(0.0, 0.9, None), (2.5, 2.9, None), (4.0, 5.0, None)])
    assert results_shown(p, [1.0, 2.0, 3.0], [0, 2, 3], shots) == [True, True, True]
    assert results_shown(p, [1.0, 2.0, 3.0], [0, 3], shots[:4]) == [False, True, True]


def test_typed_text_is_scored_against_what_the_screen_shows(tmp_path: Path) -> None:
    from iwr.benchmark.ground_truth import StepTruth
    from iwr.benchmark.perception_score import visible_typed
    from iwr.benchmark.task import Point

    def shot(name: str, dots: int, text: str = "") -> Path:
        img = np.full((200, 640, 3), 245, np.uint8)
        cv2.rectangle(img, (100, 80), (500, 114), (150, 150, 150), 1)
        for i in range(dots):
            cv2.circle(img, (114 + 12 * i, 97), 3, (40, 40, 40), -1, cv2.LINE_AA)
        cv2.putText(img, text, (110, 104), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (40, 40, 40), 1, cv2.LINE_AA)
        cv2.imwrite(str(tmp_path / name), img)
        return tmp_path / name

    step = StepTruth(index=1, pointer=Point(x=300, y=97), span=(0.0, 1.0))
    assert visible_typed("abc12", step, shot("p0.png", 0), shot("p1.png", 5)) == "\u2022" * 5  # a password field
    assert visible_typed("Lisbon", step, shot("t0.png", 0), shot("t1.png", 0, "Lisbon")) == "Lisbon"
    assert visible_typed("abc12", step, tmp_path / "missing.png", tmp_path / "p1.png") == "abc12"


def test_a_placement_counts_only_where_its_visible_part_shows_something() -> None:
    from iwr.benchmark.perception_score import _shows_picture
    from iwr.core.geometry import Box

    shot = np.full((40, 60, 3), 246, np.uint8)  # a light tile ...
    shot[0:4, 20:36] = 246  # ... with an icon cut by the window's top edge: its visible rows blank
    blank_sliver = Box(x=20, y=0, width=16, height=4)
    assert not _shows_picture(shot, blank_sliver)
    shot[0:2, 27] = 68  # two pixels of its ink: still nothing to find
    assert not _shows_picture(shot, blank_sliver)
    shot[0:4, 27:29] = 68  # the stem of a glyph
    assert _shows_picture(shot, blank_sliver)
    swatch = shot.copy()
    swatch[10:20, 10:20] = (30, 160, 30)  # a flat-coloured picture differs from its surroundings
    assert _shows_picture(swatch, Box(x=10, y=10, width=10, height=10))
    assert _shows_picture(None, blank_sliver)  # no screenshot: counted as before
