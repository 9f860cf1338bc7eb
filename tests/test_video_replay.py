"""How the video-only plan replays a perceived event, read from what it changed on the recording
(benchmark/judge/video_plan.replayed, video_keys): the key a press typed or closed, a press or
an unseen click that moved the content as the scroll it was (by its distance, on real
Chromium), a change where the pointer stayed after typing as the key that submitted it, and
OCR lines too unsure to read (icons) left out of the statement."""

from __future__ import annotations

import asyncio
from pathlib import Path

import cv2
import numpy as np

from iwr.benchmark.judge.grounding import DomGrounder
from iwr.benchmark.judge.replay import replay_page
from iwr.benchmark.judge.types import Trajectory
from iwr.benchmark.judge.video_keys import read_key, typed_key, typed_text
from iwr.benchmark.judge.video_plan import replayed, text_shift
from iwr.benchmark.task import Action, ActionParameters, ActionType, Point, Resolution
from iwr.tools.ocr import OcrLine
from iwr.tools.perception.types import PBox, PerceivedEvent
from iwr.tools.perception.visible_change import TextChange, VisibleChange, text_changes
from iwr.tools.sandbox import BrowserHandle, Sandbox

BOX = PBox(x=0, y=0, width=10, height=10)
PAGES = Path(__file__).parent / "fixtures" / "pages"


