"""Perception on synthetic recordings with known truth: events, pointer, typing, scroll, assets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iwr.tools.perception import PerceiveOptions, Perception, PerceptionError, draft_plan, perceive
from iwr.tools.perception.keyframes import choose_states, keyframe_cap, remap_events
from iwr.tools.perception.synthetic import SyntheticOptions, SyntheticTruth, make_synthetic_recording
from iwr.tools.pointer import PointerShape, PointerStyle


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
