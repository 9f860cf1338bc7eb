"""Per-provider caps on concurrent model requests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class ProviderLimits:
    """Per-provider caps on concurrent model requests, shared by every gateway of a run.

    Built from `{"openai": 4, "default": 8}`: each provider not named gets its own cap of `default`
    (no cap when there is no `default`). Slots are held for one request attempt only, never while a retry
    waits, and cache hits take none. `peak` records the most requests seen in flight per provider.
    """

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self.limits = dict(limits or {})
        bad = {k: v for k, v in self.limits.items() if v < 1}
        if bad:
            raise ValueError(f"model concurrency limits must be >= 1: {bad}")
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._in_flight: dict[str, int] = {}
        self.peak: dict[str, int] = {}

    @classmethod
    def parse(cls, text: str | None) -> ProviderLimits:
        """`"openai=4,default=8"` -> limits (raises ValueError on a malformed entry)."""
        limits: dict[str, int] = {}
        for part in (text or "").split(","):
            if not part.strip():
                continue
            name, sep, value = part.partition("=")
            if not sep or not name.strip() or not value.strip().isdigit():
                raise ValueError(f"bad model concurrency entry {part.strip()!r}: use provider=N[,default=N]")
            limits[name.strip()] = int(value)
        return cls(limits)

    def limit_for(self, provider: str) -> int | None:
        return self.limits.get(provider, self.limits.get("default"))

    @contextlib.asynccontextmanager
    async def slot(self, provider: str) -> AsyncIterator[None]:
        """Hold one request slot of `provider` (waits while the provider is at its cap)."""
        limit = self.limit_for(provider)
        semaphore = None
        if limit is not None:
            semaphore = self._semaphores.get(provider)
            if semaphore is None:
                semaphore = self._semaphores[provider] = asyncio.Semaphore(limit)
            await semaphore.acquire()
        self._in_flight[provider] = self._in_flight.get(provider, 0) + 1
        self.peak[provider] = max(self.peak.get(provider, 0), self._in_flight[provider])
        try:
            yield
        finally:
            self._in_flight[provider] -= 1
            if semaphore is not None:
                semaphore.release()
