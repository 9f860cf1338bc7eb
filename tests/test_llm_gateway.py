"""The LLM gateway through the real HTTP path: LiteLLM -> FakeOpenAIServer on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import site
import time
from pathlib import Path

import pytest
from PIL import Image
from structlog.testing import capture_logs

from iwr.tools.llm import (
    FakeOpenAIServer,
    ImagePart,
    LLMGateway,
    LLMResponse,
    LLMSettings,
    Message,
    ModelError,
    TextPart,
    read_transcript,
)

FAST = {"retry_base_wait": 0.01, "retry_max_wait": 2.0, "timeout": 5.0}


def settings(srv: FakeOpenAIServer, **kw: object) -> LLMSettings:
    return LLMSettings(model=srv.model, api_base=srv.api_base, api_key="test-key", **{**FAST, **kw})


def ask(gw: LLMGateway, text: str = "hello", purpose: str = "draft", **overrides: object):
    return asyncio.run(gw.complete([Message(role="user", content=text)], purpose, **overrides))


def png(path: Path, size: tuple[int, int], color: tuple[int, int, int]) -> Path:
    Image.new("RGB", size, color).save(path, format="PNG")
    return path


def sent_images(body: dict) -> list[bytes]:
    out = []
    for m in body["messages"]:
        if isinstance(m["content"], list):
            out.extend(base64.b64decode(p["image_url"]["url"].split(",", 1)[1]) for p in m["content"] if p["type"] == "image_url")
    return out


def test_success_returns_text_usage_and_sends_the_purpose() -> None:
    with FakeOpenAIServer({"draft": ["<html>page</html>"]}, usage=(120, 30)) as srv:
        r = ask(LLMGateway(settings(srv)), "make a page")
    assert r.text == "<html>page</html>" and r.purpose == "draft" and not r.cached
    assert (r.usage.prompt_tokens, r.usage.completion_tokens) == (120, 30)
    assert r.finish_reason == "stop"
    assert srv.purposes == ["draft"]
    assert srv.requests[0]["messages"] == [{"role": "user", "content": "make a page"}]
    assert srv.requests[0]["temperature"] == 0.0


def test_cache_hit_repeats_no_request_even_from_a_new_gateway(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    with FakeOpenAIServer(["first", "second", "third"]) as srv:
        gw = LLMGateway(settings(srv), cache_path=cache)
        a, b = ask(gw), ask(gw)
        resumed = ask(LLMGateway(settings(srv), cache_path=cache), purpose="repair")
        assert len(srv.requests) == 1
        salted = ask(gw, cache_salt="retry-1")
        uncached = ask(LLMGateway(settings(srv, cache=False), cache_path=cache))
        assert len(srv.requests) == 3
    assert (a.text, a.cached) == ("first", False)
    assert (b.text, b.cached) == ("first", True)
    assert (resumed.text, resumed.cached, resumed.purpose) == ("first", True, "repair")
    assert salted.text == "second" and uncached.text == "third"
    t = gw.totals["draft"]
    assert (t.calls, t.cached_calls) == (3, 1)
    assert t.prompt_tokens == 200  # cached calls add no tokens


def test_cache_key_changes_with_parameters_and_image_content(tmp_path: Path) -> None:
    img = png(tmp_path / "a.png", (20, 20), (255, 0, 0))
    msgs = [Message(role="user", content=[TextPart(text="x"), ImagePart(path=img)])]
    with FakeOpenAIServer(["1", "2", "3", "4"]) as srv:
        gw = LLMGateway(settings(srv), cache_path=tmp_path / "c.sqlite")

        async def run() -> list[str]:
            out = [(await gw.complete(msgs, "draft")).text]
            out.append((await gw.complete(msgs, "draft", temperature=0.5)).text)
            png(img, (20, 20), (0, 255, 0))  # same path, new content
            out.append((await gw.complete(msgs, "draft")).text)
            out.append((await gw.complete(msgs, "draft")).text)
            return out

        texts = asyncio.run(run())
    assert texts == ["1", "2", "3", "3"]
    assert srv.requests[1]["temperature"] == 0.5


def test_concurrent_calls_share_the_cache_file(tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    with FakeOpenAIServer([str(i) for i in range(8)]) as srv:
        gw1, gw2 = LLMGateway(settings(srv), cache_path=cache), LLMGateway(settings(srv), cache_path=cache)

        async def run() -> list[LLMResponse]:
            calls = [g.complete([Message(role="user", content=f"q{i}")], "draft") for i in range(4) for g in (gw1, gw2)]
            return list(await asyncio.gather(*calls))

        asyncio.run(run())
        sent = len(srv.requests)
        again = asyncio.run(run())
        assert len(srv.requests) == sent  # the second round is answered from the cache only
    assert all(r.cached for r in again)
    # both gateways see one stable answer per prompt
    assert [r.text for r in again[0::2]] == [r.text for r in again[1::2]]


def test_rate_limit_honours_retry_after_then_succeeds() -> None:
    with FakeOpenAIServer([{"fault": "rate_limit", "retry_after": 1}, "ok"]) as srv:
        gw = LLMGateway(settings(srv))
        with capture_logs() as logs:
            t0 = time.monotonic()
            r = ask(gw, purpose="analyse")
            elapsed = time.monotonic() - t0
    assert r.text == "ok" and len(srv.requests) == 2
    assert elapsed >= 0.9
    retries = [e for e in logs if e["event"] == "llm.retry"]
    assert len(retries) == 1
    assert retries[0]["purpose"] == "analyse" and retries[0]["attempt"] == 1
    assert retries[0]["wait"] == pytest.approx(1.0) and retries[0]["kind"] == "rate_limit"
    assert retries[0]["error"].startswith("rate_limit: ") and "rate limited" in retries[0]["error"]


def test_server_error_retried_then_succeeds() -> None:
    with FakeOpenAIServer([{"fault": "server"}, {"fault": "server"}, "ok"]) as srv:
        r = ask(LLMGateway(settings(srv)))
    assert r.text == "ok" and len(srv.requests) == 3


def test_timeout_retried_then_succeeds() -> None:
    with FakeOpenAIServer([{"fault": "delay", "seconds": 3}, "ok"]) as srv:
        t0 = time.monotonic()
        r = ask(LLMGateway(settings(srv, timeout=0.5)))
        elapsed = time.monotonic() - t0
    assert r.text == "ok" and len(srv.requests) == 2
    assert elapsed < 2.5


def test_retries_are_capped() -> None:
    with FakeOpenAIServer([{"fault": "server"}] * 5) as srv:
        gw = LLMGateway(settings(srv, max_retries=2))
        with pytest.raises(ModelError) as info:
            ask(gw, purpose="repair")
    assert info.value.kind == "server" and info.value.attempts == 3
    assert info.value.purpose == "repair"
    assert len(srv.requests) == 3
    assert gw.totals["repair"].failed_calls == 1


def test_bad_request_is_not_retried() -> None:
    with FakeOpenAIServer([{"fault": "bad_request"}, "never"]) as srv, pytest.raises(ModelError) as info:
        ask(LLMGateway(settings(srv)))
    assert info.value.kind == "bad_request" and info.value.attempts == 1
    assert len(srv.requests) == 1


@pytest.mark.parametrize("fault", ["empty_choices", "empty_content"])
def test_empty_answer_is_a_model_error(fault: str, tmp_path: Path) -> None:
    with FakeOpenAIServer([{"fault": fault}, "later"]) as srv:
        gw = LLMGateway(settings(srv), cache_path=tmp_path / "c.sqlite")
        with pytest.raises(ModelError) as info:
            ask(gw)
        assert info.value.kind == "empty"
        assert ask(gw).text == "later"  # the failure was not cached


def test_cost_unknown_for_unregistered_model_and_computed_with_user_prices() -> None:
    with FakeOpenAIServer(["a", "b"], usage=(1000, 200)) as srv:
        unknown = ask(LLMGateway(settings(srv)))
        gw = LLMGateway(settings(srv, prices=(2e-6, 8e-6)))
        priced = ask(gw)
    assert unknown.usage.cost_usd is None
    assert priced.usage.cost_usd == pytest.approx(1000 * 2e-6 + 200 * 8e-6)
    assert gw.totals["draft"].cost_usd == pytest.approx(0.0036)


def test_cost_from_litellm_price_map_for_a_known_model() -> None:
    with FakeOpenAIServer(["a"], usage=(1000, 100)) as srv:
        gw = LLMGateway(LLMSettings(model="openai/gpt-4o-mini", api_base=srv.api_base, api_key="k", **FAST))
        r = ask(gw)
    assert r.usage.cost_usd is not None and r.usage.cost_usd > 0


def test_usage_totals_by_purpose() -> None:
    with FakeOpenAIServer({"draft": ["d1", "d2"], "repair": ["r1", {"fault": "bad_request"}]}, usage=(10, 5)) as srv:
        gw = LLMGateway(settings(srv))
        ask(gw, "a", "draft"), ask(gw, "b", "draft"), ask(gw, "c", "repair")
        with pytest.raises(ModelError):
            ask(gw, "d", "repair")
    totals = gw.totals
    assert set(totals) == {"draft", "repair"}
    assert (totals["draft"].calls, totals["draft"].prompt_tokens, totals["draft"].completion_tokens) == (2, 20, 10)
    assert (totals["repair"].calls, totals["repair"].failed_calls, totals["repair"].prompt_tokens) == (2, 1, 10)
    assert totals["draft"].unknown_cost_calls == 2
    whole = gw.total()
    assert (whole.calls, whole.prompt_tokens) == (4, 30)


def test_transcript_has_requests_and_responses_with_images_hashed(tmp_path: Path) -> None:
    img = png(tmp_path / "frame.png", (32, 16), (10, 20, 30))
    transcript = tmp_path / "run" / "transcript.jsonl"
    msgs = [Message(role="system", content="be brief"),
            Message(role="user", content=[TextPart(text="describe"), ImagePart(path=img)])]
    with FakeOpenAIServer(["answer", {"fault": "bad_request"}]) as srv:
        gw = LLMGateway(settings(srv), transcript_path=transcript)

        async def run() -> None:
            await gw.complete(msgs, "analyse")
            with pytest.raises(ModelError):
                await gw.complete(msgs, "analyse", temperature=0.3)

        asyncio.run(run())
    text = transcript.read_text()
    assert "base64" not in text
    records = read_transcript(transcript)
    assert len(records) == 2
    ok, bad = records
    assert ok["purpose"] == "analyse" and ok["response"]["text"] == "answer"
    image = ok["messages"][1]["content"][1]
    assert image == {"image_sha256": hashlib.sha256(img.read_bytes()).hexdigest(), "path": str(img)}
    assert ok["messages"][0] == {"role": "system", "content": "be brief"}
    assert bad["error"]["kind"] == "bad_request" and "response" not in bad


def test_image_budget_keeps_contact_sheets_then_even_frames(tmp_path: Path) -> None:
    sheets = [ImagePart(data=png(tmp_path / f"s{i}.png", (8, 8), (200, i, 0)).read_bytes(),
                        kind="contact_sheet") for i in range(2)]
    frames = [ImagePart(path=png(tmp_path / f"f{i}.png", (8, 8), (0, i * 10, 0))) for i in range(10)]
    msgs = [Message(role="user", content=[TextPart(text="frames:"), *frames, TextPart(text="sheets:"), *sheets])]
    with FakeOpenAIServer(["ok"]) as srv:
        asyncio.run(LLMGateway(settings(srv, max_images=5)).complete(msgs, "draft"))
    got = sent_images(srv.requests[0])
    expect = [frames[i].read() for i in (0, 4, 9)] + [s.read() for s in sheets]
    assert [hashlib.sha256(g).hexdigest() for g in got] == [hashlib.sha256(e).hexdigest() for e in expect]


def test_images_resized_to_max_side(tmp_path: Path) -> None:
    big = png(tmp_path / "big.png", (400, 200), (1, 2, 3))
    jpg = tmp_path / "photo.jpg"
    Image.new("RGB", (300, 600), (50, 60, 70)).save(jpg, format="JPEG")
    msgs = [Message(role="user", content=[ImagePart(path=big), ImagePart(path=jpg, detail="high")])]
    with FakeOpenAIServer(["ok"]) as srv:
        asyncio.run(LLMGateway(settings(srv, max_image_side=100)).complete(msgs, "visual"))
    parts = srv.requests[0]["messages"][0]["content"]
    assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert parts[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert parts[1]["image_url"]["detail"] == "high"
    sizes = [Image.open(io.BytesIO(b)).size for b in sent_images(srv.requests[0])]
    assert sizes == [(100, 50), (50, 100)]


def test_reasoning_effort_only_sent_where_supported() -> None:
    with FakeOpenAIServer(["a", "b"]) as srv:
        for model in ("openai/gpt-4o-mini", "openai/o3-mini"):
            gw = LLMGateway(LLMSettings(model=model, api_base=srv.api_base, api_key="k", reasoning_effort="low", **FAST))
            ask(gw)
    plain, reasoning = srv.requests
    assert "reasoning_effort" not in plain
    assert reasoning["reasoning_effort"] == "low"


def test_seed_is_sent_only_when_set_and_keys_the_cache(tmp_path: Path) -> None:
    with FakeOpenAIServer(["a", "b", "c"]) as srv:
        for seed in (None, 7, 7, 8):
            gw = LLMGateway(LLMSettings(model=srv.model, api_base=srv.api_base, api_key="k", seed=seed, **FAST),
                            cache_path=tmp_path / "cache.sqlite")
            ask(gw)
    assert [r.get("seed") for r in srv.requests] == [None, 7, 8]  # the second seed-7 call came from the cache


def test_unknown_override_is_rejected() -> None:
    gw = LLMGateway(LLMSettings(model="openai/x", api_base="http://127.0.0.1:9/v1"))
    with pytest.raises(TypeError):
        ask(gw, temprature=0.2)


def test_connection_refused_is_retried_then_reported() -> None:
    with FakeOpenAIServer([]) as srv:
        base = srv.api_base  # the port is closed once the server stops
    gw = LLMGateway(LLMSettings(model="openai/fake-model", api_base=base, api_key="k", max_retries=1, **{**FAST, "timeout": 2.0}))
    with pytest.raises(ModelError) as info:
        ask(gw)
    assert info.value.kind == "connection" and info.value.attempts == 2


# The names of the .pth files allowed in site-packages (they run code at every Python start).
ALLOWED_PTH = ("distutils-precedence.pth", "__editable__.iwr-*.pth", "_sandboxing_egress_ca.pth")


def test_no_unexpected_pth_files_in_site_packages() -> None:
    import fnmatch

    found = sorted({p.name for d in site.getsitepackages() for p in Path(d).glob("*.pth")})
    unexpected = [n for n in found if not any(fnmatch.fnmatch(n, pat) for pat in ALLOWED_PTH)]
    assert unexpected == [], f"unexpected .pth files in site-packages: {unexpected}"


def test_thinking_budget_maps_to_anthropic_thinking_without_temperature() -> None:
    claude = LLMGateway(LLMSettings(model="anthropic/claude-3-7-sonnet-20250219", thinking_budget=2048))
    params = claude._request_params(claude.settings)
    assert params["thinking"] == {"type": "enabled", "budget_tokens": 2048} and "temperature" not in params
    plain = LLMGateway(LLMSettings(model="openai/gpt-4o-mini", thinking_budget=2048, temperature=0.3))
    params = plain._request_params(plain.settings)
    assert "thinking" not in params and params["temperature"] == 0.3


def test_budget_selection_prefers_contact_sheets_and_spreads_frames() -> None:
    from iwr.tools.llm.images import evenly_spaced, select_images

    assert evenly_spaced(10, 3) == [0, 4, 9] and evenly_spaced(5, 9) == [0, 1, 2, 3, 4]
    assert evenly_spaced(7, 1) == [3] and evenly_spaced(7, 0) == []
    parts = [ImagePart(data=b"f") for _ in range(6)] + [ImagePart(data=b"s", kind="contact_sheet") for _ in range(3)]
    assert select_images(parts, 2) == {6, 7}  # sheets first, even over budget
    assert select_images(parts, 5) == {6, 7, 8, 0, 5}


def test_a_model_on_this_machine_gets_a_longer_default_timeout_and_a_smaller_output_cap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen with the 0.5B model on one thread: a 6,000-token prompt and a 4,096-token page took
    more than the 300 s a provider gets, so every attempt of the draft timed out; and a draft
    that looped ran past 5,400 tokens at 7 tokens/s with the providers' output cap."""
    from iwr.tools.llm.types import LOCAL_MAX_TOKENS, LOCAL_TIMEOUT, REMOTE_MAX_TOKENS, REMOTE_TIMEOUT

    monkeypatch.delenv("IWR_LLM_MAX_TOKENS", raising=False)
    assert LLMSettings(model="openai/gpt-4o").max_tokens == REMOTE_MAX_TOKENS
    assert LLMSettings(model="openai/q", api_base="http://127.0.0.1:8731/v1").max_tokens == LOCAL_MAX_TOKENS < REMOTE_MAX_TOKENS
    monkeypatch.setenv("IWR_LLM_MAX_TOKENS", "2000")
    assert LLMSettings(model="openai/q", api_base="http://127.0.0.1:8731/v1").max_tokens == 2000  # asked for: kept

    assert LLMSettings(model="openai/gpt-4o").timeout == REMOTE_TIMEOUT
    assert LLMSettings(model="openai/gpt-4o", api_base="https://api.example.com/v1").timeout == REMOTE_TIMEOUT
    for base in ("http://127.0.0.1:8731/v1", "http://localhost:11434/v1", "http://[::1]:8000/v1"):
        assert LLMSettings(model="openai/q", api_base=base).timeout == LOCAL_TIMEOUT > REMOTE_TIMEOUT
    assert LLMSettings(model="openai/q", api_base="http://127.0.0.1:8731/v1", timeout=5).timeout == 5  # asked for: kept
