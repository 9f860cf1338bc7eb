"""What real (small, local) models answer, and how the roles cope: one test per kind seen.

The model is faked only at the provider boundary (the scripted provider); parsing, edits, the
page check, the continuation of cut-off pages and the judge are the real ones.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from iwr.agents.page_check import missing_assets, missing_id_notes, missing_ids, page_notes
from iwr.agents.roles import LLMAnalyst, LLMCoder, join_continuation
from iwr.benchmark.task import Action, ActionParameters, Point, Resolution, TaskInputs
from iwr.graphs import EventSummary, FailedStep, KeyframeRef, PerceptionSummary, SelfTestVerdict
from iwr.tools.llm import LLMGateway, LLMSettings, ModelError, extract_code, extract_json
from iwr.tools.llm.fake_server import FakeOpenAIServer
from iwr.tools.llm.parsing import close_cut_page, loop_start

RES = Resolution(width=400, height=240)
PAGE = "<!DOCTYPE html>\n<html><body>\n<button id=\"add\">Add</button>\n<div id=\"out\">0</div>\n</body></html>"


def _gateway(tmp: Path, script: dict) -> LLMGateway:
    path = tmp / "script.json"
    path.write_text(json.dumps(script))
    return LLMGateway(LLMSettings(model=f"scripted/{path}", cache=False), transcript_path=tmp / "transcript.jsonl")


def _requests(tmp: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp / "transcript.jsonl").read_text().splitlines()]


def _inputs(tmp: Path) -> TaskInputs:
    (tmp / "stage" / "assets").mkdir(parents=True, exist_ok=True)
    return TaskInputs(task_id="t", resolution=RES, video=tmp / "stage" / "video.mp4", assets=[], contact_sheets=[])


def _frame(path: Path, total: str) -> Path:
    img = Image.new("RGB", (RES.width, RES.height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.rectangle([40, 100, 160, 140], fill=(220, 220, 220), outline=(0, 0, 0))
    d.text((60, 40), f"Total {total}", fill=(0, 0, 0), font_size=28)
    d.text((70, 110), "Add", fill=(0, 0, 0), font_size=20)
    img.save(path)
    return path


@pytest.fixture
def perception(tmp_path: Path) -> PerceptionSummary:
    frames = [_frame(tmp_path / f"kf{i}.png", str(i)) for i in range(2)]
    return PerceptionSummary(
        duration=2.0,
        keyframes=[KeyframeRef(index=i, time=float(i), path=p) for i, p in enumerate(frames)],
        events=[EventSummary(index=0, kind="click", start=0.5, end=0.9, point=Point(x=100, y=120), click=True,
                             before_keyframe=0, after_keyframe=1)],
    )


def _draft(tmp: Path, perception: PerceptionSummary, answers: list) -> str:
    gw = _gateway(tmp, {"draft": answers})
    return asyncio.run(LLMCoder(gw).draft(_inputs(tmp), perception, [], [], tmp / "iter_0")).html


# ---------------------------------------------------------------- code fences and prose


def test_missing_opening_fence_still_gives_the_page(tmp_path: Path, perception: PerceptionSummary) -> None:
    assert _draft(tmp_path, perception, [PAGE + "\n```\n"]) == PAGE
    assert extract_code("<style>b{}</style>\n<div id=\"x\">1</div>\n```") == "<style>b{}</style>\n<div id=\"x\">1</div>"
    assert extract_code("```html\n" + PAGE) == PAGE  # the closing fence missing, the document whole


def test_prose_around_the_code_is_dropped(tmp_path: Path, perception: PerceptionSummary) -> None:
    answer = "Sure! Here is the page you asked for:\n\n```html\n" + PAGE + "\n```\n\nThe button adds one to the total."
    assert _draft(tmp_path, perception, [answer]) == PAGE
    assert extract_code("Here it is: " + PAGE + " Hope it helps.") == PAGE


# ---------------------------------------------------------------- cut-off pages


def test_page_cut_off_by_the_length_limit_is_continued(tmp_path: Path, perception: PerceptionSummary) -> None:
    head, tail = PAGE[:40], PAGE[40:]
    answers = [{"text": "```html\n" + head, "finish_reason": "length"}, {"text": "```html\n" + PAGE[15:40] + tail + "\n```"}]
    assert _draft(tmp_path, perception, answers) == PAGE  # the repeated overlap is dropped once
    calls = _requests(tmp_path)
    assert len(calls) == 2 and calls[1]["messages"][-2]["role"] == "assistant"
    assert "cut off" in json.dumps(calls[1]["messages"][-1])


def test_continuation_is_bounded(tmp_path: Path, perception: PerceptionSummary) -> None:
    cut = {"text": "```html\n<!DOCTYPE html><html><body><div>", "finish_reason": "length"}
    with pytest.raises(ModelError) as info:
        _draft(tmp_path, perception, [cut, cut, cut, cut])
    assert info.value.kind == "unparseable" and len(_requests(tmp_path)) == 3  # the answer + 2 continuations


def test_page_cut_off_in_a_counting_loop_keeps_the_page_without_the_loop(tmp_path: Path, perception: PerceptionSummary) -> None:
    """Seen with the 0.5B model: after the page's head it wrote `<img src="assets/asset_001.png">`,
    `asset_002`, ... until the token limit; continuing would only count on."""
    head = "```html\n<!DOCTYPE html>\n<html><head><style>\n.pad { display: grid; }\n</style></head>\n<body>\n<h1>CalcPad</h1>\n"
    loop = "".join(f'    <img src="assets/asset_{i:03d}.png" class="keyframe {i - 1}">\n' for i in range(1, 140))
    page = _draft(tmp_path, perception, [{"text": head + loop + '    <img src="assets/asset_1', "finish_reason": "length"}])
    assert len(_requests(tmp_path)) == 1  # not continued
    assert "<h1>CalcPad</h1>" in page and "asset_001.png" in page and "asset_002" not in page
    assert page.rstrip().endswith("</body></html>")


def test_loop_inside_a_style_block_closes_the_style() -> None:
    rule = "        .cell {\n            width: 64px;\n            background-color: #b6bfca;\n        }\n"
    text = "```html\n<!DOCTYPE html><html><head><style>\nbody { margin: 0; }\n" + rule * 12 + "        .ce"
    cut = loop_start(text)
    assert cut is not None and text[:cut].count(".cell") == 1
    page = close_cut_page(text[:cut])
    assert page is not None and page.endswith("</style></body></html>") and "body { margin: 0; }" in page


def test_a_short_list_or_a_complete_line_run_is_not_a_loop() -> None:
    buttons = "".join(f"<button>{d}</button>\n" for d in range(7)) + "<butt"  # seven alike lines: content, not a loop
    assert loop_start("<!DOCTYPE html><html><body>\n" + buttons) is None
    assert loop_start("<div>\n" + "\n" * 30) is None  # blank lines are no loop
    assert close_cut_page("I cannot help with that.") is None  # nothing of a page to keep


def test_join_continuation_without_overlap() -> None:
    assert join_continuation("<div>ab", "c</div>") == "<div>abc</div>"


# ---------------------------------------------------------------- edits


def _verdict() -> SelfTestVerdict:
    return SelfTestVerdict(iteration=0, score=0.0, ifs=0.0, failures=[FailedStep(index=1, description="Click Add")])


def test_edit_whose_search_text_is_not_in_the_page(tmp_path: Path, perception: PerceptionSummary) -> None:
    good = "<<<<<<< SEARCH\n<div id=\"out\">0</div>\n=======\n<div id=\"out\">1</div>\n>>>>>>> REPLACE\n"
    bad = "<<<<<<< SEARCH\n<span class=\"total\">0</span>\n=======\n<span>1</span>\n>>>>>>> REPLACE\n"
    whole = "I rewrote it:\n```html\n" + PAGE.replace("Add", "Plus") + "\n```"
    gw = _gateway(tmp_path, {"repair": [bad + good, bad, whole, bad, "Sorry, I cannot.", whole]})
    coder, inputs = LLMCoder(gw), _inputs(tmp_path)
    fixed = asyncio.run(coder.repair(inputs, PAGE, _verdict(), perception, "search_replace"))
    assert fixed.edits_applied == 1 and fixed.edits_failed == 1 and '<div id="out">1</div>' in fixed.html
    # nothing applied: the whole page is asked for once, and used
    retried = asyncio.run(coder.repair(inputs, PAGE, _verdict(), perception, "search_replace"))
    assert "Plus" in retried.html and (retried.edits_applied, retried.edits_failed, retried.usage.calls) == (0, 1, 2)
    asked = json.dumps(_requests(tmp_path)[2]["messages"])
    assert "Rewrite the page" in asked and "SEARCH part must match" not in asked  # the whole-page prompt
    with pytest.raises(ModelError, match="1 did not match"):  # and no page either: the loop keeps the best page
        asyncio.run(coder.repair(inputs, PAGE, _verdict(), perception, "search_replace"))
    rewritten = asyncio.run(coder.repair(inputs, PAGE, _verdict(), perception, "search_replace"))
    assert "Plus" in rewritten.html and rewritten.edits_applied == 0  # a whole page instead of edits is used


# ---------------------------------------------------------------- scripts and missing ids

BROKEN = """<!DOCTYPE html><html><body>
<button id="add" style="font-size:24px">Add five</button><div id="total" style="font-size:32px">Total: 0</div>
<script>let n = 0;
document.getElementById('add').onclick = () => { n += 5; document.getElementById('display').textContent = 'Total: ' + n; };
</script></body></html>"""


def test_missing_ids_are_found_and_shown_to_the_repair(tmp_path: Path, perception: PerceptionSummary) -> None:
    assert missing_ids(BROKEN) == ["display"]
    assert missing_ids(BROKEN.replace("'display'", "'total'")) == []
    made = "<script>const d = document.createElement('p'); d.id = 'late'; document.getElementById('late')</script>"
    assert missing_ids(made) == []
    edit = "<<<<<<< SEARCH\n<div id=\"total\"\n=======\n<div id=\"display\"\n>>>>>>> REPLACE\n"
    gw = _gateway(tmp_path, {"repair": [edit]})
    fixed = asyncio.run(LLMCoder(gw).repair(_inputs(tmp_path), BROKEN, _verdict(), perception, "search_replace"))
    assert missing_ids(fixed.html) == []
    prompt = json.dumps(_requests(tmp_path)[0]["messages"])
    assert missing_id_notes(BROKEN)[0].replace('"', '\\"') in prompt


async def _reference_states(page: Path, out: Path) -> list[Path]:
    """Screenshots of the working page before and after the click: what a recording shows."""
    from iwr.tools.browser import launch_browser
    from iwr.tools.local_server import serve_directory

    shots = [out / "state_0.png", out / "state_1.png"]
    with serve_directory(page) as site:
        async with launch_browser() as browser:
            tab = await browser.new_page(viewport={"width": RES.width, "height": RES.height})
            await tab.goto(site.url("index.html"))
            await tab.screenshot(path=str(shots[0]))
            await tab.click("#add")
            await tab.screenshot(path=str(shots[1]))
    return shots


@pytest.mark.timeout(300)
def test_self_test_fails_the_step_a_missing_id_breaks(tmp_path: Path) -> None:
    from iwr.benchmark.judge import Judge, JudgeConfig
    from iwr.benchmark.judge.types import Trajectory

    plan = [Action(type="Click", parameters=ActionParameters(description="Click the Add five button"),
                   logical_assertion="The display reads Total: 5")]
    pages = {"broken": BROKEN, "fixed": BROKEN.replace("'display'", "'total'")}
    for name, html in pages.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.html").write_text(html)

    async def run() -> list[float]:
        checkpoints = await _reference_states(tmp_path / "fixed", tmp_path)
        trajectory = Trajectory(name="self-test", actions=plan, checkpoints=checkpoints)
        scores = []
        async with Judge(JudgeConfig(visual=False, probes=False, action_timeout=10.0)) as judge:
            for name in pages:
                result = await judge.judge(tmp_path / name, trajectory, RES, None, tmp_path / f"o_{name}", "t")
                scores.append(result.scores.ifs)
        return scores

    assert asyncio.run(run()) == [0.0, 1.0]


# ---------------------------------------------------------------- JSON plans


def test_json_plan_with_trailing_commas_and_comments(tmp_path: Path, perception: PerceptionSummary) -> None:
    answer = """Here is the plan:
