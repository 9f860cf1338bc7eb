"""The order and place of named values (issue 19, class 2): values that trade places.

Counting tokens cannot see a swap or a sort: every value is on the page before and after.
The judge's text extractor (`page_state.js`, op "text") walks the DOM in document order,
one line per element, and includes the values of form fields, so the sequence of the named
tokens' occurrences in that text says which field or row holds which value.

The order is compared on the tokens the reference kept (same non-zero count before and
after) and the candidate shows as often as the reference in both states (so the sequences
are comparable). When the reference's sequence changed at the step, the candidate's must
change too; and when the reference text is the DOM's and the candidate started in the
reference's order, it must end in the reference's order (a sort in the wrong direction).
Against OCR'd reference text (screen order) the candidate's order is read in its OCR when the judge has it: the judge reads the
candidate's screenshots when a first check fails, so a DOM whose document order differs
from the screen's gets a symmetric second look. Scroll steps are left out: a scroll
reorders nothing, it only changes which copies of the values are in the viewport.
"""

from __future__ import annotations

from pydantic import BaseModel

from .assertion_context import AssertionContext
from .assertion_tokens import TokenCheck, count_phrase, phrase_spans, tokens

MIN_ORDERED = 2  # an order needs two distinct values


class OrderCheck(BaseModel):
    """The named tokens' reading order in the four states and whether the candidate's holds."""

    tokens: list[str]
    reference_before: list[str]
    reference_after: list[str]
    candidate_before: list[str]
    candidate_after: list[str]
    ok: bool
    reason: str


def reading_order(text: str, names: list[str]) -> list[str]:
    """The names in the order their occurrences are read in `text` (an occurrence inside a
    longer named phrase that starts earlier or at the same place counts once, as the longer)."""
    toks = tokens(text)
    spans = sorted(((s, e, name) for name in names for s, e in phrase_spans(toks, name)), key=lambda x: (x[0], x[0] - x[1]))
    out: list[str] = []
    end = -1
    for s, e, name in spans:
        if s >= end:
            out.append(name)
            end = e
    return out


def _candidate_texts(ctx: AssertionContext) -> tuple[str, str]:
    """The candidate's texts to read the order in: its OCR against OCR'd reference text when
    the judge has read the screenshots (both then read in screen order, whereas the DOM's
    document order can differ from it, e.g. absolutely placed tiles), else its DOM text."""
    if ctx.reference_text_source == "ocr" and ctx.candidate_ocr_after.strip():
        return ctx.candidate_ocr_before, ctx.candidate_ocr_after
    return ctx.candidate_text_before, ctx.candidate_text_after


def order_check(ctx: AssertionContext, checks: list[TokenCheck]) -> OrderCheck | None:
    """The order rule (module docstring); None when it has no evidence (fewer than two
    comparable tokens, or the reference did not reorder them)."""
    if ctx.action_type == "Scroll":
        return None  # a scroll moves the viewport; which copies it shows follows the layout
    cand_before, cand_after = _candidate_texts(ctx)
    # kept by the reference and shown as often by the candidate in both states
    names = [c.token for c in checks if c.ref_before == c.ref_after > 0
             and count_phrase(cand_before, c.token) == c.ref_before and count_phrase(cand_after, c.token) == c.ref_after]
    if len(names) < MIN_ORDERED:
        return None
    rb, ra = reading_order(ctx.reference_text_before, names), reading_order(ctx.reference_text_after, names)
    if rb == ra or len(set(rb)) < MIN_ORDERED:
        return None
    cb, ca = reading_order(cand_before, names), reading_order(cand_after, names)
    if cb == ca:
        ok, reason = False, "the reference reordered the named values at this step; the candidate kept their order"
    elif ctx.exact_reference_text and cb == rb and ca != ra:
        ok, reason = False, "the named values end in another order than the reference's"
    else:
        ok, reason = True, "the named values changed order as in the reference"
    return OrderCheck(tokens=names, reference_before=rb, reference_after=ra, candidate_before=cb, candidate_after=ca,
                      ok=ok, reason=reason)
