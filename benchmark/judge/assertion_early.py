"""Text of another step shown at this one, on official tasks (checkpoint OCR, issue 19).

With the DOM's reference text the neighbour rules (`assertion_lines`) see a heading shown one
step early; an official task has only the checkpoints' OCR, which groups words into lines
for reasons the page does not. What OCR does give is which words are on each checkpoint. A
word the candidate newly shows at a step (absent from its screen before, present after),
which the reference does not show before or after this step but does show at another step of
its recording, is text of another state: an 'Authorized' heading in a dialog that is not
authorized yet, a dialog's words that stay after it closed. One such word is evidence: the
reference's own recording says the word belongs to another state.

Both sides are read by the same OCR engine (the checkpoints against the candidate's
screenshots), so identical pixels give identical words; a word one character away from a word
the reference's OCR reads after the step, which the candidate's OCR then reads fewer times,
is a misread of that word, not evidence. Words
of 3+ letters that are not stop words; not on a scroll step (what a scroll brings into view
follows the layout), nor against a video's keyframes (recorded checkpoints only). The judge reads the candidate's screenshots for this only when the
candidate's DOM text gained such a word (`needs_early_ocr`).

The same reading, the other way round (text of a state that ended): a word the reference's OCR
read before the step, lost entirely at it and never reads again at any later checkpoint of the
recording, which the candidate's OCR reads before and still as often after the step. The
reference's own recording says that text belonged to a state this step ended (a dialog's
description, now the body of a card the reference put out of view at the bottom of a column
and the candidate first on the board). Words one character away from a word the reference
reads after the step are left out as above; without the later checkpoints' OCR (the last
step, a video plan) there is no evidence.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel

from .assertion_context import AssertionContext
from .assertion_removal import _content_words


class EarlyCheck(BaseModel):
    """Words the candidate newly shows at the step that the reference shows only at other steps."""

    words: list[str] = []
    ended: list[str] = []  # words of a state the reference ended at this step, still shown by the candidate

    @property
    def ok(self) -> bool:
        return not self.words and not self.ended

    @property
    def reason(self) -> str:
        if self.words:
            return ("the candidate newly shows text the reference shows only at other steps of its recording: "
                    + ", ".join(self.words[:6]))
        return ("the candidate still shows text the reference removed at this step and never shows again: "
                + ", ".join(self.ended[:6]))


def _one_apart(a: str, b: str) -> bool:
    """True when a and b differ by at most one character (substitution, insertion or deletion)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _early(before: Counter[str], after: Counter[str], ref_after: Counter[str], elsewhere: set[str]) -> list[str]:
    """New words of the candidate shown by the reference only elsewhere, unless the word reads as a
    misread of a reference word the candidate then shows fewer times than the reference."""
    return sorted(w for w in after if before[w] == 0 and w in elsewhere
                  and not any(after[r] < n and _one_apart(w, r) for r, n in ref_after.items()))


def _ended(before: Counter[str], after: Counter[str], ref_before: Counter[str], ref_after: Counter[str],
           later: Counter[str]) -> list[str]:
    """Words the reference lost entirely at the step and never shows later that the candidate
    keeps (as often after as before), unless one character away from a word the reference
    reads after the step."""
    return sorted(w for w, n in before.items() if after[w] >= n and ref_before[w] > 0 and ref_after[w] == 0
                  and later[w] == 0 and not any(_one_apart(w, r) for r in ref_after))


def _sides(ctx: AssertionContext) -> tuple[Counter[str], set[str]] | None:
    if (ctx.reference_text_source != "ocr" or ctx.action_type == "Scroll" or not ctx.reference_text_recording.strip()
            or ctx.expected_change is not None):  # a video's keyframes need not fall on the steps' states
        return None
    ref_after = _content_words(ctx.reference_text_after)
    here = set(_content_words(ctx.reference_text_before)) | set(ref_after)
    return ref_after, set(_content_words(ctx.reference_text_recording)) - here


def needs_early_ocr(ctx: AssertionContext) -> bool:
    """True when the candidate's DOM text gained a word the reference's OCR shows only at other
    steps (the judge then reads the candidate's screenshots for `early_check`)."""
    sides = _sides(ctx)
    if sides is None:
        return False
    before, after = _content_words(ctx.candidate_text_before), _content_words(ctx.candidate_text_after)
    return bool(_early(before, after, *sides)) or bool(_ended_words(ctx, before, after))


def _ended_words(ctx: AssertionContext, before: Counter[str], after: Counter[str]) -> list[str]:
    if not ctx.reference_text_later.strip():
        return []
    return _ended(before, after, _content_words(ctx.reference_text_before), _content_words(ctx.reference_text_after),
                  _content_words(ctx.reference_text_later))


def early_check(ctx: AssertionContext) -> EarlyCheck | None:
    """The evidence of a step (module docstring), or None without OCR'd reference text of the
    whole recording and the candidate's OCR, or on a scroll."""
    sides = _sides(ctx)
    if sides is None or not ctx.candidate_ocr_after.strip():
        return None
    before, after = _content_words(ctx.candidate_ocr_before), _content_words(ctx.candidate_ocr_after)
    return EarlyCheck(words=_early(before, after, *sides), ended=_ended_words(ctx, before, after))
