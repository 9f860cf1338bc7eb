"""Text the reference removed at a step, which the candidate must remove too.

An assertion often names what stays and leaves unnamed what goes ("only cards about design
remain, among them 'A' and 'B'"): a filter that does nothing keeps every named card and
passes the named-text rule. So, on a step that is not a scroll, the content words whose count
the reference lowered at this step are looked up in the candidate: of those the candidate
showed before the step, most must fall in the candidate too. A handful of words is a widget's
detail (a label toggling), not a removal, and gives no evidence.

Two sources, never mixed: the DOM's reference text (exact, recorded with the judge's own
extractor) against the candidate's DOM text; or, for official tasks, the checkpoints' OCR
against the candidate screenshots' OCR (the same engine on both sides). OCR loses and
regroups words for reasons the page does not, so with OCR only words the reference's OCR
lost entirely count as removed (a count that merely fell can be a misread or two lines read
as one), and the judge reads the candidate's screenshots for it only when the reference's
OCR lost enough words (`needs_candidate_ocr`).
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel

from .assertion_context import AssertionContext
from .assertion_tokens import STOP_WORDS, tokens

MIN_REMOVED = 3  # removed words the candidate showed before: fewer gives no evidence
KEPT_SHARE = 0.5  # the candidate fails when it keeps more than this share of them


class RemovalCheck(BaseModel):
    """Words the reference removed at the step (and the candidate showed before), and those of
    them the candidate kept."""

    removed: list[str]
    kept: list[str]
    source: str = "dom"  # dom | ocr: which texts were compared

    @property
    def ok(self) -> bool:
        """False when the candidate kept most of what the reference removed."""
        return len(self.removed) < MIN_REMOVED or len(self.kept) <= KEPT_SHARE * len(self.removed)


def _content_words(text: str) -> Counter[str]:
    return Counter(t for t in tokens(text) if t.isalpha() and len(t) >= 3 and t not in STOP_WORDS)


def _removed(before: Counter[str], after: Counter[str], entirely: bool) -> list[str]:
    return sorted(w for w, n in before.items() if (after[w] == 0 if entirely else after[w] < n))


def needs_candidate_ocr(ctx: AssertionContext) -> bool:
    """True when the reference's OCR'd text lost enough words at this (non-scroll) step for the
    candidate's OCR to be evidence (the judge then reads the candidate's screenshots)."""
    if ctx.reference_text_source != "ocr" or ctx.action_type == "Scroll":
        return False
    ref_before, ref_after = _content_words(ctx.reference_text_before), _content_words(ctx.reference_text_after)
    return len(_removed(ref_before, ref_after, entirely=True)) >= MIN_REMOVED


def removal_check(ctx: AssertionContext) -> RemovalCheck | None:
    """The removal evidence of a step, or None on a scroll, or without the DOM's reference text
    and the candidate's OCR."""
    if ctx.action_type == "Scroll":
        return None
    ref_before, ref_after = _content_words(ctx.reference_text_before), _content_words(ctx.reference_text_after)
    if ctx.exact_reference_text:
        cand_before, cand_after = _content_words(ctx.candidate_text_before), _content_words(ctx.candidate_text_after)
        source = "dom"
    elif ctx.candidate_ocr_after.strip():
        cand_before, cand_after = _content_words(ctx.candidate_ocr_before), _content_words(ctx.candidate_ocr_after)
        source = "ocr"
    else:
        return None
    removed = [w for w in _removed(ref_before, ref_after, entirely=source == "ocr") if cand_before[w] > 0]
    kept = [w for w in removed if cand_after[w] >= cand_before[w]]
    return RemovalCheck(removed=removed, kept=kept, source=source)
