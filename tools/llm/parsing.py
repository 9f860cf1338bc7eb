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


def extract_code(text: str) -> str | None:
    """The HTML of the answer: a ```html block (or an unlabelled block holding a document), else a
    raw `<!DOCTYPE html>...</html>` document. None when there is none or it is truncated."""
    blocks = _fenced_blocks(text)
    for lang, body in blocks:
        if lang in ("html", "htm", "xhtml"):
            return body.strip() if body is not None and body.strip() else None
    for lang, body in blocks:
        if lang == "" and body is not None and _looks_like_html(body):
            return body.strip()
    if any(body is None for _, body in blocks):
        return None  # an unclosed fence: the answer was cut off
    return _raw_document(text)


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


def extract_json(text: str, purpose: str = "") -> Any:
    """The JSON value of the answer: the whole text, a ```json block, or the first balanced
    object/array in it. Raises ModelError(kind="unparseable") when none parses."""
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        pass
    truncated = False
    for lang, body in _fenced_blocks(text):
        if body is None:
            truncated = True
            continue
        if lang in ("json", "", "jsonc", "javascript", "js"):
            try:
                return json.loads(body)
            except json.JSONDecodeError:
                pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "[{":
            try:
                value, _ = decoder.raw_decode(text, i)
                return value
            except json.JSONDecodeError:
                continue
    reason = "the JSON block is truncated" if truncated else "no JSON value found in the answer"
    raise ModelError(reason, kind="unparseable", purpose=purpose)
