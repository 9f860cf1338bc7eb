"""Pull an HTML page or a JSON value out of a model answer; truncated answers give None or a
clear `ModelError(kind="unparseable")`."""

from __future__ import annotations

import json
import re
from typing import Any

from .types import ModelError

_FENCE_OPEN = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n", re.MULTILINE)
_FENCE_CLOSE = re.compile(r"^[ \t]*```[ \t]*$", re.MULTILINE)
_DOC_START = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_DOC_END = re.compile(r"</html\s*>", re.IGNORECASE)


def _fenced_blocks(text: str) -> list[tuple[str, str | None]]:
    """(language, body) of each fenced block in order; body None when the block never closes."""
    blocks: list[tuple[str, str | None]] = []
    pos = 0
    while True:
        m = _FENCE_OPEN.search(text, pos)
        if m is None:
            return blocks
        close = _FENCE_CLOSE.search(text, m.end())
        if close is None:
            blocks.append((m.group(1).lower(), None))
            return blocks
        blocks.append((m.group(1).lower(), text[m.end() : close.start()]))
        pos = close.end()


def _looks_like_html(body: str) -> bool:
    return bool(_DOC_START.search(body)) or "<body" in body.lower() or "<div" in body.lower()


def _raw_document(text: str) -> str | None:
    start = _DOC_START.search(text)
    if start is None:
        return None
    ends = list(_DOC_END.finditer(text, start.start()))
    if not ends:
        return None  # truncated: the document never closes
    return text[start.start() : ends[-1].end()]


def _before_stray_fence(text: str) -> str | None:
    """The HTML before a closing fence whose opening fence is missing (`<div>...</div>\n```)."""
    m = _FENCE_CLOSE.search(text)
    if m is None or "```" in text[: m.start()]:
        return None
    head = text[: m.start()]
    start = head.find("<")
    return head[start:].strip() if start >= 0 and _looks_like_html(head) else None


def extract_code(text: str) -> str | None:
    """The HTML of the answer: a ```html block (or an unlabelled block holding a document), else a
    raw `<!DOCTYPE html>...</html>` document (also when a fence around it is missing or never
    closes), else the HTML before a stray closing fence. None when there is none or it is truncated."""
    blocks = _fenced_blocks(text)
    for lang, body in blocks:
        if lang in ("html", "htm", "xhtml") and body is not None and body.strip():
            return body.strip()
    for lang, body in blocks:
        if lang == "" and body is not None and _looks_like_html(body):
            return body.strip()
    return _raw_document(text) or _before_stray_fence(text)


MIN_LOOP_REPEATS = 8  # a block of lines repeated this often at the end of a cut-off answer is a loop
MAX_LOOP_LINES = 40  # the longest block (in lines) looked for
MAX_LOOP_CHARS = 400  # the longest unit (in characters) of a loop within a line looked for
MIN_INLINE_LOOP = 160  # characters a loop within a line spans at least (a rule of dashes is no loop)
_RAW_TEXT_TAGS = ("script", "style")
_NUMBER = re.compile(r"\d+")


def loop_start(text: str) -> int | None:
    """Where a loop at the end of an answer starts repeating (the offset after its first round),
    when its last complete lines are one block of up to MAX_LOOP_LINES lines, not all blank,
    repeated at least MIN_LOOP_REPEATS times; lines compare without indentation and with every
    number alike (a model counting `asset_101`, `asset_102`, ... loops too). None when the tail
    does not loop. A small model cut off by its token limit is often in such a loop, and
    continuing it only loops on. A loop within one line (a phrase written over and over
    without a line break) is found too (`_inline_loop_start`)."""
    return _line_loop_start(text) or _inline_loop_start(text)


def _line_loop_start(text: str) -> int | None:
    lines = text.split("\n")[:-1]  # the last line may be cut mid-way
    key = [_NUMBER.sub("#", line.strip()) for line in lines]
    n = len(key)
    for period in range(1, MAX_LOOP_LINES + 1):
        block = key[n - period :]
        if n < period * MIN_LOOP_REPEATS or not any(block):
            continue
        rounds = 1
        while (rounds + 1) * period <= n and key[n - (rounds + 1) * period : n - rounds * period] == block:
            rounds += 1
        if rounds >= MIN_LOOP_REPEATS:
            kept = n - (rounds - 1) * period  # lines kept: everything up to the end of the first round
            return sum(len(line) + 1 for line in lines[:kept])
    return None


