"""Offline baselines: trajectory-replay's parts (transitions, state pictures, incremental OCR
layout, hot spots), its page replayed by the real judge in Chromium, the shared perception
cache and the `reference` oracle."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from iwr.agents.baselines import ReferenceCoder, TrajectoryReplayCoder
from iwr.agents.frames import FrameRecipe, save_composed_frames
from iwr.agents.layout import TextItem, changed_boxes, reading_order, text_blocks
from iwr.agents.perception import ToolPerceiver, perception_key
from iwr.agents.replay_page import Transition, click_box, field_box, state_recipes, transitions_of
from iwr.benchmark.task import Action, ActionParameters, Box, Point, Resolution, TaskInputs
from iwr.errors import IwrError
from iwr.graphs import EventSummary, KeyframeRef, PerceptionSummary
from iwr.tools.video import Mp4Writer

RES = Resolution(width=480, height=320)
FPS = 10


def _text(text: str, x: float, y: float, w: float, h: float, color: str = "#000000") -> TextItem:
    return TextItem(text=text, box=Box(x=x, y=y, width=w, height=h), color=color, font_px=h * 0.8)


# ---------------------------------------------------------------- pure parts


def test_transitions_merge_one_gesture_and_keep_kinds() -> None:
    events = [
        EventSummary(index=0, kind="key", start=0.0, end=0.4),
        EventSummary(index=1, kind="scroll", start=0.6, end=1.0, scroll_dy=300),  # same gesture (gap 0.2 s)
        EventSummary(index=2, kind="click", start=2.0, end=2.3, point=Point(x=10, y=10), click=True),
        EventSummary(index=3, kind="typing", start=3.0, end=3.5, point=Point(x=50, y=50), click=True, typed_text="ab"),
        EventSummary(index=4, kind="typing", start=4.0, end=4.2, point=Point(x=70, y=70)),  # no click, no text read
        EventSummary(index=5, kind="key", start=6.0, end=6.1, key="Enter"),
    ]
    got = transitions_of(list(reversed(events)))  # order comes from the times
    assert [t.trigger for t in got] == ["key", "click", "type", "click", "key"]
    assert got[0].end == 1.0
    assert [t.by_scroll for t in got] == [True, True, False, True, True]


def test_state_recipes_frame_each_state_and_paint_out_the_pointer() -> None:
    ts = [
        Transition(trigger="click", start=2.0, end=2.4, point=Point(x=100, y=100)),
        Transition(trigger="click", start=4.0, end=4.3, point=Point(x=300, y=100)),
    ]
    recipes = state_recipes(ts, duration=6.0, scale=2.0)
    assert len(recipes) == 3
    assert all(r.times == sorted(r.times) for r in recipes)
    assert recipes[0].times[-1] < 2.0 and recipes[1].times[0] > 2.4 and recipes[1].times[-1] < 4.0
    assert recipes[2].times[0] > 4.3 and recipes[2].times[-1] <= 6.0
    # state 1: the pointer rests at the previous click until the next event has begun; that
    # spot is taken from then (box in video pixels, scale 2)
    ((x0, y0, x1, y1, when),) = recipes[1].patches
    assert x0 < 200 < x1 and y0 < 200 < y1 and 4.0 < when < 4.3
    assert recipes[0].patches == []  # no pointer rest known before the first event


def test_composed_frame_drops_a_passing_pointer(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    base = np.full((64, 96, 3), 240, np.uint8)
    with Mp4Writer(video, 96, 64, fps=FPS) as w:
        for i in range(30):
            frame = base.copy()
            if 10 <= i < 20:
                frame[20:40, 40:56] = 0  # something passing through the middle frame only
            w.write(frame)
    median = FrameRecipe(times=[0.2, 1.5, 2.5])
    patched = FrameRecipe(times=[0.2, 1.5, 2.5], patches=[(36, 16, 60, 44, 1.5)])  # that spot from t=1.5 s
    plain, spot = (np.asarray(Image.open(p)) for p in save_composed_frames(video, [median, patched], tmp_path / "out"))
    assert plain.shape == (64, 96, 3) and int(plain[30, 48].min()) > 200
    assert int(spot[30, 48].max()) < 60 and int(spot[5, 5].min()) > 200


def test_text_blocks_join_a_wrapped_headline_but_not_a_different_look() -> None:
    texts = [
        _text("Ocean sensors map a", 100, 100, 200, 20),
        _text("Rail freight volumes", 400, 100, 200, 20),
        _text("hidden current off", 100, 124, 180, 20),
        _text("the Azores", 100, 148, 100, 20),
        _text("Read more", 100, 172, 90, 20, color="#d02020"),  # another colour: its own block
        _text("BIG TITLE", 100, 200, 200, 40),
    ]
    blocks = text_blocks(texts)
    assert [0, 2, 3] in blocks and [4] in blocks and [5] in blocks
    order = [t.text for t in reading_order(texts)]
    assert order.index("hidden current off") == order.index("Ocean sensors map a") + 1


def test_changed_boxes_find_local_changes_and_give_up_on_big_ones() -> None:
    a = np.full((100, 200, 3), 250, np.uint8)
    b = a.copy()
    b[40:50, 20:30] = 0
    boxes = changed_boxes(a, b)
    assert boxes is not None and len(boxes) == 1
    x, y, w, h = boxes[0].as_tuple()
    assert x <= 20 and y <= 40 and x + w >= 30 and y + h >= 50
    assert changed_boxes(a, a) == []
    assert changed_boxes(a, np.zeros_like(a)) is None  # most of it changed: read all again


def test_click_box_takes_the_text_under_the_pointer_else_a_small_region() -> None:
    texts = [_text("Bees learn faster in", 100, 100, 200, 20), _text("quieter fields", 100, 124, 140, 20)]
    on_text = Transition(trigger="click", start=0, end=1, point=Point(x=150, y=134))
    box = click_box(on_text, texts)
    assert box.contains(Point(x=150, y=134)) and box.y <= 100 and box.y + box.height >= 144  # the whole block
    icon = Transition(trigger="click", start=0, end=1, point=Point(x=400, y=300),
                      regions=[Box(x=390, y=290, width=20, height=20), Box(x=0, y=0, width=480, height=320)])
    assert click_box(icon, texts) == Box(x=390, y=290, width=20, height=20)
    field = Transition(trigger="type", start=0, end=1, point=Point(x=250, y=60), regions=[Box(x=40, y=40, width=200, height=30)])
    fb = field_box(field, texts)
    assert fb.x == 40 and fb.contains(Point(x=250, y=60))


# ---------------------------------------------------------------- the page, replayed by the judge

FONT = ImageFont.truetype("DejaVuSans.ttf", 22)
# the recorded app: times (s) of its states and of the events between them
STATES = [(0.0, 1.0), (1.3, 2.2), (2.9, 3.4), (3.6, 4.2), (4.5, 5.2)]


def _state_image(k: int) -> np.ndarray:
    img = Image.new("RGB", (RES.width, RES.height), (250, 250, 250))
    d = ImageDraw.Draw(img)
    d.text((20, 20), f"Count {min(k, 1)}", font=FONT, fill=(0, 0, 0))
    d.rectangle([20, 60, 200, 110], fill=(225, 225, 232), outline=(60, 60, 60))
    d.text((40, 72), "Add item", font=FONT, fill=(0, 0, 0))
    d.text((240, 26), "Code", font=FONT, fill=(40, 40, 40))
    d.rectangle([240, 60, 460, 110], fill=(255, 255, 255), outline=(60, 60, 60))
    d.text((252, 72), "save10" if k >= 2 else "Promo code", font=FONT, fill=(0, 0, 0) if k >= 2 else (150, 150, 150))
    if k >= 3:
        d.text((240, 130), "Applied", font=FONT, fill=(0, 120, 0))
    if k >= 4:
        d.text((20, 260), "Summary", font=FONT, fill=(0, 0, 0))
    return np.asarray(img)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[TaskInputs, PerceptionSummary]:
    root = tmp_path_factory.mktemp("replay_app")
    video = root / "stage" / "video.mp4"
    video.parent.mkdir(parents=True)
    images = [_state_image(k) for k in range(len(STATES))]
    with Mp4Writer(video, RES.width, RES.height, fps=FPS) as w:
        for i in range(int(STATES[-1][1] * FPS)):
            t = i / FPS
            w.write(images[max(k for k, (start, _) in enumerate(STATES) if start <= t + 1e-6)])
    keyframes = []
    for k, (_, end) in enumerate(STATES):
        path = root / f"kf{k}.png"
        Image.fromarray(images[k]).save(path)
        keyframes.append(KeyframeRef(index=k, time=end - 0.1, path=path))
    events = [
        EventSummary(index=0, kind="click", start=1.0, end=1.3, point=Point(x=110, y=85), click=True,
                     regions=[Box(x=20, y=20, width=110, height=30)]),
        EventSummary(index=1, kind="typing", start=2.2, end=2.9, point=Point(x=350, y=85), click=True, typed_text="save10",
                     regions=[Box(x=240, y=60, width=220, height=50)]),
        EventSummary(index=2, kind="key", start=3.4, end=3.6, key="Enter"),
        EventSummary(index=3, kind="scroll", start=4.2, end=4.5, scroll_dy=160),
    ]
    perception = PerceptionSummary(duration=STATES[-1][1], keyframes=keyframes, events=events)
    inputs = TaskInputs(task_id="replay-app", resolution=RES, video=video, assets=[], contact_sheets=[])
    return inputs, perception


def _act(kind: str, description: str, assertion: str | None = None, **params: str) -> Action:
    return Action(type=kind, parameters=ActionParameters(description=description, **params), logical_assertion=assertion)


def _reference_text(k: int) -> str:
    """The visible text of the recorded app in state k (what the judge compares with)."""
    code = "save10" if k >= 2 else "Promo code"
    return "\n".join([f"Count {min(k, 1)}", "Add item", "Code", code] + ["Applied"] * (k >= 3) + ["Summary"] * (k >= 4))


DEMO = [
    _act("Click", "Click the 'Add item' button", "The counter reads 'Count 1'"),
    _act("Type", "Type 'save10' into the 'Code' field", text="save10"),
    _act("Press", "Press Enter to apply the code", "The word 'Applied' appears", key="Enter"),
    _act("Scroll", "Scroll the page down", "'Summary' is visible"),
]
# another path through the same app: the code first, then Enter (the app would apply it)
PROBE = [DEMO[1], DEMO[2]]
PROBE_TEXTS = {0: _reference_text(0), 1: _reference_text(0).replace("Promo code", "save10"),
               2: _reference_text(0).replace("Promo code", "save10") + "\nApplied"}


def test_trajectory_replay_page_passes_the_recorded_path_only(
    loop: asyncio.AbstractEventLoop, tmp_path: Path, recorded: tuple[TaskInputs, PerceptionSummary]
) -> None:
    from iwr.benchmark.judge.judge import Judge, JudgeConfig
    from iwr.benchmark.judge.types import Trajectory

    inputs, perception = recorded
    result = loop.run_until_complete(TrajectoryReplayCoder().draft(inputs, perception, [], [], tmp_path / "iter_0"))
    page = tmp_path / "page"
    page.mkdir()
    (page / "index.html").write_text(result.html)
    html = result.html
    assert html.count('class="state"') == len(STATES)
    assert "Add item</span></button>" in html  # the clicked text is the button's own name
    assert '<label class="t" for="field-1"' in html and 'placeholder="Promo code"' in html

    async def judge_both() -> tuple:
        async with Judge(JudgeConfig(visual=False, probes=False)) as judge:
            demo = Trajectory(actions=DEMO, checkpoint_texts={k: _reference_text(k) for k in range(len(DEMO) + 1)})
            probe = Trajectory(name="probe", actions=PROBE, checkpoint_texts=PROBE_TEXTS)
            return (await judge.judge(page, demo, RES, None, tmp_path / "demo", "replay-app"),
                    await judge.judge(page, probe, RES, None, tmp_path / "probe", "replay-app"))

    demo, probe = loop.run_until_complete(judge_both())
    assert [s.passed for s in demo.steps] == [True, True, True, True], [(s.error, s.assertion) for s in demo.steps]
    assert [s.assertion.passed for s in demo.steps if s.assertion] == [True, True, True]
    assert demo.scores.ifs == 1.0
    assert "Add item" in (demo.steps[0].grounding.element or "")
    # off the recorded path the page has no way on: Enter in state 0 changes nothing
    assert probe.scores.ifs < 1.0 and probe.steps[1].assertion is not None and probe.steps[1].assertion.passed is False


# ---------------------------------------------------------------- perception cache, reference oracle


def test_perception_is_shared_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         recorded: tuple[TaskInputs, PerceptionSummary]) -> None:
    from iwr.tools.perception import pipeline

    inputs, _ = recorded
    calls: list[Path] = []
    real = pipeline.perceive

    def counting(video: Path, assets_dir: Path | None, out_dir: Path, options=None):
        calls.append(out_dir)
        return real(video, assets_dir, out_dir, options)

    monkeypatch.setattr(pipeline, "perceive", counting)
    perceiver = ToolPerceiver(cache_dir=tmp_path / "cache")
    first = asyncio.run(perceiver.perceive(inputs, tmp_path / "a" / "perception"))
    second = asyncio.run(perceiver.perceive(inputs, tmp_path / "b" / "perception"))
    assert len(calls) == 1  # the second agent's perception came from the cache
    assert [k.time for k in second.keyframes] == [k.time for k in first.keyframes]
    assert all(k.path.is_file() and (tmp_path / "b") in k.path.parents for k in second.keyframes)
    other = inputs.model_copy(update={"video": tmp_path / "other.mp4"})
    other.video.write_bytes(inputs.video.read_bytes() + b"\0")
    assert perception_key(other) != perception_key(inputs)


def test_reference_oracle_serves_the_bundled_app_without_its_ground_truth(tmp_path: Path) -> None:
    from iwr.benchmark.bundled import bundled_apps

    app = bundled_apps()[0]
    inputs = TaskInputs(task_id=app.task_id, resolution=RES, video=tmp_path / "v.mp4", assets=[], contact_sheets=[])
    result = asyncio.run(ReferenceCoder().draft(inputs, None, [], [], tmp_path / "iter_0"))
    assert result.html == (app.dir / "index.html").read_text()
    assert result.files and not any(n.endswith((".yaml", ".py")) for n in result.files)
    with pytest.raises(IwrError):
        asyncio.run(ReferenceCoder().draft(inputs.model_copy(update={"task_id": "no-such-task"}), None, [], [], tmp_path / "x"))
