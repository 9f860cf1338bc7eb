"""Where text sits relative to its neighbours: lines the reference kept together (issue 19).

Counting tokens and reading the named values' order cannot see a change that moves known
text to another place while the assertion names only what is right: a new card put first
instead of last (its words are the dialog's, the count is right), two capture counts that
trade places (the same numbers are on screen), an 'Authorized' heading shown one step too
early inside a dialog that is otherwise right. What the reference did not do, though, is
put that text *there*. With the DOM's reference text (exact lines, in document order, as the
judge's own extractor reads the candidate), and not on a scroll step (what a scroll brings
into view follows the layout), two lines that sit next to each other tell where text is:

1. **Kept neighbours.** A pair of adjacent lines the reference kept at the step (as often
   before as after) and the candidate showed as often before must not be split or
   overwritten by the candidate's edit at this step: an edit (difflib, the candidate's
   before -> after lines) that breaks such a pair and writes there a line the reference
   shows (somewhere in its recording) is evidence, unless the edit only inserts lines the
   reference added at this step too (a toast placed elsewhere in the DOM: document order
   of fixed or absolute elements says nothing about the screen).
2. **Same order.** When the lines each shown once in all four texts stood in the same order
   in the candidate as in the reference before the step (the same page text, not another
   layout), they must end in the reference's order after it (the typed title that becomes
   the last card, not the first).
3. **New neighbours.** A pair of adjacent lines the reference created at the step (each
   line once in the reference's after text and in the candidate's, in that order) must not
   have between them, in the candidate, a line it added at this step which the reference
   did not add here but shows at another step of its recording (text from another state).

Lines the reference never shows are not evidence (a reconstruction's own wording); nor is
a line removed from view (another layout may push it out). OCR'd reference text gives no
evidence: OCR groups words into lines for reasons the page does not.
"""

from __future__ import annotations

from collections import Counter
from difflib import SequenceMatcher
from itertools import pairwise

from pydantic import BaseModel

from .assertion_context import AssertionContext
from .assertion_tokens import normalise


class LinesCheck(BaseModel):
    """Pairs of neighbouring reference lines the candidate split with other known text."""

    kept_split: list[str] = []  # "a | b <- inserted" for pairs the reference kept together
    moved: list[str] = []  # lines shown once everywhere that end in another order than the reference's
    new_split: list[str] = []  # same for pairs the reference created at the step

    @property
    def ok(self) -> bool:
        return not self.kept_split and not self.moved and not self.new_split

    @property
    def reason(self) -> str:
        if self.kept_split:
            return f"the candidate wrote known text between lines the reference kept together: {self.kept_split[0]}"
        if self.moved:
            return ("lines both pages show end in another order than the reference's (kept together in the reference: "
                    f"{', '.join(self.moved[:4])})")
        return f"the candidate shows text from another step between lines the reference shows together: {self.new_split[0]}"


def text_lines(text: str) -> list[str]:
    """The non-empty lines of an extracted text, normalised (case, spacing)."""
    return [n for n in (normalise(line) for line in (text or "").split("\n")) if n]


def _pairs(lines: list[str]) -> Counter[tuple[str, str]]:
    return Counter(pairwise(lines))


def _show(a: str, b: str, mid: list[str]) -> str:
    return f"'{a}' | '{b}' <- " + ", ".join(f"'{m[:40]}'" for m in mid[:4])


def _kept_split(rb: list[str], ra: list[str], cb: list[str], ca: list[str], known: set[str]) -> list[str]:
    prb, pra, pcb, pca = _pairs(rb), _pairs(ra), _pairs(cb), _pairs(ca)
    nrb, nra = Counter(rb), Counter(ra)
    ref_added = {line for line, n in nra.items() if n > nrb[line]}
    out = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, cb, ca, autojunk=False).get_opcodes():
        if tag not in ("insert", "replace"):
            continue  # a line gone from view is no evidence (another layout may push it out)
        broken = [p for k in range(max(i1 - 1, 0), min(i2, len(cb) - 1)) if pcb[p := (cb[k], cb[k + 1])] == prb[p] == pra[p] > 0
                  and pca[p] < pcb[p]]
        new = ca[j1:j2]
        if not broken or not any(line in known for line in new):
            continue
        if tag == "insert" and all(line in ref_added for line in new):
            continue  # the reference's own new text, elsewhere in document order
        out.append(_show(*broken[0], new))
    return out


def _common(a: list[str], b: list[str]) -> list[str]:
    """The longest run-wise common subsequence of two line sequences (difflib's matching blocks)."""
    sm = SequenceMatcher(None, a, b, autojunk=False)
    return [line for m in sm.get_matching_blocks() for line in a[m.a : m.a + m.size]]


def _moved(rb: list[str], ra: list[str], cb: list[str], ca: list[str]) -> list[str]:
    counts = [Counter(x) for x in (rb, ra, cb, ca)]
    once = {line for line in counts[0] if all(c[line] == 1 for c in counts)}
    if [x for x in rb if x in once] != [x for x in cb if x in once]:
        return []  # another order before the step (another layout): orders are not comparable
    ref, cand = [x for x in ra if x in once], [x for x in ca if x in once]
    if ref == cand:
        return []
    common = set(_common(ref, cand))
    return [x for x in ref if x not in common]


def _new_split(rb: list[str], ra: list[str], cb: list[str], ca: list[str], elsewhere: set[str]) -> list[str]:
    prb, pra = _pairs(rb), _pairs(ra)
    nrb, nra, ncb, nca = Counter(rb), Counter(ra), Counter(cb), Counter(ca)
    pos = {line: k for k, line in enumerate(ca)}
    out = []
    for (a, b), n in pra.items():
        if n <= prb[(a, b)] or not (nra[a] == nra[b] == nca[a] == nca[b] == 1) or pos[a] >= pos[b]:
            continue
        mid = ca[pos[a] + 1 : pos[b]]
        bad = [line for line in mid if line in elsewhere and nra[line] <= nrb[line] and nca[line] > ncb[line]]
        if bad:
            out.append(_show(a, b, bad))
    return out


def lines_check(ctx: AssertionContext) -> LinesCheck | None:
    """The neighbour evidence of a step (module docstring), or None without the DOM's
    reference text or on a scroll step."""
    if not ctx.exact_counts:
        return None
    rb, ra = text_lines(ctx.reference_text_before), text_lines(ctx.reference_text_after)
    cb, ca = text_lines(ctx.candidate_text_before), text_lines(ctx.candidate_text_after)
    others = set(text_lines(ctx.reference_text_recording))
    known = others | set(rb) | set(ra)
    return LinesCheck(kept_split=_kept_split(rb, ra, cb, ca, known), moved=_moved(rb, ra, cb, ca),
                      new_split=_new_split(rb, ra, cb, ca, others - set(ra)))
