"""Text the reference removed at a step, which the candidate must remove too.

An assertion often names what stays and leaves unnamed what goes ("only cards about design
remain, among them 'A' and 'B'"): a filter that does nothing keeps every named card and
passes the named-text rule. So, when the reference text is the DOM's (exact, recorded with
the judge's own extractor) and the step is not a scroll, the content words whose count the
reference lowered at this step are looked up in the candidate: of those the candidate showed
before the step, most must fall in the candidate too. A handful of words is a widget's detail
(a label toggling), not a removal, and gives no evidence. OCR'd reference text gives none
either: OCR loses words for reasons the page does not.
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

    @property
    def ok(self) -> bool:
        """False when the candidate kept most of what the reference removed."""
        return len(self.removed) < MIN_REMOVED or len(self.kept) <= KEPT_SHARE * len(self.removed)


def _content_words(text: str) -> Counter[str]:
    return Counter(t for t in tokens(text) if t.isalpha() and len(t) >= 3 and t not in STOP_WORDS)


def removal_check(ctx: AssertionContext) -> RemovalCheck | None:
    """The removal evidence of a step, or None when the reference text is not exact."""
    if not ctx.exact_counts:
        return None
    ref_before, ref_after = _content_words(ctx.reference_text_before), _content_words(ctx.reference_text_after)
    cand_before, cand_after = _content_words(ctx.candidate_text_before), _content_words(ctx.candidate_text_after)
    removed = sorted(w for w, n in ref_before.items() if ref_after[w] < n and cand_before[w] > 0)
    kept = [w for w in removed if cand_after[w] >= cand_before[w]]
    return RemovalCheck(removed=removed, kept=kept)
