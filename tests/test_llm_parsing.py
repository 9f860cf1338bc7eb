"""Pulling HTML and JSON out of model answers, including truncated ones."""

from __future__ import annotations

import pytest

from iwr.tools.llm import ModelError, extract_code, extract_json, require_code
from iwr.tools.llm.fake_server import NO_CODE_TEXT, TRUNCATED_CODE_TEXT

DOC = "<!DOCTYPE html>\n<html><head></head><body><p>hi</p></body></html>"


def test_html_block() -> None:
    assert extract_code(f"Here you go:\n```html\n{DOC}\n```\nEnjoy.") == DOC
    assert extract_code(f"```HTML\n{DOC}\n```") == DOC


def test_unlabelled_block_holding_a_document_and_raw_document() -> None:
    assert extract_code(f"```\n{DOC}\n```") == DOC
    assert extract_code(f"Sure.\n{DOC}\nDone.") == DOC


def test_html_block_wins_over_other_blocks() -> None:
    text = f"```css\nbody{{}}\n```\n```html\n{DOC}\n```"
    assert extract_code(text) == DOC


def test_no_code_and_truncated_code_give_none_and_clear_errors() -> None:
    assert extract_code(NO_CODE_TEXT) is None
    assert extract_code(TRUNCATED_CODE_TEXT) is None
    assert extract_code("<!DOCTYPE html><html><body><div>") is None
    with pytest.raises(ModelError, match="truncated") as info:
        require_code(TRUNCATED_CODE_TEXT, "draft")
    assert info.value.kind == "unparseable" and info.value.purpose == "draft"
    with pytest.raises(ModelError, match="no html code block"):
        require_code(NO_CODE_TEXT)
    assert require_code(f"```html\n{DOC}\n```") == DOC


def test_json_whole_block_and_embedded() -> None:
    assert extract_json('[{"type": "Click"}]') == [{"type": "Click"}]
    assert extract_json('Plan:\n```json\n{"a": [1, 2]}\n```') == {"a": [1, 2]}
    assert extract_json('The answer is {"answer": "Yes", "reasoning": "ok"} as asked.') == {"answer": "Yes", "reasoning": "ok"}


def test_json_truncated_or_missing_raises() -> None:
    with pytest.raises(ModelError, match="truncated") as info:
        extract_json('```json\n[{"type": "Click", "desc', "analyse")
    assert info.value.kind == "unparseable" and info.value.purpose == "analyse"
    with pytest.raises(ModelError, match="no JSON"):
        extract_json("no structure here")