def _page(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    page = np.full((1400, 640, 3), 255, np.uint8)
    for y in range(20, 1380, 60):  # rows of text-like blocks of varied widths
        cv2.rectangle(page, (30, y), (30 + int(rng.integers(100, 580)), y + 24), (40, 40, 40), -1)
    return page


def _frames(tmp_path: Path, before: np.ndarray, after: np.ndarray) -> tuple[Path, Path]:
    a, b = tmp_path / "before.png", tmp_path / "after.png"
    cv2.imwrite(str(a), before)
    cv2.imwrite(str(b), after)
    return a, b


def _event(kind: str, confidence: float, key: str | None = None, scroll_dy: float = 0.0) -> PerceivedEvent:
    return PerceivedEvent(index=1, start=0.0, end=1.0, kind=kind, confidence=confidence, key=key, scroll_dy=scroll_dy,
                          before_keyframe=0, after_keyframe=1)


def _action(kind: ActionType, point: Point | None = None, key: str | None = None) -> Action:
    return Action(type=kind, parameters=ActionParameters(description=kind.value, key=key), point=point)


def test_key_read_from_a_line_that_moved_and_an_operator_glyph() -> None:
    # a calculator moves '24' up to its expression line as '24÷' when '/' is pressed
    moved = VisibleChange(changed_fraction=0.001, texts=[TextChange(kind="disappeared", before="24", box=BOX),
                                                         TextChange(kind="appeared", after="24÷", box=BOX)])
    assert typed_key(moved) == "/"
    appended = VisibleChange(changed_fraction=0.001, texts=[TextChange(kind="changed", before="12 +", after="12 + 3", box=BOX)])
    assert typed_key(appended) == "3"
    two = VisibleChange(changed_fraction=0.001, texts=[TextChange(kind="changed", before="ab", after="abc", box=BOX),
                                                       TextChange(kind="changed", before="x", after="xy", box=BOX)])
    assert typed_key(two) is None  # ambiguous


def test_a_press_that_closed_a_dialog_is_escape() -> None:
    closed = VisibleChange(changed_fraction=0.9, texts=[
        TextChange(kind="changed", before="Modal HTML embedded", after="<!-- Modal HTML embedded -->", box=BOX),  # backdrop gone
        TextChange(kind="disappeared", before="Thanks for clicking. That felt good.", box=BOX),
        TextChange(kind="disappeared", before="Close", box=BOX),
    ])
    assert read_key(None, closed) == "Escape"
    assert read_key("Tab", closed) == "Tab"  # a key perception named is kept
    small = closed.model_copy(update={"changed_fraction": 0.01})  # a toast or a field cleared: no dialog
    assert read_key(None, small) == "Enter"  # right after typing: submitting it
    assert read_key(None, small, after_typing=False) == "Shift"  # after a click: the page's own change, nothing pressed
    opened = VisibleChange(changed_fraction=0.9, texts=[TextChange(kind="appeared", after="Please login to continue", box=BOX)])
    assert read_key(None, opened) == "Enter"



def test_a_press_that_put_back_the_screen_a_click_changed_is_escape(tmp_path: Path) -> None:
    page = _page()[:480]
    shown = page.copy()
    shown[60:420, 80:560] = (30, 30, 30)  # a lightbox the click opened: a picture, no text
    earlier, before = _frames(tmp_path, page, shown)
    after = tmp_path / "closed.png"
    cv2.imwrite(str(after), page)
    change = VisibleChange(changed_fraction=0.55)  # no line read appeared or disappeared
    click = _action(ActionType.CLICK, Point(x=300, y=200))
    press = _action(ActionType.PRESS, key="Enter")
    out = replayed(press, _event("key", 0.5, key="Enter"), change, before, after, click, 1.0, earlier)
    assert out.parameters.key == "Escape"
    assert replayed(press, None, change, before, after, click, 1.0, None).parameters.key == "Shift"  # no earlier screen
    elsewhere = page.copy()
    elsewhere[200:260, 30:600] = 0  # the press showed a screen not seen before the click
    cv2.imwrite(str(after), elsewhere)
    assert replayed(press, None, change, before, after, click, 1.0, earlier).parameters.key == "Shift"
    typed = _action(ActionType.TYPE, Point(x=300, y=200))
    cv2.imwrite(str(after), page)
    assert replayed(press, None, change, before, after, typed, 1.0, earlier).parameters.key == "Enter"  # after typing

def test_a_guessed_key_press_that_moved_the_page_is_a_scroll_by_its_distance(tmp_path: Path) -> None:
    page = _page()
    before, after = _frames(tmp_path, page[:480], page[240:720])  # the content moved up by 240 px: scrolled down
    change = VisibleChange(changed_fraction=0.06)  # text on white: few pixels change, yet all the content moved
    out = replayed(_action(ActionType.PRESS, key="Enter"), _event("key", 0.5, key="Enter"), change, before, after, None, 2.0)
    assert out.type == ActionType.SCROLL and out.parameters.direction == "down"
    assert abs(getattr(out.parameters, "amount", 0) - 480) <= 4  # 240 recording px at 2 page px each
    seen = replayed(_action(ActionType.CLICK, Point(x=100, y=100)), _event("click", 0.9), change, before, after, None, 1.0)
    assert seen.type == ActionType.CLICK  # perception saw the press: a link that scrolled, replayed as the click
    # a press seen, then changes read as typing with nothing typed (a panel opened under the button)
    opened = _event("typing", 0.7).model_copy(update={"pressed": True})
    assert replayed(_action(ActionType.CLICK, Point(x=100, y=100)), opened, change, before, after, None, 1.0).type == ActionType.CLICK
    unseen = opened.model_copy(update={"pressed": False})
    assert replayed(_action(ActionType.CLICK, Point(x=100, y=100)), unseen, change, before, after, None, 1.0).type == ActionType.SCROLL


def test_a_change_where_the_pointer_stayed_after_typing_is_the_key_that_submitted_it(tmp_path: Path) -> None:
    page = _page()[:480]
    inserted = page.copy()
    inserted[226:480] = page[200:454]  # a row inserted at y=200: what was below moved down 26 px
    inserted[200:226] = 255
    before, after = _frames(tmp_path, page, inserted)
    change = VisibleChange(changed_fraction=0.07, regions=[PBox(x=0, y=200, width=640, height=280)],
                           texts=[TextChange(kind="appeared", after="Discount TRAIL10 -$5.90", box=BOX)])
    at = Point(x=300, y=300)
    typed = Action(type=ActionType.TYPE, parameters=ActionParameters(description="Type", text="TRAIL10"), point=at)
    out = replayed(_action(ActionType.SCROLL, at), _event("scroll", 0.8, scroll_dy=-26), change, before, after, typed, 1.0)
    assert out.type == ActionType.PRESS and out.parameters.key == "Enter" and out.point is None
    elsewhere = replayed(_action(ActionType.SCROLL, at), _event("scroll", 0.8, scroll_dy=-26), change, before, after,
                         typed.model_copy(update={"point": Point(x=300, y=100)}), 1.0)
    assert elsewhere.type == ActionType.SCROLL and getattr(elsewhere.parameters, "amount", None) == 26  # perception's distance


def test_ocr_lines_read_with_low_confidence_are_not_text_changes() -> None:
    region = [PBox(x=0, y=0, width=400, height=100)]
    before = [OcrLine(text="00º", score=0.63, box=(18, 40, 22, 17)), OcrLine(text="Count 0", score=0.99, box=(100, 40, 80, 18))]
    after = [OcrLine(text="0□º", score=0.54, box=(17, 39, 24, 20)), OcrLine(text="Count 1", score=0.99, box=(100, 40, 80, 18))]
    changes = text_changes(before, after, region)  # type: ignore[arg-type]
    assert [(c.before, c.after) for c in changes] == [("Count 0", "Count 1")]


def test_a_scroll_with_a_measured_distance_scrolls_that_far(loop: asyncio.AbstractEventLoop, handle: BrowserHandle,
                                                           tmp_path: Path) -> None:
    scroll = Action(type=ActionType.SCROLL, point=Point(x=150, y=100),
                    parameters=ActionParameters(description="Scroll down by about 80 px", direction="down", amount=80))
    traj = Trajectory(actions=[scroll], pointer_hints=[Point(x=150, y=100)])

    async def run():  # type: ignore[no-untyped-def]
        async with Sandbox(handle) as sb:
            return await replay_page(handle, sb.site(PAGES / "scroll"), traj, Resolution(width=1024, height=640), tmp_path,
                                     DomGrounder(), action_timeout=10.0)  # type: ignore[arg-type]

    step = loop.run_until_complete(run()).steps[0]
    assert step.performed, step.error
    # 40 px rows: two went by (half the viewport, 320 px, would have taken eight)
    assert "Message 1\n" in step.text_before and "Message 1\n" not in step.text_after
    assert "Message 4\n" in step.text_after


def test_a_click_that_left_new_text_in_the_field_under_the_pointer_typed_it() -> None:
    field = PBox(x=296, y=202, width=688, height=86)  # a text area; the pointer stays where it clicked
    def change(*texts: TextChange) -> VisibleChange:
        return VisibleChange(changed_fraction=0.01, regions=[field], texts=list(texts))

    placeholder = TextChange(kind="changed", before="Optional notes...", after="Summarise the 4.2 changes",
                             box=PBox(x=306, y=213, width=200, height=18))
    click = _action(ActionType.CLICK, Point(x=640, y=245))
    out = replayed(click, _event("click", 0.9), change(placeholder), None, None, None, 1.0)
    assert out.type == ActionType.TYPE and out.parameters.text == "Summarise the 4.2 changes" and out.point == click.point
    grown = placeholder.model_copy(update={"before": "Summarise", "after": "Summarise the 4.2 changes"})
    assert typed_text(640, 245, change(grown)) == "the 4.2 changes"
    label = placeholder.model_copy(update={"before": "Count 0", "after": "Count 1"})  # a label updated: not typing
    assert typed_text(640, 245, change(label)) is None
    mark = placeholder.model_copy(update={"before": "Free", "after": "O Free"})  # a radio's mark
    assert typed_text(640, 245, change(mark)) is None
    assert typed_text(100, 100, change(placeholder)) is None  # the pointer elsewhere
    menu = TextChange(kind="appeared", after="Archive", box=PBox(x=306, y=250, width=60, height=18))
    assert typed_text(640, 245, change(placeholder, menu)) is None  # several lines: a menu, not a field


def test_a_list_scrolled_under_the_pointer_is_read_from_its_text_lines() -> None:
    # flight results of alike rows: each line read 195 px higher after the step (pixels alias a row's height)
    def row(y: int, text: str) -> PBox:
        return PBox(x=40, y=y, width=300, height=18)

    rows = [f"{h:02d}:25 - {h + 4:02d}:20 Aurora Jet" for h in range(6, 18)]
    texts = [TextChange(kind="changed", before=rows[i], after=rows[i + 5], box=row(300 + 39 * i, "")) for i in range(7)]
    list_box = PBox(x=30, y=290, width=420, height=300)
    change = VisibleChange(changed_fraction=0.03, regions=[list_box], texts=texts)
    assert text_shift(change) == -195
    at = Point(x=200, y=400)
    out = replayed(_action(ActionType.SCROLL, at), _event("scroll", 0.8, scroll_dy=62), change, None, None, None, 1.0)
    assert out.type == ActionType.SCROLL and out.parameters.direction == "down" and getattr(out.parameters, "amount", 0) == 195
    against = replayed(_action(ActionType.SCROLL, at), _event("scroll", 0.8, scroll_dy=-62), change, None, None, None, 1.0)
    assert against.parameters.direction == "up" and getattr(against.parameters, "amount", 0) == 62  # perception's own reading


def test_a_token_the_pointer_may_have_hidden_is_no_evidence() -> None:
    from iwr.benchmark.judge.assertion_context import AssertionContext
    from iwr.benchmark.judge.video_assertions import maybe_unread, token_checks

    # a table sorted by the column under the pointer: '109' moved to the first row, read '169' there
    row = TextChange(kind="changed", before="Camp Lantern Outdoor 109", after="Pulse Smartwatch Fitness 208", box=BOX)
    change = VisibleChange(changed_fraction=0.02, texts=[row], unread=["West 169"])
    ctx = AssertionContext(assertion="", step=3, action_type="Click", expected_change=change,
                           reference_text_before="Units Camp Lantern Outdoor 109 Pulse Smartwatch Fitness 208",
                           reference_text_after="Units Pulse Smartwatch Fitness 208 West 169",
                           candidate_text_before="Units Camp Lantern Outdoor 109 Pulse Smartwatch Fitness 208",
                           candidate_text_after="Units Camp Lantern Outdoor 109 Pulse Smartwatch Fitness 208")
    assert "109" not in [c.token for c in token_checks(ctx, change)]
    assert "109" in [c.token for c in token_checks(ctx, change.model_copy(update={"unread": []}))]
    assert maybe_unread("1", ["Step 1"]) and not maybe_unread("0", ["Step 1"])  # short tokens: only themselves
    assert not maybe_unread("109", ["West 90"]) and maybe_unread("12.50", ["12.5"])


def test_a_line_read_with_other_spacing_or_separator_glyphs_is_no_change() -> None:
    region = [PBox(x=0, y=0, width=600, height=100)]
    box = (100, 40, 300, 18)
    before = [OcrLine(text="Revenue by category·West, last7 days", score=0.95, box=box)]
    after = [OcrLine(text="Revenue by categoryWest, last 7 days", score=0.95, box=box)]
    assert text_changes(before, after, region) == []  # type: ignore[arg-type]
    now = [OcrLine(text="Revenue by category·East, last 7 days", score=0.95, box=box)]
    assert [c.kind for c in text_changes(before, now, region)] == ["changed"]  # type: ignore[arg-type]


def test_a_number_read_with_and_without_leading_zeros_is_no_change() -> None:
    # a mine counter read '010' before a click and '10' after it; the timer beside it did change
    region = [PBox(x=0, y=0, width=600, height=100)]
    counter, timer = (300, 40, 40, 18), (500, 40, 40, 18)
    before = [OcrLine(text="010", score=0.95, box=counter), OcrLine(text="000", score=0.95, box=timer)]
    after = [OcrLine(text="10", score=0.95, box=counter), OcrLine(text="001", score=0.95, box=timer)]
    assert [(c.before, c.after) for c in text_changes(before, after, region)] == [("000", "001")]  # type: ignore[arg-type]
    decimals = [OcrLine(text="0.50", score=0.95, box=counter)], [OcrLine(text="0.05", score=0.95, box=counter)]
    assert len(text_changes(*decimals, region)) == 1  # type: ignore[arg-type]


def test_typing_read_at_the_pointer_among_suggestions_and_not_from_a_moved_header() -> None:
    field = PBox(x=40, y=560, width=200, height=110)  # a field and the suggestions opened under it
    typed = TextChange(kind="appeared", after="ja", box=PBox(x=44, y=569, width=30, height=20))
    menu = TextChange(kind="appeared", after="Java", box=PBox(x=47, y=592, width=40, height=20))
    assert typed_text(139, 583, VisibleChange(changed_fraction=0.01, regions=[field], texts=[typed, menu])) == "ja"
    # an accordion: the clicked header 'Second' moved down, its panel's text took its place
    panel = PBox(x=45, y=299, width=1191, height=130)
    moved = TextChange(kind="changed", before="Lorem ipsum dolor", after="Second", box=PBox(x=59, y=347, width=60, height=20))
    opened = TextChange(kind="changed", before="Second", after="Phasellus mattis tincidunt nibh.",
                        box=PBox(x=81, y=395, width=230, height=20))
    assert typed_text(639, 416, VisibleChange(changed_fraction=0.15, regions=[panel], texts=[moved, opened])) is None


def test_a_ring_seen_while_a_list_scrolled_under_the_pointer_is_that_scroll_not_a_click() -> None:
    # a history list scrolled by the wheel: its lines slide under the still pointer and pass for a
    # click indicator; perception saw the ring and measured the move (scroll_dy)
    def at(y: int) -> PBox:
        return PBox(x=760, y=y, width=200, height=22)

    rows = [f"{n} x 4 = {4 * n}.00" for n in range(10, 22)]
    texts = [TextChange(kind="changed", before=rows[i], after=rows[i + 4], box=at(130 + 37 * i)) for i in range(8)]
    list_box = PBox(x=740, y=120, width=240, height=320)
    change = VisibleChange(changed_fraction=0.02, regions=[list_box], texts=texts)
    pointer = Point(x=830, y=295)
    out = replayed(_action(ActionType.CLICK, pointer), _event("click", 0.9, scroll_dy=150), change, None, None, None, 1.0)
    assert out.type == ActionType.SCROLL and out.parameters.direction == "down" and getattr(out.parameters, "amount", 0) == 148
    # perception measured no move: the ring stands, it is a click
    still = replayed(_action(ActionType.CLICK, pointer), _event("click", 0.9), change, None, None, None, 1.0)
    assert still.type == ActionType.CLICK
    # a row deleted by the click: the rows after it move up alike, but no unseen row comes in
    gone = [TextChange(kind="changed", before=rows[i], after=rows[i + 1], box=at(130 + 37 * i)) for i in range(3, 7)] + \
        [TextChange(kind="disappeared", before=rows[7], box=at(130 + 37 * 7))]
    deleted = VisibleChange(changed_fraction=0.02, regions=[list_box], texts=gone)
    kept = replayed(_action(ActionType.CLICK, pointer), _event("click", 0.9, scroll_dy=37), deleted, None, None, None, 1.0)
    assert kept.type == ActionType.CLICK
    # a confirmation inserted above a panel's lines: they move down, new lines above them, none leaves
    panel = ["Aurora Jet AU 422", "Lisbon 16:35 to Berlin 20:40", "Passengers 2", "Total $514.00"]
    pushed = [TextChange(kind="changed", before=panel[0], after="Booking confirmed!", box=at(340)),
              TextChange(kind="changed", before=panel[1], after="Reference FA-XK2RYU", box=at(366))] + \
        [TextChange(kind="appeared", after=line, box=at(460 + 26 * i)) for i, line in enumerate(panel)] + \
        [TextChange(kind="disappeared", before=line, box=at(392 + 26 * (i - 2))) for i, line in enumerate(panel) if i >= 2]
    inserted = VisibleChange(changed_fraction=0.04, regions=[PBox(x=740, y=330, width=240, height=260)], texts=pushed)
    confirm = Point(x=830, y=500)
    assert text_shift(inserted) == 120
    still = replayed(_action(ActionType.CLICK, confirm), _event("click", 0.9, scroll_dy=-118), inserted, None, None, None, 1.0)
    assert still.type == ActionType.CLICK
