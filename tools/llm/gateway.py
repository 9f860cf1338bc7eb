"""The LLM gateway: one async `complete` for every model call.

LiteLLM `acompletion` (imported lazily, offline price map) with `num_retries=0`; one retry
policy (tenacity) for rate limits, timeouts, connection errors and 5xx, honouring
Retry-After; a content-addressed SQLite cache; token/cost accounting per purpose; image
budgets; thinking control; and a JSON-lines transcript. `scripted/<file>` models are answered
by `ScriptedProvider` without any network.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from .cache import ResponseCache
from .errors import classify_litellm_error
from .limits import ProviderLimits
from .litellm_lib import load_litellm
from .prepare import PreparedMessages, prepare_messages
from .scripted import ScriptedProvider
from .streaming import LOOP_FINISH_REASON, read_stream
from .transcript import Transcript
from .types import RETRYABLE_KINDS, LLMResponse, LLMSettings, Message, ModelError, ProviderFault, PurposeTotals, Usage

log = structlog.get_logger()

PURPOSE_HEADER = "X-IWR-Purpose"
_EXTRA_OVERRIDES = {"cache_salt"}  # complete(**overrides) keys that are not LLMSettings fields


@dataclass(frozen=True)
class _Answer:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    model: str
    litellm_cost: float | None  # from LiteLLM's price map, None when unknown


def _cached_response(raw: str, purpose: str) -> LLMResponse | None:
    try:
        return LLMResponse.model_validate_json(raw).model_copy(update={"cached": True, "purpose": purpose})
    except ValueError:
        log.warning("llm.cache_unreadable", purpose=purpose)
        return None


class LLMGateway:
    """Every model call of a run goes through `complete`.

    The cache is used when `settings.cache` is on and `cache_path` is given; the key is the
    sha256 of model, api_base, sampling/thinking parameters and the messages (images by
    content hash), plus an optional `cache_salt` override to force a distinct call.
    """

    def __init__(self, settings: LLMSettings, *, cache_path: Path | None = None, transcript_path: Path | None = None,
                 limits: ProviderLimits | None = None):
        self.settings = settings
        self._limits = limits
        self._cache = ResponseCache(cache_path) if (settings.cache and cache_path is not None) else None
        self._transcript = Transcript(transcript_path) if transcript_path is not None else None
        self._scripted: ScriptedProvider | None = None
        if settings.provider == "scripted":
            self._scripted = ScriptedProvider.from_file(Path(settings.model.split("/", 1)[1]))
        self._totals: dict[str, PurposeTotals] = {}
        self._lock = threading.Lock()
        self._warned_thinking: set[str] = set()

    @property
    def scripted(self) -> ScriptedProvider | None:
        """The scripted provider, when the model is `scripted/<file>`."""
        return self._scripted

    # -- accounting ------------------------------------------------------------

    @property
    def totals(self) -> dict[str, PurposeTotals]:
        """Per-purpose totals (copies)."""
        with self._lock:
            return {k: v.model_copy() for k, v in self._totals.items()}

    def total(self) -> PurposeTotals:
        """All purposes summed."""
        out = PurposeTotals()
        for t in self.totals.values():
            for field in PurposeTotals.model_fields:
                setattr(out, field, getattr(out, field) + getattr(t, field))
        return out

    def _account(self, purpose: str, usage: Usage | None, *, cached: bool = False, failed: bool = False) -> None:
        with self._lock:
            t = self._totals.setdefault(purpose, PurposeTotals())
            t.calls += 1
            if failed:
                t.failed_calls += 1
                return
            if cached:
                t.cached_calls += 1
                return
            assert usage is not None
            t.prompt_tokens += usage.prompt_tokens
            t.completion_tokens += usage.completion_tokens
            if usage.cost_usd is None:
                t.unknown_cost_calls += 1
            else:
                t.cost_usd += usage.cost_usd

    # -- the call --------------------------------------------------------------

    def _settings_for(self, overrides: dict[str, Any]) -> tuple[LLMSettings, str]:
        unknown = set(overrides) - set(LLMSettings.model_fields) - _EXTRA_OVERRIDES
        if unknown:
            raise TypeError(f"unknown LLM overrides: {sorted(unknown)}")
        salt = str(overrides.pop("cache_salt", "") or "")
        if overrides.get("model", self.settings.model) != self.settings.model:
            raise TypeError("the model cannot be overridden per call; use another gateway")
        settings = LLMSettings.model_validate({**self.settings.model_dump(), **overrides}) if overrides else self.settings
        return settings, salt

    def _thinking_params(self, s: LLMSettings) -> dict[str, Any]:
        if s.reasoning_effort is None and s.thinking_budget is None:
            return {}
        if self._scripted is not None:
            return {"reasoning_effort": s.reasoning_effort, "thinking_budget": s.thinking_budget}
        litellm = load_litellm()
        try:
            litellm.get_model_info(s.model)
            known = True
        except Exception:  # noqa: BLE001 - unknown to the price map
            known = False
        if known and not litellm.supports_reasoning(model=s.model):
            if s.model not in self._warned_thinking:
                self._warned_thinking.add(s.model)
                log.info("llm.thinking_unsupported", model=s.model)
            return {}
        if s.thinking_budget is not None:
            return {"thinking": {"type": "enabled", "budget_tokens": s.thinking_budget}}
        return {"reasoning_effort": s.reasoning_effort}

    def _request_params(self, s: LLMSettings) -> dict[str, Any]:
        params: dict[str, Any] = {"max_tokens": s.max_tokens, **self._thinking_params(s)}
        thinking_on = "thinking" in params or "reasoning_effort" in params
        claude = s.provider == "anthropic" or "claude" in s.model.lower()
        if not (thinking_on and claude):
            params["temperature"] = s.temperature  # Claude's extended thinking needs the default temperature
        if s.seed is not None:
            params["seed"] = s.seed  # LiteLLM drops it for providers without one (drop_params)
        return params

    def _cache_key(self, s: LLMSettings, params: dict[str, Any], prepared: PreparedMessages, salt: str) -> str:
        blob = json.dumps(
            {"model": s.model, "api_base": s.api_base, "params": params, "messages": prepared.keyed, "salt": salt},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _cost(self, s: LLMSettings, answer: _Answer) -> float | None:
        if s.prices is not None:
            return answer.prompt_tokens * s.prices[0] + answer.completion_tokens * s.prices[1]
        if self._scripted is not None:
            return 0.0  # scripted answers are free
        return answer.litellm_cost

    async def complete(self, messages: list[Message], purpose: str, **overrides: Any) -> LLMResponse:
        """Send `messages` and return the answer; raises ModelError when it fails for good.

        `overrides` replace LLMSettings fields for this call (e.g. `temperature=0.7`,
        `cache=False`, `max_tokens=...`), plus `cache_salt="..."` to bypass a cached answer.
        """
        if not messages:
            raise ValueError("complete() needs at least one message")
        s, salt = self._settings_for(dict(overrides))
        prepared = await asyncio.to_thread(prepare_messages, messages, s.max_images, s.max_image_side)
        params = self._request_params(s)
        key = self._cache_key(s, params, prepared, salt)
        record: dict[str, Any] = {
            "purpose": purpose,
            "model": s.model,
            "cache_key": key,
            "params": params,
            "dropped_images": prepared.dropped_images,
            "messages": prepared.logged,
        }
        cache = self._cache if s.cache else None
        if cache is not None:
            hit = await asyncio.to_thread(cache.get, key)
            response = _cached_response(hit, purpose) if hit is not None else None
            if response is not None:
                self._account(purpose, response.usage, cached=True)
                self._write(record | {"cached": True, "response": response.model_dump(mode="json")})
                return response
        started = time.monotonic()
        attempts = 0
        try:
            answer, attempts = await self._call_with_retries(s, purpose, prepared, params)
        except ModelError as e:
            self._account(purpose, None, failed=True)
            log.warning("llm.failed", purpose=purpose, model=s.model, kind=e.kind, attempts=e.attempts,
                        retried=e.attempts > 1, error=str(e))
            self._write(record | {"cached": False, "attempts": e.attempts, "duration_s": round(time.monotonic() - started, 3),
                                  "error": {"kind": e.kind, "message": str(e)}})
            raise
        usage = Usage(calls=1, prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
                      cost_usd=self._cost(s, answer))
        response = LLMResponse(text=answer.text, usage=usage, model=s.model, finish_reason=answer.finish_reason, purpose=purpose)
        if cache is not None:
            await asyncio.to_thread(cache.put, key, s.model, purpose, response.model_dump_json())
        self._account(purpose, usage)
        self._write(record | {"cached": False, "attempts": attempts, "duration_s": round(time.monotonic() - started, 3),
                              "response": response.model_dump(mode="json")})
        return response

    def _write(self, record: dict[str, Any]) -> None:
        if self._transcript is not None:
            self._transcript.write(record)

    async def _call_with_retries(self, s: LLMSettings, purpose: str, prepared: PreparedMessages,
                                 params: dict[str, Any]) -> tuple[_Answer, int]:
        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, ProviderFault) and exc.retry_after is not None:
                return min(exc.retry_after, s.retry_max_wait)
            step = s.retry_base_wait * (2 ** (state.attempt_number - 1))
            return min(s.retry_max_wait, step * (0.5 + random.random() / 2))

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "llm.retry",
                purpose=purpose,
                model=s.model,
                attempt=state.attempt_number,
                max_attempts=s.max_retries + 1,
                wait=round(state.next_action.sleep if state.next_action else 0.0, 3),
                kind=getattr(exc, "kind", None),
                error=f"{getattr(exc, 'kind', 'error')}: {exc}",
            )

        attempts = 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(s.max_retries + 1),
            wait=wait,
            retry=retry_if_exception(lambda e: isinstance(e, ProviderFault) and e.kind in RETRYABLE_KINDS),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    return await self._call_once(s, purpose, prepared, params), attempts
        except ProviderFault as fault:
            raise ModelError(f"{fault} (after {attempts} attempt(s))", kind=fault.kind, purpose=purpose,
                             attempts=attempts) from fault
        except ModelError as e:
            e.attempts = attempts
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _call_once(self, s: LLMSettings, purpose: str, prepared: PreparedMessages, params: dict[str, Any]) -> _Answer:
        async with self._limits.slot(s.provider) if self._limits is not None else contextlib.nullcontext():
            if self._scripted is not None:
                a = self._scripted.answer(purpose)
                answer = _Answer(a.text, a.prompt_tokens, a.completion_tokens, a.finish_reason, s.model, 0.0)
            else:
                answer = await self._call_litellm(s, purpose, prepared, params)
        if not answer.text.strip():
            raise ModelError("the model returned empty content", kind="empty", purpose=purpose)
        return answer

    async def _call_litellm(self, s: LLMSettings, purpose: str, prepared: PreparedMessages, params: dict[str, Any]) -> _Answer:
        litellm = load_litellm()
        kwargs: dict[str, Any] = {
            "model": s.model,
            "messages": prepared.wire,
            "timeout": s.timeout,
            "num_retries": 0,
            "max_retries": 0,
            "drop_params": True,
            **params,
        }
        if s.api_base:  # custom endpoints (proxies, local servers) also get the purpose tag
            kwargs["api_base"] = s.api_base
            kwargs["extra_headers"] = {PURPOSE_HEADER: purpose}
        if s.api_key:
            kwargs["api_key"] = s.api_key
        if s.stop_loops:
            return await self._stream_litellm(litellm, s, purpose, prepared, kwargs)
        try:
            resp = await litellm.acompletion(**kwargs)
        except ModelError:
            raise
        except Exception as exc:
            raise _fault(s, exc) from exc
        choices = getattr(resp, "choices", None) or []
        if not choices:
            raise ModelError("the model returned no choices", kind="empty", purpose=purpose)
        choice = choices[0]
        text = getattr(choice.message, "content", None) or ""
        usage = getattr(resp, "usage", None)
        try:
            cost: float | None = float(litellm.completion_cost(completion_response=resp))
            litellm.get_model_info(s.model)  # raises for a model missing from the price map
        except Exception:  # noqa: BLE001 - unknown price
            cost = None
        return _Answer(
            text=text,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            finish_reason=getattr(choice, "finish_reason", None),
            model=str(getattr(resp, "model", s.model)),
            litellm_cost=cost,
        )

    async def _stream_litellm(self, litellm: Any, s: LLMSettings, purpose: str, prepared: PreparedMessages,
                              kwargs: dict[str, Any]) -> _Answer:
        """The answer read as a stream, closed early when the model loops (`finish_reason="loop"`).
        A stream closed early carries no usage: its tokens are counted (chunks, and the prompt by
        LiteLLM's tokenizer) and priced from LiteLLM's price map when the model is in it."""
        try:
            stream = await litellm.acompletion(**kwargs, stream=True, stream_options={"include_usage": True})
            got = await read_stream(stream)
        except ModelError:
            raise
        except Exception as exc:
            raise _fault(s, exc) from exc
        if got.finish_reason == LOOP_FINISH_REASON:
            log.warning("llm.loop_stopped", purpose=purpose, model=s.model, chars=len(got.text), chunks=got.chunks)
        prompt = int(getattr(got.usage, "prompt_tokens", 0) or 0)
        if not prompt:
            with contextlib.suppress(Exception):
                prompt = int(litellm.token_counter(model=s.model, messages=prepared.wire))
        completion = int(getattr(got.usage, "completion_tokens", 0) or 0) or got.chunks
        try:
            cost: float | None = float(sum(litellm.cost_per_token(model=s.model, prompt_tokens=prompt,
                                                                  completion_tokens=completion)))
        except Exception:  # noqa: BLE001 - unknown price
            cost = None
        return _Answer(text=got.text, prompt_tokens=prompt, completion_tokens=completion,
                       finish_reason=got.finish_reason, model=got.model or s.model, litellm_cost=cost)


def _fault(s: LLMSettings, exc: Exception) -> ProviderFault:
    """A LiteLLM exception as the gateway's error (retryable faults are ProviderFaults)."""
    from .preflight import missing_credentials

    return classify_litellm_error(exc, lambda: bool(missing_credentials(s.model, s.api_key, s.api_base)))


__all__ = ["PURPOSE_HEADER", "LLMGateway", "PreparedMessages", "ProviderLimits", "load_litellm", "prepare_messages"]
