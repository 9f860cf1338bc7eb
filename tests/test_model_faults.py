"""Model faults through the real HTTP path (LiteLLM -> FakeOpenAIServer on 127.0.0.1, or no
server at all): which kinds are retried, how many requests each costs, what the error says."""

from __future__ import annotations

import asyncio
import os

import pytest
from structlog.testing import capture_logs

from iwr.tools.llm import FakeOpenAIServer, LLMGateway, LLMSettings, Message, ModelError
from iwr.tools.llm.errors import PROVIDER_KINDS, kind_heals

FAST = {"retry_base_wait": 0.01, "retry_max_wait": 0.05, "timeout": 5.0, "max_retries": 3}


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_AUTH_TOKEN")):
            monkeypatch.delenv(name)


def call(settings: LLMSettings) -> tuple[ModelError, list[dict]]:
    """The ModelError of one call and the gateway's log lines."""
    with capture_logs() as logs, pytest.raises(ModelError) as info:
        asyncio.run(LLMGateway(settings).complete([Message(role="user", content="make a page")], "draft"))
    return info.value, logs


def events(logs: list[dict], name: str) -> list[dict]:
    return [e for e in logs if e["event"] == name]


@pytest.mark.parametrize("fault, kind, text", [
    ("auth", "auth", "Incorrect API key"),
    ("not_found", "not_found", "does not exist"),
    ("bad_request", "bad_request", "bad request"),
    ("context_window", "context_window", "maximum context length"),
])
def test_errors_that_cannot_heal_are_sent_once_and_say_what_happened(fault: str, kind: str, text: str) -> None:
    with FakeOpenAIServer([{"fault": fault}, "never sent"]) as srv:
        err, logs = call(LLMSettings(model=srv.model, api_base=srv.api_base, api_key="k", **FAST))
    assert (err.kind, err.attempts, len(srv.requests)) == (kind, 1, 1)
    assert text in str(err) and str(err).startswith(f"{kind} [draft]")
    assert not events(logs, "llm.retry")
    [failed] = events(logs, "llm.failed")
    assert failed["kind"] == kind and failed["retried"] is False
    assert not kind_heals(kind)


def test_a_wrong_key_is_refused_by_the_server_and_not_retried() -> None:
    with FakeOpenAIServer(["never"], api_key="sk-right") as srv:
        err, _ = call(LLMSettings(model=srv.model, api_base=srv.api_base, api_key="sk-wrong", **FAST))
    assert (err.kind, err.attempts, srv.refused, len(srv.requests)) == ("auth", 1, 1, 0)
    assert "Incorrect API key" in str(err)


def test_an_unknown_model_is_refused_by_the_server_and_not_retried() -> None:
    with FakeOpenAIServer(["never"], models=["fake-model"]) as srv:
        err, _ = call(LLMSettings(model="openai/fake-modle", api_base=srv.api_base, api_key="k", **FAST))
    assert (err.kind, err.attempts, srv.refused) == ("not_found", 1, 1)
    assert "fake-modle" in str(err)


def test_a_missing_openai_key_fails_at_once_as_auth_without_any_request() -> None:
    # LiteLLM raises this as an InternalServerError (500): it must not be retried
    with FakeOpenAIServer(["never"]) as srv:
        err, logs = call(LLMSettings(model=srv.model, api_base=srv.api_base, **FAST))
    assert (err.kind, err.attempts, len(srv.requests)) == ("auth", 1, 0)
    assert "OPENAI_API_KEY" in str(err) and not events(logs, "llm.retry")


def test_a_missing_gemini_key_fails_at_once_as_auth() -> None:
    # LiteLLM raises this one as an APIConnectionError, also before any request
    err, logs = call(LLMSettings(model="gemini/gemini-2.5-flash", **FAST))
    assert (err.kind, err.attempts) == ("auth", 1)
    assert "GEMINI_API_KEY" in str(err) and not events(logs, "llm.retry")


def test_a_rate_limit_storm_that_heals_is_retried_through() -> None:
    storm = [{"fault": "rate_limit", "retry_after": 0.01}] * 3
    with FakeOpenAIServer(storm + ["the page"]) as srv, capture_logs() as logs:
        r = asyncio.run(LLMGateway(LLMSettings(model=srv.model, api_base=srv.api_base, api_key="k", **FAST)).complete(
            [Message(role="user", content="make a page")], "draft"))
    assert r.text == "the page" and len(srv.requests) == 4
    retries = events(logs, "llm.retry")
    assert [e["attempt"] for e in retries] == [1, 2, 3] and all(e["wait"] <= 0.05 for e in retries)
    assert not events(logs, "llm.failed")


def test_a_server_error_storm_that_does_not_heal_stops_after_the_retries() -> None:
    with FakeOpenAIServer([{"fault": "server"}] * 10) as srv:
        err, logs = call(LLMSettings(model=srv.model, api_base=srv.api_base, api_key="k", **FAST))
    assert (err.kind, err.attempts, len(srv.requests)) == ("server", 4, 4)
    assert len(events(logs, "llm.retry")) == 3 and len(events(logs, "llm.failed")) == 1
    assert kind_heals("server") and "server" in PROVIDER_KINDS


def test_an_unreachable_api_base_is_retried_as_a_connection_error() -> None:
    with FakeOpenAIServer([]) as srv:
        base = srv.api_base  # closed once the server stops
    err, logs = call(LLMSettings(model="openai/fake-model", api_base=base, api_key="k", **{**FAST, "max_retries": 1}))
    assert (err.kind, err.attempts) == ("connection", 2) and len(events(logs, "llm.retry")) == 1


def test_scripted_faults_of_every_non_healing_kind_are_not_retried(tmp_path) -> None:  # noqa: ANN001
    script = tmp_path / "s.yaml"
    script.write_text("draft:\n  - {error: not_found}\n  - never\n")
    err, _ = call(LLMSettings(model=f"scripted/{script}", **FAST))
    assert (err.kind, err.attempts) == ("not_found", 1)
