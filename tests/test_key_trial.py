"""Key trials: a key press whose key the recording does not show is replayed with the key that
brings the recorded change (a slide deck's arrows), on the real browser and real OCR."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from iwr.benchmark.judge.judge import Judge, JudgeConfig
from iwr.benchmark.judge.types import JudgeResult, Trajectory
from iwr.benchmark.judge.video_keys import IDLE_KEY, NAVIGATION_KEYS, keys_to_try, with_key_trial
from iwr.benchmark.judge.video_plan import changes_between
from iwr.benchmark.task import Action, ActionParameters, ActionType, Resolution
from iwr.tools.ocr import OcrCache
from iwr.tools.perception.types import PerceivedEvent

SIZE = Resolution(width=640, height=360)
SLIDES = [["Opening slide Alpha"], ["Second slide Bravo", "Details slide Charlie"], ["Closing slide Delta"]]


def _deck(folder: Path, down: bool = True, keys: bool = True) -> Path:
    """A deck of slides driven by the arrow keys (Down into a slide's details, Right to the next
    slide); `down=False`: the Down key does nothing; `keys=False`: no key does anything."""
    folder.mkdir(parents=True, exist_ok=True)
    handler = "" if not keys else f"""
document.addEventListener('keydown', e => {{
  if (e.key === 'ArrowRight' && h < slides.length - 1) {{ h++; v = 0; }}
  else if (e.key === 'ArrowLeft' && h > 0) {{ h--; v = 0; }}
  else if (e.key === 'ArrowDown' && {str(down).lower()} && v < slides[h].length - 1) v++;
  else if (e.key === 'ArrowUp' && v > 0) v--;
  else return;
  show();
}});"""
    (folder / "index.html").write_text(f"""<!doctype html><html><body style="margin:0;font:48px sans-serif">
<main id="slide" style="padding:120px 40px"></main>
<script>
const slides = {SLIDES}; let h = 0, v = 0;
function show() {{ document.getElementById('slide').textContent = slides[h][v]; }}
show();{handler}
</script></body></html>""")
    return folder


def _press(key: str) -> Action:
    return Action(type=ActionType.PRESS, parameters=ActionParameters(description=f"Press {key}", key=key))


def _judge(page: Path, trajectory: Trajectory, out: Path) -> JudgeResult:
    async def run() -> JudgeResult:
        async with Judge(JudgeConfig(visual=False, probes=False, ocr_cache_dir=out.parent / "ocr")) as judge:
            return await judge.judge(page, trajectory, SIZE, None, out, "deck")

    return asyncio.run(run())


@pytest.fixture(scope="module")
def video_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Trajectory, Path]:
    """What a recording of Right then Down on the deck gives a video-only plan: a key press whose
    key nothing on screen names and a key press read as a scroll, the recorded states, and what
    changed between them."""
    base = tmp_path_factory.mktemp("deck")
    shown = _judge(_deck(base / "reference"), Trajectory(actions=[_press("ArrowRight"), _press("ArrowDown")]),
                   base / "recorded")
    assert shown.scores.ifs == 1.0
    states: list[Path | None] = [base / "recorded" / f"step_{k}.png" for k in range(3)]
    changes = changes_between(states, [[], [], []], SIZE.width, OcrCache(base / "ocr"))
    event = PerceivedEvent(index=0, start=0, end=1, kind="key", before_keyframe=0, after_keyframe=1)
    # the second press moved the content as a whole, which a video plan reads as a scroll
    scroll = Action(type=ActionType.SCROLL, parameters=ActionParameters(description="Scroll down", direction="down"))
    actions = [with_key_trial(_press(IDLE_KEY), event), with_key_trial(scroll, event)]
    trajectory = Trajectory(name="video", actions=actions, checkpoints=states, expected_changes=changes, source="video")
    return trajectory, base


def test_a_key_press_of_no_named_key_gets_keys_to_try() -> None:
    key_event = PerceivedEvent(index=0, start=0, end=1, kind="key", before_keyframe=0, after_keyframe=1)
    click = key_event.model_copy(update={"kind": "click"})
    named = key_event.model_copy(update={"key": "ArrowLeft"})
    assert keys_to_try(with_key_trial(_press(IDLE_KEY), key_event)) == list(NAVIGATION_KEYS)
    assert keys_to_try(with_key_trial(_press(IDLE_KEY), click)) == []  # the pointer was seen pressing
    scroll = Action(type=ActionType.SCROLL, parameters=ActionParameters(description="Scroll down", direction="down"))
    assert keys_to_try(with_key_trial(scroll, key_event.model_copy(update={"kind": "scroll"}))) == list(NAVIGATION_KEYS)
    assert keys_to_try(with_key_trial(scroll, click)) == []
    assert keys_to_try(with_key_trial(_press("ArrowLeft"), named)) == []  # perception named the key
    assert keys_to_try(_press("Enter")) == []


def test_the_recorded_slides_are_reached_by_the_keys_that_bring_them(video_plan: tuple[Trajectory, Path]) -> None:
    trajectory, base = video_plan
    result = _judge(_deck(base / "candidate"), trajectory, base / "judged")
    assert result.scores.ifs == 1.0, [s.assertion.evidence.get("reason") if s.assertion else s.error for s in result.steps]
    # Right for the first slide change; for the second, the scroll scrolled nothing, then Right
    # (found before) and Left moved to other slides and were undone by replaying the first step
    # on a fresh page
    assert [s.action.parameters.key for s in result.steps] == ["ArrowRight", "ArrowDown"]
    assert (base / "judged" / "step_2.png").is_file() and not (base / "judged" / ".key-trials").exists()


def test_a_deck_whose_keys_do_not_bring_the_recorded_slide_fails_there(video_plan: tuple[Trajectory, Path]) -> None:
    trajectory, base = video_plan
    no_down = _judge(_deck(base / "no-down", down=False), trajectory, base / "judged-no-down")
    assert no_down.success_steps == 1 and not no_down.steps[1].passed  # no key shows 'Details slide Charlie'
    assert no_down.steps[1].action.type == ActionType.SCROLL  # the step keeps its own action and its verdict
    dead = _judge(_deck(base / "dead", keys=False), trajectory, base / "judged-dead")
    assert dead.success_steps == 0
