"""Typing into a masked field, read from a recording: the dots counted, what they hide not
asked of a page (tools/perception/masked.py and the video plan's masked step)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import cv2
import numpy as np
import pytest

from iwr.benchmark.judge.video_plan import MASK_FILL, hidden_input_change, is_masked, replayed
from iwr.benchmark.task import Action, ActionParameters, ActionType, Point
from iwr.tools.perception.masked import bullet_runs, masked_typed
from iwr.tools.perception.types import PBox, PerceivedEvent
from iwr.tools.perception.visible_change import TextChange, VisibleChange
from iwr.tools.sandbox import BrowserHandle, Sandbox

FIELD_Y = 120  # the password field's row (its centre) on the test page


def _page(folder: Path, password: str) -> Path:
    """A sign-up-like page: a filled password field, words with lone letters ('a a a'), round icons."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(f"""<!doctype html><html><body style="font: 16px sans-serif; margin: 40px">
<p>Notes, lists and a a a reminders: on a day, o o o.</p>
<input id="pw" type="password" value="{password}" style="width: 400px; padding: 8px; font-size: 16px; position: absolute;
  top: {FIELD_Y - 18}px; left: 40px">
<div style="position: absolute; top: 220px; left: 40px">
  <span style="display:inline-block;width:14px;height:14px;border-radius:7px;background:#333;margin-right:20px"></span>
  <span style="display:inline-block;width:14px;height:14px;border-radius:7px;background:#333;margin-right:20px"></span>
  <span style="display:inline-block;width:14px;height:14px;border-radius:7px;background:#333"></span>
</div></body></html>""")
    return folder


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Screenshots of the page with 0, 5 and 11 characters in the password field."""
    base = tmp_path_factory.mktemp("masked")
    handle = BrowserHandle(memory_limit_mb=0)

    async def shoot() -> dict[int, Path]:
        out = {}
        await handle.start()
        try:
            async with Sandbox(handle) as sb:
                for n in (0, 5, 11):
                    async with sb.open(sb.site(_page(base / f"p{n}", "x" * n)), 640, 300) as sp:
                        await sp.goto()
                        out[n] = base / f"{n}.png"
                        out[n].write_bytes(await sp.page.screenshot(type="png"))
        finally:
            await handle.close()
        return out

    return asyncio.run(shoot())


def _gray(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY)


def test_a_masked_fields_dots_are_counted_and_nothing_else_is(frames: dict[int, Path]) -> None:
    for n in (5, 11):
        field = [r for r in bullet_runs(_gray(frames[n])) if abs(r.center_y - FIELD_Y) < 12]
        assert [r.count for r in field] == [n]
    # words with lone letters and the row of round icons are no masked field on the pointer's row
    row = PBox(x=0, y=FIELD_Y - 24, width=640, height=48)
    assert masked_typed(_gray(frames[0]), _gray(frames[5]), row)[0] == 5  # type: ignore[index]
    assert masked_typed(_gray(frames[5]), _gray(frames[11]), row)[0] == 6  # type: ignore[index]  # 6 appended to 5
    assert masked_typed(_gray(frames[11]), _gray(frames[11]), row) is None  # nothing typed
    assert masked_typed(_gray(frames[11]), _gray(frames[5]), row) is None  # characters deleted: no typing to replay
    assert masked_typed(_gray(frames[0]), _gray(frames[5]), row, max_x=20) is None  # the dots start right of the pointer


def test_a_click_that_grew_a_masked_field_types_that_many_characters(frames: dict[int, Path]) -> None:
    field = PBox(x=40, y=FIELD_Y - 18, width=420, height=36)
    change = VisibleChange(changed_fraction=0.01, regions=[field], width=640, height=300, texts=[
        TextChange(kind="changed", before="Password strength: Weak", after="Password strength: Strong",
                   box=PBox(x=40, y=150, width=200, height=18)),
        TextChange(kind="disappeared", before="Password must be at least 8 characters", box=PBox(x=40, y=170, width=260, height=18)),
    ])
    click = Action(type=ActionType.CLICK, parameters=ActionParameters(description="Click"), point=Point(x=300, y=FIELD_Y))
    event = PerceivedEvent(index=1, start=0.0, end=1.0, kind="click", confidence=0.9, before_keyframe=0, after_keyframe=1)
    out = replayed(click, event, change, frames[5], frames[11], None, 1.0)
    assert out.type == ActionType.TYPE and out.parameters.text == (MASK_FILL * 2)[:6] and is_masked(out)
    typing = click.model_copy(update={"type": ActionType.TYPE, "parameters": ActionParameters(description="Type", text="…")})
    assert replayed(typing, event, change, frames[0], frames[5], None, 1.0).parameters.text == MASK_FILL + MASK_FILL[0]
    elsewhere = click.model_copy(update={"point": Point(x=300, y=260)})  # the pointer on the icons' row
    assert replayed(elsewhere, event, change, frames[5], frames[11], None, 1.0).type == ActionType.CLICK
    # the strength verdict depends on the hidden characters: its words are no evidence; the length rule's message is
    held = hidden_input_change(change)
    assert "Password strength: Strong" in held.unread and "Password strength: Weak" in held.unread
    assert "Password must be at least 8 characters" not in held.unread
