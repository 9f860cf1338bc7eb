"""Text-only models: the gateway finds out, the agents get the video as text, the label says so."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from iwr.agents import build_context, resolve_agent
from iwr.agents.roles import LLMCoder
from iwr.benchmark.task import Box, Point, Resolution, TaskInputs
from iwr.errors import IwrError
from iwr.graphs import AssetSighting, EventSummary, KeyframeRef, PerceptionSummary
from iwr.run_types import RunOptions
from iwr.runner import Runner
from iwr.tools.llm import FakeOpenAIServer, LLMGateway, LLMSettings
from iwr.tools.llm.vision import TEXT_ONLY_ENV, context_tokens, image_support, server_props, server_props_url

RES = Resolution(width=480, height=270)
PAGE = "```html\n<!DOCTYPE html><html><body>ok</body></html>\n```"


@pytest.fixture
def llama_props() -> Iterator[str]:
    """A stand-in for llama-server's GET /props (a text-only model), on 127.0.0.1."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"model_alias": "tiny", "modalities": {"vision": False, "audio": False},
                               "default_generation_settings": {"n_ctx": 2048}}).encode()
            self.send_response(200 if self.path == "/props" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server_props.cache_clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server_props.cache_clear()


def test_image_support_from_env_props_and_defaults(llama_props: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert server_props_url("http://h:1/v1/") == "http://h:1/props"
    assert image_support("openai/tiny", llama_props).source == "server /props"
    assert not image_support("openai/tiny", llama_props).images
    monkeypatch.setenv(TEXT_ONLY_ENV, "my-model, other")
    assert image_support("openai/my-model") == image_support("openai/my-model", None)
    assert not image_support("openai/my-model").images
    assert image_support("scripted/x.yaml").images
    assert context_tokens("openai/tiny", llama_props) == 2048  # the server's n_ctx
    assert context_tokens("scripted/x.yaml", llama_props) is None
    with FakeOpenAIServer(["ok"]) as srv:  # no /props: unknown to LiteLLM too, so assumed to take images
        assert image_support(srv.model, srv.api_base).images


def test_text_inputs_are_labelled_and_keep_the_critic_out() -> None:
    assert resolve_agent("iterative", inputs="text").run_name == "iterative+text"
    assert resolve_agent("single-shot", inputs="images").run_name == "single-shot"
    assert resolve_agent("blank", inputs="text").run_name == "blank"  # no model, nothing to label
    with pytest.raises(IwrError, match="critic"):
        resolve_agent("iterative", critic=True, inputs="text")


def test_runner_picks_text_for_a_text_only_model(llama_props: str, tmp_path: Path) -> None:
    opts = RunOptions(agents=["single-shot", "iterative"], models=["openai/tiny"], api_base=llama_props, out=tmp_path)
    runner = Runner(opts, None)
    assert runner.inputs_mode() == "text"
    assert sorted(s.run_name for s in runner._specs()) == ["iterative+text", "single-shot+text"]
    assert Runner(opts.model_copy(update={"inputs": "images"}), None).inputs_mode() == "images"


def _frame(path: Path, total: str, logo: bool) -> Path:
    img = Image.new("RGB", (RES.width, RES.height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.text((40, 30), "Savings calculator", fill=(0, 0, 0), font_size=26)
    d.text((40, 150), f"Total {total}", fill=(20, 20, 120), font_size=30)
    if logo:
        d.rectangle([380, 20, 440, 80], fill=(200, 30, 30))
    img.save(path)
    return path


@pytest.mark.timeout(300)
def test_text_coder_sends_ocr_text_and_no_images(tmp_path: Path) -> None:
    frames = [_frame(tmp_path / "kf0.png", "120", True), _frame(tmp_path / "kf1.png", "480", True)]
    perception = PerceptionSummary(
        duration=2.0,
        keyframes=[KeyframeRef(index=i, time=float(i), path=p) for i, p in enumerate(frames)],
        events=[EventSummary(index=0, kind="click", start=0.5, end=0.9, point=Point(x=60, y=160), click=True,
                             before_keyframe=0, after_keyframe=1)],
    )
    sightings = [AssetSighting(asset="logo.png", keyframe=0, box=Box(x=380, y=20, width=60, height=60))]
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"draft": [PAGE]}))
    gw = LLMGateway(LLMSettings(model=f"scripted/{script}", cache=False), transcript_path=tmp_path / "t.jsonl")
    inputs = TaskInputs(task_id="t", resolution=RES, video=tmp_path / "v.mp4", assets=[], contact_sheets=[])
    asyncio.run(LLMCoder(gw, text_inputs=True).draft(inputs, perception, sightings, [], tmp_path / "iter_0"))
    request = json.loads((tmp_path / "t.jsonl").read_text().splitlines()[0])
    content = request["messages"][0]["content"]
    assert isinstance(content, str), "a text-only request has no image parts"
    assert "No images are attached" in content and "asset logo.png 380,20 60x60" in content
    assert "Savings calculator" in content and "1. 0.5-0.9 s: click" in content  # OCR'd text and the perceived event
    assert content.rstrip().endswith("nothing else.")  # the closing instruction stays last
    second = content[content.rindex("image 2:"):content.rindex("Answer with")]
    assert "480" in second and "+ " in second and "- " in second and "Savings" not in second  # only what changed


def test_build_context_hands_text_inputs_to_the_roles(tmp_path: Path) -> None:
    script = tmp_path / "s.json"
    script.write_text("{}")
    gw = LLMGateway(LLMSettings(model=f"scripted/{script}", cache=False))
    ctx = build_context(resolve_agent("iterative", inputs="text"), work_dir=tmp_path, gateway=gw)
    assert ctx.coder.text_inputs and ctx.analyst is not None and ctx.analyst.text_inputs  # type: ignore[attr-defined]


def test_text_shows_few_keyframes_spread_over_the_recording(tmp_path: Path) -> None:
    from iwr.agents.roles import MAX_TEXT_KEYFRAMES, shown_keyframes

    p = PerceptionSummary(keyframes=[KeyframeRef(index=i, time=float(i), path=tmp_path / f"{i}.png") for i in range(15)])
    spread = [k.index for k in shown_keyframes(p, text_inputs=True)]
    assert len(spread) == MAX_TEXT_KEYFRAMES and spread[0] == 0 and spread[-1] == 14
    assert [k.index for k in shown_keyframes(p)] == list(range(15))  # images: as before


@pytest.mark.timeout(300)
def test_the_text_view_fits_the_models_context(llama_props: str, tmp_path: Path) -> None:
    from iwr.agents.video_text import CHARS_PER_TOKEN, prompt_budget_chars, states_text

    size = Resolution(width=640, height=720)
    img = Image.new("RGB", (size.width, size.height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    for row in range(16):
        d.text((30 + (row % 2) * 320, 20 + row * 44), f"Item {row + 1} costs {17 * (row + 1)} euros", fill=(0, 0, 0), font_size=20)
    img.save(tmp_path / "kf0.png")
    full = asyncio.run(states_text([tmp_path / "kf0.png"], ["image 1"], size))
    assert "Item 16" in full
    budget = len(full) * 2 // 3
    fitted = asyncio.run(states_text([tmp_path / "kf0.png"], ["image 1"], size, max_chars=budget))
    assert len(fitted) <= budget and "more blocks not shown" in fitted and "Item 1 " in fitted  # the first blocks kept
    tiny = asyncio.run(states_text([tmp_path / "kf0.png"], ["image 1"], size, max_chars=300))
    assert len(tiny) <= 300
    # the budget: the server's n_ctx (2048) less the answer's room (the output cap, at most half)
    small_cap = LLMGateway(LLMSettings(model="openai/tiny", api_base=llama_props, max_tokens=512, cache=False))
    assert prompt_budget_chars(small_cap) == int((2048 - 512) * CHARS_PER_TOKEN)
    large_cap = LLMGateway(LLMSettings(model="openai/tiny", api_base=llama_props, max_tokens=16384, cache=False))
    assert prompt_budget_chars(large_cap) == int((2048 - 1024) * CHARS_PER_TOKEN)


def test_the_text_view_lists_no_ocr_jitter_and_each_asset_place_once() -> None:
    from iwr.agents.layout import StateLayout, TextItem
    from iwr.agents.roles import asset_map_text
    from iwr.agents.video_text import describe_states

    def state(k: int, *items: tuple[str, float, float, float]) -> StateLayout:
        texts = [TextItem(text=t, box=Box(x=x, y=y, width=w, height=24), color="#333333", font_px=18 + k % 2)
                 for t, x, y, w in items]
        return StateLayout(keyframe=k, width=480, height=270, background="#ffffff", texts=texts)

    before = state(0, ("Clear history", 683, 464, 100), ("Total 12", 40, 40, 90))
    after = state(1, ("Clear history", 685, 466, 97), ("Total 15", 40, 40, 90), ("Rows", 40, 140, 60))
    moved = state(2, ("Clear history", 685, 506, 97), ("Total 15", 40, 40, 90), ("Rows", 40, 140, 60))
    text = describe_states([before, after, moved], ["image 1", "image 2", "image 3"])
    second = text[text.index("image 2:"):text.index("image 3:")]
    assert "Clear history" not in second  # read 2-3 px and a point size apart: the same label
    assert '+ "Total 15"' in second and '- "Total 12"' in second and '+ "Rows"' in second
    third = text[text.index("image 3:"):]
    assert '+ "Clear history" 685,506' in third and "Total" not in third  # a label 40 px lower did move

    logo = [AssetSighting(asset="logo.png", keyframe=k, box=Box(x=32, y=10, width=36, height=36)) for k in (0, 1, 2, 5)]
    icon = [AssetSighting(asset="icon.png", keyframe=3, box=Box(x=200, y=90, width=20, height=20))]
    listed = asset_map_text(logo + icon, ["spare.png"]).splitlines()
    assert listed == ["- logo.png shown at (32, 10) size 36x36 in keyframes 0-2, 5",
                      "- icon.png shown at (200, 90) size 20x20 in keyframe 3",
                      "- spare.png: not seen in the recording"]
