"""SEARCH/REPLACE edit blocks for targeted page repairs.

Block format (as asked by `prompts/repair.md`)::

    <<<<<<< SEARCH
    exact lines from the current page
    =======
    the lines that replace them
    >>>>>>> REPLACE

Blocks apply in order, each to the first occurrence of its SEARCH text: an exact match
first, then a whitespace-insensitive match (runs of whitespace compare equal). A block whose
SEARCH text is not found (or is empty) is reported in `failed` and skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BLOCK = re.compile(
    r"^[ \t]*<{5,9}[ \t]*SEARCH[ \t]*\n(.*?)^[ \t]*={5,9}[ \t]*\n(.*?)^[ \t]*>{5,9}[ \t]*REPLACE[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class EditBlock:
    """One SEARCH/REPLACE pair."""

    search: str
    replace: str


@dataclass
class EditResult:
    """The edited page, how many blocks applied, and the SEARCH texts that did not match."""

    html: str
    applied: int = 0
    failed: list[str] = field(default_factory=list)

    @property
    def blocks(self) -> int:
        return self.applied + len(self.failed)


def parse_edits(edits_text: str) -> list[EditBlock]:
    """All well-formed blocks of a model answer, in order (a truncated last block is ignored)."""
    return [EditBlock(_strip_newline(m.group(1)), _strip_newline(m.group(2))) for m in _BLOCK.finditer(edits_text)]


def _strip_newline(s: str) -> str:
    return s[:-1] if s.endswith("\n") else s


def _fuzzy_span(html: str, search: str) -> tuple[int, int] | None:
    tokens = search.split()
    if not tokens:
        return None
    pattern = r"\s*".join(re.escape(t) for t in tokens)
    m = re.search(pattern, html)
    return (m.start(), m.end()) if m else None


def apply_edits(html: str, edits_text: str) -> EditResult:
    """Apply the SEARCH/REPLACE blocks of `edits_text` to `html`."""
    result = EditResult(html=html)
    for block in parse_edits(edits_text):
        if not block.search.strip():
            result.failed.append(block.search)
            continue
        at = result.html.find(block.search)
        if at >= 0:
            span: tuple[int, int] | None = (at, at + len(block.search))
        else:
            span = _fuzzy_span(result.html, block.search)
        if span is None:
            result.failed.append(block.search)
            continue
        result.html = result.html[: span[0]] + block.replace + result.html[span[1] :]
        result.applied += 1
    return result
