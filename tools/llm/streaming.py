"""Read a streamed answer and stop it when the model has fallen into a loop.

A small model that starts repeating a block of lines rarely stops before its token limit:
measured on this machine, three in four of a 0.5B model's page drafts ran to the 4,096-token
cap, most of it one block over and over, at 4-9 tokens/s. Reading the answer as it streams
and closing the stream once the loop is long enough saves those minutes; the answer then
ends with `finish_reason="loop"` and is handled like one cut off by its length limit.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from .parsing import loop_start

LOOP_STOP_CHARS = 2000  # a loop is stopped once its repeats (after the first round) are this long
LOOP_FINISH_REASON = "loop"
CHECK_EVERY = 32  # content chunks between loop checks within a line (lines are checked as they end)


def runaway_loop(text: str) -> bool:
    """Whether the answer so far ends in a loop whose repeats already span LOOP_STOP_CHARS: long
    enough that a page of repeated rows written on purpose (a board of identical cells) is not
    mistaken for one, short next to the thousands of tokens a loop runs on for."""
    cut = loop_start(text)
    return cut is not None and len(text) - cut >= LOOP_STOP_CHARS


@dataclass(frozen=True)
class StreamedAnswer:
    """What a stream delivered: its text, why it ended, its usage when the server sent one
    (None when the stream was closed early), and how many content chunks arrived."""

    text: str
    finish_reason: str | None
    usage: Any
    model: str | None
    chunks: int


async def read_stream(stream: AsyncIterator[Any], stop: Callable[[str], bool] = runaway_loop) -> StreamedAnswer:
    """Collect an OpenAI-style chunk stream; `stop(text)` is asked at each new line (and every
    CHECK_EVERY chunks, for a loop within one line) and ends the read (and closes the stream,
    so the server stops generating) when it says so."""
    parts: list[str] = []
    finish: str | None = None
    usage: Any = None
    model: str | None = None
    chunks = 0
    try:
        async for chunk in stream:
            model = getattr(chunk, "model", None) or model
            usage = getattr(chunk, "usage", None) or usage
            for choice in getattr(chunk, "choices", None) or []:
                delta = getattr(choice, "delta", None)
                piece = getattr(delta, "content", None) or ""
                finish = getattr(choice, "finish_reason", None) or finish
                if piece:
                    parts.append(piece)
                    chunks += 1
                    if ("\n" in piece or chunks % CHECK_EVERY == 0) and stop("".join(parts)):
                        return StreamedAnswer("".join(parts), LOOP_FINISH_REASON, None, model, chunks)
    finally:
        closer = getattr(stream, "aclose", None)
        if callable(closer):
            with contextlib.suppress(Exception):
                await closer()
    return StreamedAnswer("".join(parts), finish, usage, model, chunks)


__all__ = ["LOOP_FINISH_REASON", "LOOP_STOP_CHARS", "StreamedAnswer", "read_stream", "runaway_loop"]
