"""Perception on synthetic recordings with known truth: events, pointer, typing, scroll, assets."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from iwr.tools.perception import PerceiveOptions, Perception, PerceptionError, draft_plan, perceive
from iwr.tools.perception.keyframes import choose_states, keyframe_cap, remap_events
from iwr.tools.perception.synthetic import SyntheticOptions, SyntheticTruth, make_synthetic_recording
from iwr.tools.perception.types import PerceivedEvent
from iwr.tools.pointer import PointerShape, PointerStyle
from iwr.tools.video import ffmpeg_exe, frame_at, sample_frames, video_info


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[SyntheticTruth, Perception, Path]:
    folder = tmp_path_factory.mktemp("synthetic")
    truth = make_synthetic_recording(folder)
    out = folder / "out"
    # no keyframe cap here: every state is checked
    return truth, perceive(Path(truth.video), Path(truth.assets_dir), out, PerceiveOptions(max_keyframes=50)), out


def test_one_event_per_action_with_the_right_kind(recording: tuple[SyntheticTruth, Perception, Path]) -> None:
    truth, p, _ = recording
    assert [e.kind for e in p.events] == [a.kind for a in truth.actions]
    for e, a in zip(p.events, truth.actions, strict=True):
        assert e.start < a.span[1] and e.end > a.span[0] - 0.5, (e, a)


def test_click_points_are_within_a_few_pixels(recording: tuple[SyntheticTruth, Perception, Path]) -> None:
    truth, p, _ = recording
    for e, a in zip(p.events, truth.actions, strict=False):  # the counts are compared by the test above
        if a.kind == "click":
            assert e.pointer is not None and e.click
            assert abs(e.pointer[0] - a.point[0]) <= 4 and abs(e.pointer[1] - a.point[1]) <= 4


def test_typed_text_and_scroll_amount(recording: tuple[SyntheticTruth, Perception, Path]) -> None:
    _, p, _ = recording
    typing = next(e for e in p.events if e.kind == "typing")
    assert (typing.typed_text or "").casefold() == "alice"
    scroll = next(e for e in p.events if e.kind == "scroll")
    assert abs(scroll.scroll_dy - 280) <= 12


def test_keyframes_first_last_and_files(recording: tuple[SyntheticTruth, Perception, Path]) -> None:
    truth, p, out = recording
    assert len(p.keyframes) == len(truth.actions) + 1
    assert p.keyframes[0].reason == "first" and p.keyframes[-1].reason == "last"
    assert all(Path(k.path).is_file() for k in p.keyframes)
    assert Path(p.sheet).is_file()
    saved = json.loads((out / "perception.json").read_text())
    assert len(saved["events"]) == len(p.events)
    for e in p.events:
        assert e.after_keyframe == e.before_keyframe + 1


def test_asset_map(recording: tuple[SyntheticTruth, Perception, Path]) -> None:
    truth, p, _ = recording
    reports = {r.asset: r for r in p.assets}
    assert not reports["unused.png"].found
    assert not reports["notes.txt"].readable and "not a raster image" in (reports["notes.txt"].error or "")
    initial = [pl for pl in truth.placements if pl.state == 0]
    for pl in initial:
        boxes = [m.box for m in reports[pl.asset].matches if m.keyframe == 0]
        assert any(b.iou(pl.box) >= 0.7 for b in boxes), (pl, boxes)
    # the big picture changes to photo_b after the last click
    last = len(p.keyframes) - 1
    assert any(m.keyframe == last and m.box.width > 250 for m in reports["photo_b.jpg"].matches)
    assert "logo.png" in " ".join(p.asset_map())


def test_assets_are_the_same_whether_a_child_process_helps_or_not(recording: tuple[SyntheticTruth, Perception, Path],
                                                                  tmp_path: Path) -> None:
    truth, p, _ = recording  # with 2 workers the child searched the first state during the scan, then shared the assets
    alone = perceive(Path(truth.video), Path(truth.assets_dir), tmp_path,
                     PerceiveOptions(max_keyframes=50, workers=1, sheet=False))
    assert [r.model_dump() for r in alone.assets] == [r.model_dump() for r in p.assets]


def test_draft_plan_follows_events(recording: tuple[SyntheticTruth, Perception, Path]) -> None:
    _, p, _ = recording
    plan = draft_plan(p)
    assert [s.type for s in plan] == ["Click", "Click", "Type", "Press", "Scroll", "Click"]
    assert plan[2].text and plan[2].text.casefold() == "alice"
    assert plan[4].direction == "down"
    assert plan[0].point is not None


def test_other_resolution_fps_and_cursor_without_ring(tmp_path: Path) -> None:
    opts = SyntheticOptions(width=960, height=540, fps=24, cursor=PointerShape.HAND,
                            cursor_style=PointerStyle(fill=(20, 20, 20), outline=(255, 255, 255), scale=1.0), ring=False)
    truth = make_synthetic_recording(tmp_path, opts)
    p = perceive(Path(truth.video), None, tmp_path / "out", PerceiveOptions(ocr=False, max_keyframes=50))
    assert p.video.width == 960 and abs(p.video.fps - 24) < 0.1
    assert len(p.events) == len(truth.actions)
    kinds = [e.kind for e in p.events]
    assert kinds.count("click") >= 3 and "scroll" in kinds
    for e, a in zip(p.events, truth.actions, strict=True):
        if a.kind == "click":
            assert e.pointer is not None and abs(e.pointer[0] - a.point[0]) <= 8 and abs(e.pointer[1] - a.point[1]) <= 8


def test_keyframe_cap_keeps_a_third_of_one_fps(recording: tuple[SyntheticTruth, Perception, Path]) -> None:
    _, p, _ = recording
    cap = keyframe_cap(p.video.duration)
    assert cap == (int(p.video.duration) + 1) // 3
    kept = choose_states(len(p.keyframes), p.events, cap, p.video.width * p.video.height)
    assert len(kept) == cap and kept[0] == 0 and kept[-1] == len(p.keyframes) - 1
    remapped = remap_events(p.events, kept)
    assert all(0 <= e.before_keyframe <= e.after_keyframe < cap for e in remapped)
    # the biggest change (the picture swap, last event) keeps its result frame
    assert remapped[-1].after_keyframe == cap - 1 and remapped[-1].before_keyframe < cap - 1


def test_missing_assets_folder_is_a_clear_error(recording: tuple[SyntheticTruth, Perception, Path], tmp_path: Path) -> None:
    truth, _, _ = recording
    with pytest.raises(PerceptionError, match="assets folder not found"):
        perceive(Path(truth.video), tmp_path / "nope", tmp_path / "out")


def _transcode(src: Path, dst: Path, *filters: str) -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), *filters, "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    str(dst)], check=True, timeout=120)
    return dst


@pytest.mark.parametrize("variant", ["variable frame rate", "device scale 2", "long idle start"])
def test_awkward_videos_are_read_like_the_plain_one(recording: tuple[SyntheticTruth, Perception, Path], tmp_path: Path,
                                                      variant: str) -> None:
    """A screen grabber that writes a frame only when the screen changes (timestamps, not frame
    numbers, tell the time), a page filmed at twice its CSS size, and 20 s of nothing first.
    (The double-size film is this one upscaled, so its small icon is a blur, not the sharp
    drawing a browser at device scale 2 makes: its assets are not compared.)"""
    truth, _, _ = recording
    video = Path(truth.video)
    shift, scale = (20.0, 1) if variant == "long idle start" else (0.0, 2 if variant == "device scale 2" else 1)
    filters = {"variable frame rate": ["-vf", "mpdecimate", "-fps_mode", "vfr"],
               "device scale 2": ["-vf", "scale=iw*2:ih*2:flags=bicubic"],
               "long idle start": ["-vf", "tpad=start_duration=20:start_mode=clone"]}[variant]
    odd = _transcode(video, tmp_path / "odd.mp4", *filters)
    if variant == "variable frame rate":
        assert video_info(odd).frame_count < video_info(video).frame_count / 2  # most frames were repeats
    p = perceive(odd, Path(truth.assets_dir), tmp_path / "out", PerceiveOptions(max_keyframes=50))
    assert [e.kind for e in p.events] == [a.kind for a in truth.actions]
    for e, a in zip(p.events, truth.actions, strict=True):
        assert abs(e.start - (a.span[0] + shift)) <= 0.7, (a.kind, e.start, a.span)
        if a.kind == "click":
            assert e.pointer is not None and max(abs(e.pointer[0] / scale - a.point[0]), abs(e.pointer[1] / scale - a.point[1])) <= 8
        if a.text:
            assert e.typed_text == a.text
    if scale == 1:
        assert sorted(a.asset for a in p.assets if a.matches) == sorted({pl.asset for pl in truth.placements})


def test_frames_at_times_of_a_variable_frame_rate_video(recording: tuple[SyntheticTruth, Perception, Path], tmp_path: Path) -> None:
    truth, _, _ = recording
    video = Path(truth.video)
    odd = _transcode(video, tmp_path / "vfr.mp4", "-vf", "mpdecimate", "-fps_mode", "vfr")
    plain, sparse = sample_frames(video, fps=1.0), sample_frames(odd, fps=1.0)
    assert len(plain) == int(truth.duration) + 1 and len(sparse) < len(plain)  # a still second is one frame, given once
    times = [f.time for f in sparse]
    assert times == sorted(times) and times[-1] <= truth.duration  # each frame's own time: when it came on screen
    for f in sparse:  # each is what the plain video shows at its time
        assert np.abs(frame_at(video, f.time).astype(int) - f.image.astype(int)).mean() < 3, f.time


def test_typing_that_typed_nothing_after_a_seen_press_is_planned_as_the_click() -> None:
    """A button whose label changed and a panel that opened under a pressed pointer read as
    typing; with nothing typed, the plan is the click (and the replay keeps it a click)."""
    def event(i: int, typed: str | None, pressed: bool) -> PerceivedEvent:
        return PerceivedEvent(index=i, start=i, end=i + 0.5, kind="typing", pointer=(1178.0, 470.0), click=True,
                              pressed=pressed, typed_text=typed, before_keyframe=i, after_keyframe=i + 1)

    # a change at a still pointer without the press seen (a key pressed there) stays typing
    perception = Perception.model_construct(events=[event(0, None, True), event(1, "hi", True), event(2, None, False)])
    steps = draft_plan(perception)
    assert [s.type for s in steps] == ["Click", "Type", "Type"]
    assert steps[0].point == (1178.0, 470.0) and steps[1].text == "hi" and steps[2].text == ""
