"""Public data types of the LLM gateway: messages, settings, responses, errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, model_validator

from ...core.errors import IwrError

ErrorKind = Literal[
    "api",  # any other provider error
    "rate_limit",  # 429 (retried)
    "timeout",  # request exceeded settings.timeout (retried)
    "connection",  # could not reach the endpoint (retried)
    "server",  # 5xx (retried)
    "bad_request",  # a request the provider (or LiteLLM) refused as malformed (not retried)
    "context_window",  # the request exceeds the model's context window (not retried)
    "not_found",  # the provider does not know the model (404, not retried)
    "auth",  # missing, bad or refused credentials (not retried)
    "empty",  # no choices or empty content
    "unparseable",  # the text has no usable code/JSON (raised by parsing helpers)
    "script_exhausted",  # the scripted provider has no answer left for a purpose
]

RETRYABLE_KINDS: frozenset[str] = frozenset({"rate_limit", "timeout", "connection", "server"})
# Errors the same request meets again: never retried; the run's fuse counts them.
NON_HEALING_KINDS: frozenset[str] = frozenset({"auth", "not_found", "bad_request", "context_window"})


class TextPart(BaseModel):
    """A text segment of a message."""

    text: str


class ImagePart(BaseModel):
    """An image given by file path or raw bytes (PNG/JPEG/WebP/...).

    `kind` drives the image budget: contact sheets are kept first, frames are sampled
    evenly to fill the rest (see `tools.llm.images.apply_image_budget`).
    """

    path: Path | None = None
    data: bytes | None = None
    detail: str | None = None  # OpenAI "low" | "high" | "auto"; passed through when set
    kind: Literal["contact_sheet", "frame"] = "frame"

    @model_validator(mode="after")
    def _one_source(self) -> ImagePart:
        if self.path is None and self.data is None:
            raise ValueError("ImagePart needs a path or data")
        return self

    def read(self) -> bytes:
        """The image bytes (from `data`, else read from `path`)."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return Path(self.path).read_bytes()


class Message(BaseModel):
    """One chat message; `content` is a string or a list of text and image parts."""

    role: Literal["system", "user", "assistant"]
    content: list[TextPart | ImagePart] | str

    def parts(self) -> list[TextPart | ImagePart]:
        """The content as a list of parts."""
        return [TextPart(text=self.content)] if isinstance(self.content, str) else list(self.content)


class Usage(BaseModel):
    """Model usage of one call or summed over calls (the one usage type of the project).

    `cost_usd=None` means unknown, and stays unknown in any sum (never reported as 0);
    `cached_calls` counts calls answered from the cache, which cost nothing now."""

    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        cost = None if self.cost_usd is None or other.cost_usd is None else self.cost_usd + other.cost_usd
        return Usage(
            calls=self.calls + other.calls,
            cached_calls=self.cached_calls + other.cached_calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=cost,
        )


class LLMResponse(BaseModel):
    """The text answer of one call, with its usage and whether it came from the cache."""

    text: str
    usage: Usage
    model: str
    cached: bool = False
    finish_reason: str | None = None  # "stop", "length", "loop" (stopped while repeating itself), ...
    purpose: str

    @property
    def cut_off(self) -> bool:
        """Whether the answer ended before the model finished it (its length limit or a loop)."""
        return self.finish_reason in ("length", "loop")


class PurposeTotals(BaseModel):
    """Accumulated calls of one purpose. Tokens and cost count fresh (non-cached) calls only:
    a cache hit costs nothing now (its original usage stays on the response)."""

    calls: int = 0
    cached_calls: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0  # sum over fresh calls whose cost is known
    unknown_cost_calls: int = 0  # fresh calls whose cost is unknown (cost_usd excludes them)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else default


REMOTE_TIMEOUT = 300.0  # seconds per request to a provider
# A model on this machine (one CPU thread, ~60-100 prompt tokens/s, 8-30 generated tokens/s)
# needs minutes for a 6,000-token prompt and a 4,096-token page; 300 s cut its drafts off.
LOCAL_TIMEOUT = 1800.0
REMOTE_MAX_TOKENS = 16384  # output tokens per call to a provider
# A small model on this machine that starts repeating itself runs on to the end of its context
# (measured: a calc-pad draft past 5,400 tokens at 7 tokens/s); a page fits in 4,096.
LOCAL_MAX_TOKENS = 4096


def serves_locally(api_base: str | None) -> bool:
    """Whether an endpoint is on this machine (a loopback host)."""
    host = (urlsplit(api_base).hostname or "") if api_base else ""
    return host == "localhost" or host == "::1" or host.startswith("127.")


class LLMSettings(BaseModel):
    """How to reach a model and how to call it."""

    model: str  # "provider/model": "openai/gpt-4o", "anthropic/claude-...", "scripted/<file.yaml>"
    api_base: str | None = None
    api_key: str | None = Field(default=None, repr=False)  # never logged or written
    temperature: float = 0.0
    max_tokens: int = Field(default_factory=lambda: _env_int("IWR_LLM_MAX_TOKENS", 0))  # per call; 0: by where the model runs
    timeout: float = Field(default=0.0, ge=0)  # seconds per request; 0: REMOTE_TIMEOUT, or LOCAL_TIMEOUT on this machine
    reasoning_effort: Literal["low", "medium", "high"] | None = None
    thinking_budget: int | None = None
    max_retries: int = Field(default=5, ge=0)
    retry_max_wait: float = Field(default=60.0, ge=0)
    retry_base_wait: float = Field(default=1.0, ge=0)  # first backoff step, doubled per attempt
    cache: bool = True
    max_images: int = Field(default=70, ge=0)
    max_image_side: int | None = None
    prices: tuple[float, float] | None = None  # $ per input token, $ per output token
    seed: int | None = None  # sampling seed, sent to providers that take one (OpenAI-compatible APIs)
    stop_loops: bool | None = None  # stream the answer and stop it in a runaway loop; None: on this machine only

    @model_validator(mode="after")
    def _defaults_by_place(self) -> LLMSettings:
        local = serves_locally(self.api_base)
        if not self.timeout:
            self.timeout = LOCAL_TIMEOUT if local else REMOTE_TIMEOUT
        if not self.max_tokens:
            self.max_tokens = LOCAL_MAX_TOKENS if local else REMOTE_MAX_TOKENS
        if self.stop_loops is None:
            self.stop_loops = local
        return self

    @property
    def provider(self) -> str:
        """The part of `model` before the first '/' ("openai", "scripted", ...)."""
        return self.model.split("/", 1)[0] if "/" in self.model else ""


class ModelError(IwrError):
    """A model call that failed for good (after retries), or an unusable answer.

    `kind` is one of `ErrorKind`; `purpose` is the call's purpose tag; `attempts` how many
    requests were made.
    """

    def __init__(self, message: str, *, kind: str = "api", purpose: str = "", attempts: int = 0):
        super().__init__(message)
        self.kind = kind
        self.purpose = purpose
        self.attempts = attempts

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS

    def __str__(self) -> str:
        where = f" [{self.purpose}]" if self.purpose else ""
        return f"{self.kind}{where}: {super().__str__()}"


class ProviderFault(IwrError):
    """A provider-level failure classified by kind (raised by scripted provider and by the
    gateway's classification of LiteLLM errors); `retry_after` in seconds when known."""

    def __init__(self, kind: str, message: str = "", retry_after: float | None = None):
        super().__init__(message or kind)
        self.kind = kind
        self.retry_after = retry_after
