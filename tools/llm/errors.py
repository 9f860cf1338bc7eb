"""What went wrong with a model call, by kind: classification of LiteLLM/OpenAI errors.

Kinds that can heal (rate limits, timeouts, connection errors, 5xx) are retried by the gateway;
kinds that cannot (missing or rejected credentials, an unknown model, a malformed request, a
context window exceeded) fail at once. A failure that happened before any request left the
machine (LiteLLM reports a missing OpenAI key as a 500, a missing Gemini key as a connection
error) is never retried: it is `auth` when the model's credentials are missing, else
`bad_request`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .types import NON_HEALING_KINDS, RETRYABLE_KINDS, ProviderFault

# One line per kind: what it means and what to do, shown next to the provider's message.
KIND_HELP: dict[str, str] = {
    "auth": "the provider got no credentials or rejected them: set the model's key variable or pass --api-key",
    "not_found": "the provider does not know this model (or --api-base points at the wrong path): check the model name",
    "bad_request": "the provider refused the request as malformed",
    "context_window": "the request is larger than the model's context window",
    "rate_limit": "rate limited by the provider (retried, and the retries ran out)",
    "timeout": "the model did not answer in time (retried, and the retries ran out)",
    "connection": "the endpoint could not be reached (retried, and the retries ran out)",
    "server": "the provider failed with a server error (retried, and the retries ran out)",
    "api": "the provider returned an unexpected error",
    "empty": "the model returned no content",
    "unparseable": "the answer held no usable code or JSON",
    "script_exhausted": "the scripted provider had no answer left",
}

# Kinds that say nothing about the agent: the model was never really asked. A cell that failed
# with one of them is run again on --resume.
PROVIDER_KINDS: frozenset[str] = frozenset({"auth", "not_found", "rate_limit", "timeout", "connection", "server"})

_STATUS_KINDS = {400: "bad_request", 401: "auth", 403: "auth", 404: "not_found", 408: "timeout", 413: "context_window",
                 422: "bad_request", 429: "rate_limit"}
_PREFIX = re.compile(r"^(?:[\w.]+(?:Error|Exception): )+")


def kind_is_retryable(kind: str) -> bool:
    return kind in RETRYABLE_KINDS


def kind_heals(kind: str) -> bool:
    """False for errors that the same request will meet again (no retry, and the fuse counts them)."""
    return kind not in NON_HEALING_KINDS


def provider_message(exc: BaseException) -> str:
    """The first line of the error without LiteLLM's class-name prefixes (at most 500 characters)."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    return _PREFIX.sub("", text.splitlines()[0]).strip()[:500] or type(exc).__name__


def _header(exc: BaseException, name: str) -> str | None:
    for holder in (getattr(exc, "response", None), exc):
        headers = getattr(holder, "headers", None)
        if headers:
            try:
                value = headers.get(name) or headers.get(name.lower())
            except Exception:  # noqa: BLE001 - odd header containers
                value = None
            if value:
                return str(value)
    hidden = getattr(exc, "litellm_response_headers", None)
    if hidden:
        value = hidden.get(name) or hidden.get(name.lower())
        if value:
            return str(value)
    return None


def retry_after_seconds(exc: BaseException) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (numeric) headers, if any."""
    ms = _header(exc, "retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = _header(exc, "retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            return None
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    """The exceptions behind `exc` (its __cause__/__context__ chain, without `exc`)."""
    out: list[BaseException] = []
    seen = {id(exc)}
    cur = exc.__cause__ or exc.__context__
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _network_classes() -> tuple[type[BaseException], ...]:
    import httpx
    import openai

    classes: list[type[BaseException]] = [openai.APIStatusError, openai.APIConnectionError, httpx.HTTPError, OSError]
    try:
        import aiohttp

        classes.append(aiohttp.ClientError)
    except ImportError:  # pragma: no cover - aiohttp comes with litellm
        pass
    return tuple(classes)


def _connection_failure(causes: list[BaseException]) -> bool:
    import httpx
    import openai

    return any(isinstance(c, (httpx.ConnectError, ConnectionError)) or (
        isinstance(c, openai.APIConnectionError) and not isinstance(c, openai.APITimeoutError)) for c in causes)


def _class_kind(exc: BaseException) -> str:
    import litellm

    kinds: list[tuple[type[BaseException], str]] = [
        (litellm.RateLimitError, "rate_limit"),
        (litellm.Timeout, "timeout"),
        (litellm.ContextWindowExceededError, "context_window"),
        (litellm.NotFoundError, "not_found"),
        (litellm.AuthenticationError, "auth"),
        (litellm.PermissionDeniedError, "auth"),
        (litellm.BadRequestError, "bad_request"),
        (litellm.UnprocessableEntityError, "bad_request"),
        (litellm.InternalServerError, "server"),
        (litellm.ServiceUnavailableError, "server"),
        (litellm.BadGatewayError, "server"),
        (litellm.APIConnectionError, "connection"),
    ]
    for cls, name in kinds:
        if isinstance(exc, cls):
            return name
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return _STATUS_KINDS.get(status, "server" if status >= 500 else "api")
    return "api"


def classify_litellm_error(exc: BaseException, credentials_missing: Callable[[], bool] | None = None) -> ProviderFault:
    """Map a LiteLLM/OpenAI exception to a ProviderFault kind (see the module docstring).

    `credentials_missing` tells whether the model's credentials are absent; it is asked only for
    failures that never reached the network.
    """
    kind = _class_kind(exc)
    causes = _causes(exc)
    if kind in RETRYABLE_KINDS | {"api"} and causes:
        if not any(isinstance(c, _network_classes()) for c in causes):
            kind = "auth" if credentials_missing is not None and credentials_missing() else "bad_request"
        elif kind == "server" and _connection_failure(causes):
            kind = "connection"  # LiteLLM reports a refused connection as InternalServerError
    return ProviderFault(kind, provider_message(exc), retry_after=retry_after_seconds(exc))
