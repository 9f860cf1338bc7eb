"""The scripted provider: answers by purpose and order from a file, faults, no network."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from iwr.tools.llm import LLMGateway, LLMSettings, Message, ModelError, ScriptedProvider

SCRIPT = """
draft:
  - "```html\\n<!DOCTYPE html><html><body>v0</body></html>\\n```"
repair:
  - {error: rate_limit}
  - {error: server}
  - {text: "fixed", prompt_tokens: 1200, completion_tokens: 300}
  - {error: bad_request}
  - {error: empty}
default:
  - "fallback-1"
  - "fallback-2"
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "script.yaml"
    path.write_text(SCRIPT)
    return path


def gateway(path: Path, **kw: object) -> LLMGateway:
    return LLMGateway(LLMSettings(model=f"scripted/{path}", retry_base_wait=0.001, retry_max_wait=0.01, **kw))


def ask(gw: LLMGateway, purpose: str, text: str = "q", **overrides: object):
    return asyncio.run(gw.complete([Message(role="user", content=text)], purpose, **overrides))


def test_answers_by_purpose_and_order_then_default(script: Path) -> None:
    gw = gateway(script)
    assert "v0" in ask(gw, "draft").text
    assert ask(gw, "draft").text == "fallback-1"  # draft used up -> default
    assert ask(gw, "analyse").text == "fallback-2"
    with pytest.raises(ModelError) as info:
        ask(gw, "critic")
    assert info.value.kind == "script_exhausted" and info.value.purpose == "critic"
    assert gw.scripted is not None and gw.scripted.calls == ["draft", "draft", "analyse", "critic"]


def test_scripted_faults_are_retried_or_reported(script: Path) -> None:
    gw = gateway(script)
    r = ask(gw, "repair")
    assert r.text == "fixed" and (r.usage.prompt_tokens, r.usage.completion_tokens) == (1200, 300)
    assert r.usage.cost_usd == 0.0
    with pytest.raises(ModelError) as bad:
        ask(gw, "repair", "again")
    assert bad.value.kind == "bad_request" and bad.value.attempts == 1
    with pytest.raises(ModelError) as empty:
        ask(gw, "repair", "third")
    assert empty.value.kind == "empty"
    assert gw.totals["repair"].calls == 3 and gw.totals["repair"].failed_calls == 2


def test_retry_cap_applies_to_scripted_faults(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"default": [{"error": "timeout"}] * 3 + ["late"]}))
    with pytest.raises(ModelError) as info:
        ask(gateway(path, max_retries=2), "draft")
    assert info.value.kind == "timeout" and info.value.attempts == 3


def test_user_prices_apply_to_scripted_usage(script: Path) -> None:
    gw = gateway(script, prices=(1e-6, 2e-6))
    ask(gw, "repair")
    assert gw.totals["repair"].cost_usd == pytest.approx(1200e-6 + 600e-6)


def test_cache_works_with_scripted_answers(script: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    first = ask(LLMGateway(LLMSettings(model=f"scripted/{script}"), cache_path=cache), "draft")
    resumed = LLMGateway(LLMSettings(model=f"scripted/{script}"), cache_path=cache)
    again = ask(resumed, "draft")
    assert again.cached and again.text == first.text
    assert resumed.scripted is not None and resumed.scripted.calls == []


def test_invalid_scripts_are_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("draft:\n  - {error: meteor}\n")
    with pytest.raises(ValueError, match="meteor"):
        gateway(bad)
    with pytest.raises(ValueError):
        ScriptedProvider.from_mapping({"draft": [42]})  # type: ignore[list-item]


def test_scripted_calls_never_import_litellm(script: Path) -> None:
    code = (
        "import asyncio, sys\n"
        "from iwr.tools.llm import LLMGateway, LLMSettings, Message\n"
        f"gw = LLMGateway(LLMSettings(model='scripted/{script}'))\n"
        "r = asyncio.run(gw.complete([Message(role='user', content='q')], 'draft'))\n"
        "print('litellm' in sys.modules, 'v0' in r.text)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]
