"""Video-derived assertions: what a recording shows changing at each perceived event, checked on
pages of known quality (the recorded counter app and its defective twins, real Chromium)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from video_tasks import TALLY_ID, record_tally, tally_page

from iwr.benchmark.dataset import load_task
from iwr.benchmark.judge.judge import Judge, JudgeConfig
from iwr.benchmark.judge.types import AssertionVerdict, JudgeResult, Trajectory
from iwr.benchmark.judge.video_assertions import changed_tokens, merge_verdicts
from iwr.benchmark.judge.video_keys import typed_key
from iwr.benchmark.video_judge import VideoSource, judge_against_video, source_of_task, video_plan_of
from iwr.tools.ocr import OcrCache
from iwr.tools.perception.types import PBox
from iwr.tools.perception.visible_change import TextChange, VisibleChange


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VideoSource, Trajectory, Path]]:
    base = tmp_path_factory.mktemp("tally")
    task = load_task(record_tally(base), TALLY_ID)
    source = source_of_task(task)
    trajectory = video_plan_of(source, cache_root=base / "plans", ocr_cache=OcrCache(base / "ocr"))
    yield source, trajectory, base


def _judge(source: VideoSource, trajectory: Trajectory, pages: dict[str, Path], out: Path) -> dict[str, JudgeResult]:
    async def run() -> dict[str, JudgeResult]:
        config = JudgeConfig(visual=False, probes=False, ocr_cache_dir=out / "ocr")
        async with Judge(config) as judge:
            return {name: await judge_against_video(judge, source, trajectory, page, out / name)
                    for name, page in pages.items()}

    return asyncio.run(run())


def test_plan_states_what_the_recording_shows(recorded: tuple[VideoSource, Trajectory, Path]) -> None:
    _, trajectory, _ = recorded
    assert trajectory.source == "video" and [a.type.value for a in trajectory.actions] == ["Click"] * 3
    assert len(trajectory.expected_changes) == 3 and all(c is not None for c in trajectory.expected_changes)
    first = trajectory.expected_changes[0]
    assert first is not None and first.changed
    gained, lost = changed_tokens(first)
    assert "1" in gained and "0" in lost  # 'Count 0' became 'Count 1'
    assert "added" in gained  # 'Nothing yet' became 'Added one'
    assert "Count 1" in first.describe() or "count 1" in first.describe().lower()
    third = trajectory.expected_changes[2]
    assert third is not None and "cleared" in changed_tokens(third)[0]
    # no ground truth was read: the checkpoints are the video's keyframes
    assert all(c is not None and "keyframe_" in c.name for c in trajectory.checkpoints)


def test_pages_of_known_quality(recorded: tuple[VideoSource, Trajectory, Path]) -> None:
    source, trajectory, base = recorded
    pages = {
        "reference": tally_page(base / "pages" / "reference"),
        "no-ten": tally_page(base / "pages" / "no-ten", ten=""),  # a missing handler at step 2
        "adds-two": tally_page(base / "pages" / "adds-two", add=2),  # a logic error at step 1
        "stuck-note": tally_page(base / "pages" / "stuck-note", note_line=""),  # the count right, the note never changes
    }
    blank = base / "pages" / "blank"
    blank.mkdir(parents=True)
    (blank / "index.html").write_text("<!doctype html><html><body></body></html>")
    pages["blank"] = blank
    results = _judge(source, trajectory, pages, base / "judged")

    ref = results["reference"]
    assert ref.protocol.name == "video" and ref.scores.ifs == 1.0, [s.assertion for s in ref.steps]
    assert all(s.assertion is not None and s.assertion.method == "video" for s in ref.steps)
    assert results["adds-two"].success_steps == 0  # 'Count 2' where the video shows 'Count 1'
    assert "numbers do not change alike" in results["adds-two"].steps[0].assertion.evidence["reason"]  # type: ignore[union-attr]
    assert results["no-ten"].success_steps == 1  # nothing changes at step 2
    assert results["stuck-note"].success_steps == 0  # 'Added one' never appears, 'Nothing yet' stays
    assert results["blank"].scores.ifs == 0.0


def test_merge_keeps_both_verdicts() -> None:
    yes = AssertionVerdict(method="offline", passed=True, evidence={"reason": "named text"})
    no = AssertionVerdict(method="video", passed=False, evidence={"reason": "not on the page"})
    undecided = AssertionVerdict(method="video", passed=None)
    merged = merge_verdicts(yes, no)
    assert merged is not None and merged.passed is False and merged.method == "offline+video"
    assert merged.evidence["reason"] == "not on the page" and merged.evidence["text"]["passed"] is True
    kept = merge_verdicts(yes, undecided)
    assert kept is not None and kept.passed is True
    assert merge_verdicts(None, no) is no


def test_key_read_from_the_change() -> None:
    box = PBox(x=0, y=0, width=10, height=10)
    typed = VisibleChange(changed_fraction=0.01, texts=[TextChange(kind="changed", before="24", after="245", box=box)])
    assert typed_key(typed) == "5"
    unclear = VisibleChange(changed_fraction=0.01, texts=[TextChange(kind="changed", before="24", after="4.8", box=box)])
    assert typed_key(unclear) is None


def test_words_read_glued_on_one_side_are_the_same_words() -> None:
    from iwr.benchmark.judge.video_assertions import changed_tokens
    from iwr.tools.perception.types import PBox
    from iwr.tools.perception.visible_change import TextChange, VisibleChange

    box = PBox(x=0, y=0, width=300, height=18)
    # a chart title read with its '·' before and without it after; only the period changed
    title = TextChange(kind="changed", before="Revenue by category·West, last 7 days", after="Revenue by categoryWest, last 90 days",
                       box=box)
    assert changed_tokens(VisibleChange(changed_fraction=0.1, texts=[title])) == (Counter({"90": 1}), Counter({"7": 1}))
    moved = [TextChange(kind="disappeared", before="by categoryWest", box=box),
             TextChange(kind="appeared", after="by category West", box=box.model_copy(update={"y": 40}))]
    assert changed_tokens(VisibleChange(changed_fraction=0.1, texts=moved)) == (Counter(), Counter())
    # a game tree's move numbers, some drawn in circles, read glued on one side: only move 7 is new
    tree = TextChange(kind="changed", before="-\u2460-234\u2464\u2465", after="-\u2460-2-3-4-\u2464-6-7", box=box)
    assert changed_tokens(VisibleChange(changed_fraction=0.1, texts=[tree])) == (Counter({"7": 1}), Counter())
    same = TextChange(kind="changed", before="\u2460234-\u24646", after="\u2460-2\u2462-4-\u24646", box=box)
    assert changed_tokens(VisibleChange(changed_fraction=0.1, texts=[same])) == (Counter(), Counter())  # read apart, same digits
    grown = TextChange(kind="changed", before="\u2460-23", after="\u2460-2-3\u2463", box=box)  # glued elsewhere: move 4 is new
    assert changed_tokens(VisibleChange(changed_fraction=0.1, texts=[grown])) == (Counter({"4": 1}), Counter())
    typed = TextChange(kind="changed", before="Qty 12", after="Qty 125", box=box)  # a digit typed: the number is the token
    assert changed_tokens(VisibleChange(changed_fraction=0.1, texts=[typed])) == (Counter({"125": 1}), Counter({"12": 1}))
    # numbers are split only by their own line's other side: '12' here and '1 2' elsewhere are other numbers
    elsewhere = [TextChange(kind="disappeared", before="Total 12", box=box),
                 TextChange(kind="appeared", after="Total 1 2", box=box.model_copy(update={"y": 40}))]
    assert changed_tokens(VisibleChange(changed_fraction=0.1, texts=elsewhere)) == (Counter({"1": 1, "2": 1}), Counter({"12": 1}))


def test_a_line_whole_frame_ocr_missed_on_one_side_is_no_change(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    from iwr.tools.perception.visible_change import read_on_other_side

    font = ImageFont.truetype("DejaVuSans.ttf", 22)
    frames = {}
    for name, label, above in (("shown", "Total 42", ""), ("other", "Total 17", ""), ("blank", "", ""),
                               ("moved up", "", "Total 42 +")):
        im = Image.new("RGB", (400, 120), "white")
        ImageDraw.Draw(im).text((60, 40), label, fill="black", font=font)
        ImageDraw.Draw(im).text((60, 12), above, fill="black", font=font)  # the row above, within the margin
        frames[name] = tmp_path / f"{name}.png"
        im.save(frames[name])
    box = PBox(x=58, y=40, width=100, height=26)
    appeared = TextChange(kind="appeared", after="Total 42", box=box)
    assert read_on_other_side(appeared, frames["shown"], frames["shown"])  # there before too: OCR missed it
    assert not read_on_other_side(appeared, frames["other"], frames["shown"])  # another number before: a change
    assert not read_on_other_side(appeared, frames["blank"], frames["shown"])
    gone = TextChange(kind="disappeared", before="Total 42", box=box)
    assert read_on_other_side(gone, frames["shown"], frames["shown"])
    assert not read_on_other_side(gone, frames["shown"], frames["blank"])
    assert not read_on_other_side(gone, frames["shown"], frames["moved up"])  # a calculator's expression line: another row
    changed = TextChange(kind="changed", before="Total 17", after="Total 42", box=box)
    assert not read_on_other_side(changed, frames["other"], frames["shown"])  # read on both sides: not re-read


def test_a_line_the_candidate_changes_at_the_same_place_holds_its_tokens(tmp_path: Path) -> None:
    """The recording's OCR read two counts side by side as one number ('00'); the candidate's
    DOM holds two '0's. Its screens, read again at the line's place, decide."""
    from PIL import Image, ImageDraw, ImageFont

    from iwr.benchmark.judge.assertion_context import AssertionContext
    from iwr.benchmark.judge.video_assertions import token_checks
    from iwr.tools.perception.visible_change import glyphs, shown_at_place

    font = ImageFont.truetype("DejaVuSans.ttf", 22)

    def screen(name: str, counts: str) -> Path:
        im = Image.new("RGB", (400, 120), "white")
        ImageDraw.Draw(im).text((60, 40), "Captures", fill="black", font=font)
        ImageDraw.Draw(im).text((200, 40), counts, fill="black", font=font)
        path = tmp_path / f"{name}.png"
        im.save(path)
        return path

    one, zero, swapped = screen("one", "0 1"), screen("zero", "0 0"), screen("swapped", "1 0")
    line = TextChange(kind="changed", before="Captures 01", after="Captures 00", box=PBox(x=58, y=40, width=190, height=26))
    assert glyphs("\u2460-2 \u2462") == glyphs("1-23") == "123"  # circled digits are digits; marks and spaces go
    assert shown_at_place(line, one, zero)
    assert not shown_at_place(line, zero, zero)  # nothing changed there
    assert not shown_at_place(line, swapped, zero)  # another value before
    assert not shown_at_place(line, one, swapped)  # another value after

    change = VisibleChange(changed_fraction=0.01, texts=[line])

    def check(before: Path, after: Path, screens_read: bool = True, change: VisibleChange = change,
              dom_after: str = "White 0 Captures Black 0", at_place: bool = True) -> dict[str, tuple[bool, str]]:
        ctx = AssertionContext(assertion="", step=2, action_type="Click", expected_change=change,
                               reference_text_before="Captures 01", reference_text_after="Captures 00",
                               candidate_text_before="White 0 Captures Black 1", candidate_text_after=dom_after,
                               candidate_before=before, candidate_after=after,
                               candidate_ocr_before="Captures" if screens_read else "",
                               candidate_ocr_after="Captures" if screens_read else "")  # whole-screen OCR misses them
        return {c.token: (c.ok, c.source) for c in token_checks(ctx, change, at_place)}

    assert check(one, zero) == {"00": (True, "ocr-place"), "01": (True, "ocr-place")}
    assert check(swapped, zero)["00"] == (False, "dom")  # a page whose counts trade places fails as before
    assert check(one, zero, screens_read=False)["00"] == (False, "dom")  # whole screens are read before any place
    assert check(one, zero, at_place=False)["00"] == (False, "dom")  # a key trial's probe does not read places
    assert check(one, zero, dom_after="")["00"] == (False, "dom")  # a picture of the recording: its DOM holds no text
    twice = VisibleChange(changed_fraction=0.01, texts=[line, TextChange(kind="appeared", after="Best 00",
                                                                         box=PBox(x=58, y=80, width=190, height=26))])
    assert check(one, zero, change=twice)["00"] == (False, "dom")  # two lines hold it: it may have moved between them