def _inline_loop_start(text: str) -> int | None:
    """The offset after the first round of a unit of 2..MAX_LOOP_CHARS characters that the end
    of `text` repeats exactly at least MIN_LOOP_REPEATS times, over MIN_INLINE_LOOP characters
    at least (the last round may be cut off).
    Seen with the 0.5B model: `alt="Prices include all taxes and fees shown at checkout."`
    written 60 times in one line until the token limit."""
    n = len(text)
    for unit in range(2, MAX_LOOP_CHARS + 1):
        span = max(unit * MIN_LOOP_REPEATS, MIN_INLINE_LOOP)
        if span > n:
            break
        tail = text[n - span :]
        if tail[unit:] != tail[:-unit] or not tail.strip():
            continue
        start = n - span
        while start > 0 and text[start - 1] == text[start - 1 + unit]:  # the loop's true start
            start -= 1
        return start + unit
    return None


def close_cut_page(text: str) -> str | None:
    """The HTML of an answer cut off inside its page (fenced or raw), with an open <script> or
    <style> and the document closed, so a browser shows what was written; None when the answer
    holds no page start."""
    blocks = _fenced_blocks(text)
    if blocks and blocks[-1][1] is None and blocks[-1][0] in ("html", "htm", "xhtml", ""):
        body = text[list(_FENCE_OPEN.finditer(text))[-1].end() :]
    else:
        start = _DOC_START.search(text)
        if start is None:
            return None
        body = text[start.start() :]
    if "<" not in body:
        return None
    lower = body.lower()
    open_raw = [f"</{tag}>" for tag in _RAW_TEXT_TAGS if lower.rfind(f"<{tag}") > lower.rfind(f"</{tag}")]
    return body.rstrip() + "\n" + "".join(open_raw) + "</body></html>"


def require_code(text: str, purpose: str = "") -> str:
    """Like `extract_code` but raises ModelError(kind="unparseable") saying why."""
    code = extract_code(text)
    if code is not None:
        return code
    truncated = any(body is None for _, body in _fenced_blocks(text)) or (
        _DOC_START.search(text) is not None and _DOC_END.search(text) is None
    )
    reason = "the html block is truncated" if truncated else "the answer has no html code block"
    raise ModelError(reason, kind="unparseable", purpose=purpose)


_COMMENT_OR_STRING = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r'"(?:\\.|[^"\\])*"|,(\s*[\]}])', re.DOTALL)


def relax_json(text: str) -> str:
    """`text` without // and /* */ comments and trailing commas (strings left untouched)."""
    no_comments = _COMMENT_OR_STRING.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    return _TRAILING_COMMA.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(0), no_comments)


def _find_json(text: str) -> tuple[bool, Any, bool]:
    """(found, value, saw a truncated block) for the whole text, a fenced block, or the first
    balanced object/array."""
    try:
        return True, json.loads(text.strip()), False
    except json.JSONDecodeError:
        pass
    truncated = False
    for lang, body in _fenced_blocks(text):
        if body is None:
            truncated = True
            continue
        if lang in ("json", "", "jsonc", "json5", "javascript", "js"):
            try:
                return True, json.loads(body), False
            except json.JSONDecodeError:
                pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "[{":
            try:
                value, _ = decoder.raw_decode(text, i)
                return True, value, False
            except json.JSONDecodeError:
                continue
    return False, None, truncated


def extract_json(text: str, purpose: str = "") -> Any:
    """The JSON value of the answer: the whole text, a ```json block, or the first balanced
    object/array in it; failing that the same with comments and trailing commas removed (what
    small models write). Raises ModelError(kind="unparseable") when none parses."""
    found, value, truncated = _find_json(text)
    if not found:
        relaxed = relax_json(text)
        if relaxed != text:
            found, value, _ = _find_json(relaxed)
    if found:
        return value
    reason = "the JSON block is truncated" if truncated else "no JSON value found in the answer"
    raise ModelError(reason, kind="unparseable", purpose=purpose)


def salvage_list(text: str) -> list[Any] | None:
    """The complete items of a JSON list cut off mid-way (`[{...}, {...}, {"ty`), or None.

    For answers stopped by the length limit: a plan of 9 whole steps is better than none."""
    relaxed = relax_json(text)
    start = relaxed.find("[")
    if start < 0:
        return None
    decoder = json.JSONDecoder()
    items: list[Any] = []
    pos = start + 1
    while True:
        while pos < len(relaxed) and relaxed[pos] in " \t\r\n,":
            pos += 1
        try:
            value, pos = decoder.raw_decode(relaxed, pos)
        except json.JSONDecodeError:
            return items or None
        items.append(value)