```json
[
  // the user adds one
  {"type": "Click", "description": "Click the Add button", "assertion": "Total 1, not 0", "keyframe": 1,},
  /* nothing else happens */
]
```"""
    gw = _gateway(tmp_path, {"analyse": [answer]})
    plan = asyncio.run(LLMAnalyst(gw).analyse(_inputs(tmp_path), perception, []))
    assert [a.parameters.description for a in plan.actions] == ["Click the Add button"]
    assert plan.actions[0].logical_assertion == "Total 1, not 0" and plan.keyframes == [1]
    assert extract_json('{"url": "http://x/y", "n": [1, 2,],}') == {"url": "http://x/y", "n": [1, 2]}


def test_invented_asset_files_are_named_to_the_repair() -> None:
    html = '<img src="assets/logo.png"><img src="assets/001.png"><div style="background:url(assets/002.png)"></div>'
    assert missing_assets(html, ["logo.png", "key.png"]) == ["001.png", "002.png"]
    notes = page_notes(html, ["logo.png", "key.png"])
    assert notes == ["the page uses assets/001.png, assets/002.png, which do not exist; the only asset files are: logo.png, key.png"]


def test_a_plan_cut_off_by_the_length_limit_keeps_its_whole_steps(tmp_path: Path, perception: PerceptionSummary) -> None:
    step = '{"type": "Click", "description": "Click the Add button", "keyframe": 1}'
    cut = {"text": "```json\n[\n  " + step + ",\n  " + step.replace("Add", "Clear") + ",\n  {\"type\": \"Cli",
           "finish_reason": "length"}
    gw = _gateway(tmp_path, {"analyse": [cut, {"text": "[\n  {\"type\": \"Cli"}]})
    analyst = LLMAnalyst(gw)
    plan = asyncio.run(analyst.analyse(_inputs(tmp_path), perception, []))
    assert [a.parameters.description for a in plan.actions] == ["Click the Add button", "Click the Clear button"]
    assert _requests(tmp_path)[0]["params"]["max_tokens"] == 2048  # the plan's own cap
    with pytest.raises(ModelError):  # not cut off by the limit: a broken answer stays an error
        asyncio.run(analyst.analyse(_inputs(tmp_path), perception, []))


# ---------------------------------------------------------------- loops stopped while streaming


def _streaming_draft(tmp: Path, perception: PerceptionSummary, entry: dict) -> tuple[str, FakeOpenAIServer, dict]:
    with FakeOpenAIServer({"draft": [entry]}) as srv:
        gw = LLMGateway(LLMSettings(model=srv.model, api_base=srv.api_base, api_key="x", cache=False),
                        transcript_path=tmp / "transcript.jsonl")
        assert gw.settings.stop_loops  # a model on this machine streams by default
        html = asyncio.run(LLMCoder(gw).draft(_inputs(tmp), perception, [], [], tmp / "iter_0")).html
    return html, srv, _requests(tmp)[-1]


def test_a_runaway_loop_is_stopped_while_it_streams(tmp_path: Path, perception: PerceptionSummary) -> None:
    """Seen with the 0.5B model: three drafts in four ran to the 4,096-token cap in a loop. The
    stream is closed once the loop is long, the server stops writing, and the page is kept."""
    head = "```html\n<!DOCTYPE html>\n<html><body>\n<h1>CalcPad</h1>\n"
    loop = "".join(f'    <img src="assets/asset_{i:03d}.png" class="keyframe k{i}">\n' for i in range(1, 400))
    page, srv, call = _streaming_draft(tmp_path, perception, {"text": head + loop, "chunk_delay": 0.002})
    total = len(head + loop) // 16
    (written, whole), = srv.streams
    assert not whole and written < total / 2  # the server was hung up on well before the end
    assert call["response"]["finish_reason"] == "loop" and len(srv.requests) == 1  # not continued
    assert 0 < call["response"]["usage"]["completion_tokens"] <= written
    assert "<h1>CalcPad</h1>" in page and "asset_001.png" in page and "asset_002" not in page
    assert page.rstrip().endswith("</body></html>")


def test_a_page_of_alike_rows_streams_to_its_end(tmp_path: Path, perception: PerceptionSummary) -> None:
    cells = "".join('    <div class="cell"></div>\n' for _ in range(36))  # a 6x6 board written out
    answer = "```html\n<!DOCTYPE html>\n<html><body>\n<div class=\"board\">\n" + cells + "</div>\n</body></html>\n```"
    page, srv, call = _streaming_draft(tmp_path, perception, {"text": answer, "usage": [120, 80]})
    assert srv.streams[0][1] and call["response"]["finish_reason"] == "stop"
    assert page.count('class="cell"') == 36 and call["response"]["usage"]["completion_tokens"] == 80


def test_only_models_on_this_machine_stream_by_default() -> None:
    assert LLMSettings(model="openai/x", api_base="http://127.0.0.1:8731/v1").stop_loops
    assert not LLMSettings(model="openai/gpt-4o").stop_loops
    assert not LLMSettings(model="openai/x", api_base="http://127.0.0.1:8731/v1", stop_loops=False).stop_loops


def test_a_loop_within_one_line_is_a_loop_and_is_stopped_while_it_streams(tmp_path: Path, perception: PerceptionSummary) -> None:
    """Seen with the 0.5B model on flight-booking: an <img> tag whose alt text it wrote 60 times
    in one line, until the 4,096-token limit (750 s of a single-shot cell)."""
    head = "```html\n<!DOCTYPE html>\n<html><body>\n<h1>FlightAway</h1>\n<img src=\"assets/asset_001.png\""
    unit = ' alt="Prices include all taxes and fees shown at checkout."'
    text = head + unit * 60 + ' alt="Pri'
    cut = loop_start(text)
    assert cut is not None and text[:cut].startswith(head[:-1]) and text[:cut].count("Prices include") == 1  # one round kept
    assert loop_start(head + "\n<p>" + "-" * 40) is None  # a page cut off in a rule of dashes is no loop
    page, srv, call = _streaming_draft(tmp_path, perception, {"text": head + unit * 200, "chunk_delay": 0.001})
    (written, whole), = srv.streams
    assert not whole and written < len(unit * 200) / 16 / 2 and call["response"]["finish_reason"] == "loop"
    assert "<h1>FlightAway</h1>" in page and page.count("Prices include") == 1
