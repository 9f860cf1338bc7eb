"""The tokens an assertion names and how their counts must change (the offline text rule).

A token is a quoted string, a number or a content word (3+ letters, not a stop word) of the
assertion. Each is counted as whole tokens in the four texts (reference before/after,
candidate before/after); the reference's counts give the expectation (`TokenCheck.expect`)
and, where the reference text is the DOM's, the size of the change (`TokenCheck.need`): a
token the reference shows three more times after the step must show three more times in
the candidate too (a number that should appear in a tile, the score and the best score is
not matched by the tile alone). OCR'd reference text keeps the lenient rule (appear / some
decrease): OCR drops and misreads tokens, so its counts are not exact. Under that rule a token
also appears when the candidate's edit of its text (its before -> after lines, as difflib
aligns them) writes it in a place that did not hold it, and disappears when the edit takes it
from one: a cart whose badge goes from 2 to 3 while a quantity goes from 1 to 2 keeps its count
of '2', yet a '2' appeared where the quantity is (the badge the checkpoints' OCR did not read
proves nothing against it). On a scroll step what
the viewport shows, and how many copies, follows the page's layout: a token the reference
scrolled into view must be present after the step (another layout may have shown it before).

A word the exact (DOM) reference text did not show before the step and brought at it, which
the candidate showed as often already before, is text of a later state shown early
(`TokenCheck.early`): unlike a word the candidate never shows (its own wording), it is not
one of the few words the rule lets go.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from pydantic import BaseModel

from .assertion_context import AssertionContext

DOM_COVERAGE_FOR_OCR = 0.5  # DOM text length / OCR text length needed to trust OCR tokens

STOP_WORDS = frozenset(
    """the and are was were has have had for from with into onto that this these those then than
    shows show shown showing displays display displayed reads read now still its it's is be been
    being will should page there their which what when where who whom whose appears appear
    visible becomes become changes change changed updates updated updated to of in on at by an
    as or not no yes all any each every more less new other same one two""".split()
)

_TOKEN_RE = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,:]\d+)*")
_QUOTED_RE = re.compile(r"[\"“‘]([^\"”’]+)[\"”’]|(?<![a-z])'([^']+)'(?![a-z])", re.IGNORECASE)
_REMOVAL_RE = re.compile(r"\b(remov\w*|delet\w*|disappear\w*|no longer|gone|clear\w*|hidden|hides?|clos\w*|empty|emptie\w*"
                         r"|vanish\w*|cancel\w*|replac\w*|instead|changes? from|from \S+ to)\b", re.IGNORECASE)
_KEEP_RE = re.compile(r"\b(stays?|still|unchanged|remains?|keeps?|nothing (?:else )?changes|no change|does not change"
                      r"|doesn't change|same)\b", re.IGNORECASE)
_NUMBER_RE = re.compile(r"\d+(?:[.,:]\d+)*")
_VALUE = r"(?:[\"“‘']([^\"”’']+)[\"”’']|(\S+?))"
_FROM_TO_RE = re.compile(rf"\bfrom\s+{_VALUE}\s+to\s+{_VALUE}(?=[\s.,;:!?)]|$)", re.IGNORECASE)


def normalise(text: str) -> str:
    """Lower-cased text with runs of whitespace collapsed."""
    return re.sub(r"\s+", " ", (text or "").lower()).strip()


def tokens(text: str) -> list[str]:
    """Word and number tokens of a text (lower-cased; thousands separators kept as written)."""
    return _TOKEN_RE.findall(normalise(text))


def phrase_spans(toks: list[str], phrase: str) -> list[tuple[int, int]]:
    """(start, end) token indices of every whole-token occurrence of `phrase` in `toks`."""
    words = tokens(phrase)
    n = len(words)
    if not n:
        return []
    return [(i, i + n) for i in range(len(toks) - n + 1) if toks[i : i + n] == words]


def count_phrase(text: str, phrase: str) -> int:
    """Occurrences of a phrase as whole tokens (spacing-insensitive)."""
    return len(phrase_spans(tokens(text), phrase))


class NamedToken(BaseModel):
    """A token an assertion names, and its kind: quoted, number or word."""

    text: str
    kind: str


def named_tokens(assertion: str) -> list[NamedToken]:
    """Quoted strings, numbers and content words of an assertion (deduplicated, in order)."""
    out: list[NamedToken] = []
    seen: set[str] = set()

    def add(text: str, kind: str) -> None:
        key = normalise(text)
        if key and key not in seen and tokens(key):
            seen.add(key)
            out.append(NamedToken(text=key, kind=kind))

    quoted_spans: list[tuple[int, int]] = []
    for m in _QUOTED_RE.finditer(assertion):
        add(m.group(1) or m.group(2), "quoted")
        quoted_spans.append(m.span())
    rest = "".join(" " if any(a <= i < b for a, b in quoted_spans) else ch for i, ch in enumerate(assertion))
    for m in _NUMBER_RE.finditer(rest):
        add(m.group(0), "number")
    for word in tokens(_NUMBER_RE.sub(" ", rest)):
        if len(word) >= 3 and word not in STOP_WORDS:
            add(word, "word")
    return out


def from_to_values(assertion: str) -> tuple[set[str], set[str]]:
    """Normalised old values (A) and new values (B) of every 'from A to B' in an assertion."""
    olds: set[str] = set()
    news: set[str] = set()
    for m in _FROM_TO_RE.finditer(assertion):
        a, b = normalise(m.group(1) or m.group(2)), normalise(m.group(3) or m.group(4))
        if a and b and a != b:
            olds.add(a.strip(".,;:!?"))
            news.add(b.strip(".,;:!?"))
    return olds, news


class TokenCheck(BaseModel):
    """Counts of one named token in the four states and the expectation derived from them."""

    token: str
    kind: str
    ref_before: int
    ref_after: int
    cand_before: int
    cand_after: int
    expect: str  # appear | disappear | present | keep | before (the old value of 'from A to B')
    ok: bool
    need: int = 1  # appear/disappear: the least change of count (the reference's, for DOM text)
    source: str = "dom"  # what decided: dom | dom-edit | ocr (`CandidateCounts.source`)
    early: bool = False  # exact reference text brought it at this step; the candidate showed it already


def _expectation(ref_before: int, ref_after: int) -> str | None:
    if ref_after > ref_before:
        return "appear"
    if ref_after < ref_before:
        return "disappear"
    return "present" if ref_after > 0 else None


def holds(expect: str, before: int, after: int, need: int = 1) -> bool:
    """Whether the candidate's counts (before, after) meet an expectation."""
    if expect == "before":
        return before > 0
    if expect == "keep":
        return after == before > 0
    if expect == "appear":
        return after - before >= need
    if expect == "disappear":
        return before - after >= need
    return after > 0


@lru_cache(maxsize=8)
def _edited_blocks(before: str, after: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """The blocks of lines the edit from `before` to `after` changed (difflib), each as its old
    and its new lines; computed once per step, whatever the number of tokens asked about."""
    old_lines = [normalise(line) for line in before.splitlines() if line.strip()]
    new_lines = [normalise(line) for line in after.splitlines() if line.strip()]
    return tuple((tuple(old_lines[i1:i2]), tuple(new_lines[j1:j2]))
                 for tag, i1, i2, j1, j2 in SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
                 if tag != "equal")


def edited_places(before: str, after: str, phrase: str) -> tuple[int, int]:
    """(gained, lost): occurrences of a phrase that the edit from `before` to `after` (lines
    aligned by difflib) wrote where they were not, and took from where they were; a changed
    block that holds as many copies after as before counts for neither."""
    gained = lost = 0
    for old, new in _edited_blocks(before, after):
        was = sum(count_phrase(line, phrase) for line in old)
        now = sum(count_phrase(line, phrase) for line in new)
        gained, lost = gained + max(0, now - was), lost + max(0, was - now)
    return gained, lost


class CandidateCounts(BaseModel):
    """The candidate's counts of one token that decided an expectation, and their source."""

    ok: bool
    before: int
    after: int
    source: str  # dom | dom-edit (a place the edit wrote or cleared) | ocr


def candidate_counts(ctx: AssertionContext, phrase: str, expect: str, need: int = 1) -> CandidateCounts:
    """Whether the candidate meets an expectation for a phrase: its DOM text's counts; under
    the lenient rule (inexact reference counts, need 1) also a place its edit wrote or
    cleared; then, when the DOM covers the screen, the OCR of its screenshots."""
    cb = count_phrase(ctx.candidate_text_before, phrase)
    ca = count_phrase(ctx.candidate_text_after, phrase)
    if holds(expect, cb, ca, need):
        return CandidateCounts(ok=True, before=cb, after=ca, source="dom")
    if need == 1 and not ctx.exact_counts and expect in ("appear", "disappear"):
        gained, lost = edited_places(ctx.candidate_text_before, ctx.candidate_text_after, phrase)
        if (gained if expect == "appear" else lost) >= 1:
            return CandidateCounts(ok=True, before=cb, after=ca, source="dom-edit")
    if dom_covers_screen(ctx):
        ob = count_phrase(ctx.candidate_ocr_before, phrase)
        oa = count_phrase(ctx.candidate_ocr_after, phrase)
        if holds(expect, ob, oa):
            return CandidateCounts(ok=True, before=ob, after=oa, source="ocr")
    return CandidateCounts(ok=False, before=cb, after=ca, source="dom")


def _expect_for(tok: str, rb: int, ra: int, olds: set[str], news: set[str]) -> str | None:
    """The expectation for one token: 'from A to B' says A before and B after; otherwise
    whatever the reference's counts changed."""
    if tok in olds and tok not in news:
        return "before" if rb > 0 else None  # the old value need not be gone (other copies)
    if tok in news and tok not in olds:
        return "appear" if ra > rb else ("present" if ra > 0 else None)
    return _expectation(rb, ra)


def _keep_expected(ctx: AssertionContext, rb: int, ra: int) -> bool:
    """The assertion says things stay as they were and the recorded DOM text (exact, not
    OCR) kept this token's count: the candidate must keep its count too."""
    return ctx.exact_reference_text and rb == ra > 0 and bool(_KEEP_RE.search(ctx.assertion))


def dom_covers_screen(ctx: AssertionContext) -> bool:
    """True when the page's DOM text accounts for most of the text OCR sees on screen (and
    the reference's text is OCR too: DOM reference text is compared with DOM text only)."""
    if ctx.reference_text_source != "ocr":
        return False
    ocr_len = len(normalise(ctx.candidate_ocr_after))
    if ocr_len == 0:
        return False
    return len(normalise(ctx.candidate_text_after)) >= DOM_COVERAGE_FOR_OCR * ocr_len


def token_checks(ctx: AssertionContext) -> list[TokenCheck]:
    """One check per named token the reference's text gives an expectation for."""
    olds, news = from_to_values(ctx.assertion)
    checks: list[TokenCheck] = []
    for tok in named_tokens(ctx.assertion):
        rb = count_phrase(ctx.reference_text_before, tok.text)
        ra = count_phrase(ctx.reference_text_after, tok.text)
        expect = _expect_for(tok.text, rb, ra, olds, news)
        if expect == "present" and _keep_expected(ctx, rb, ra):
            expect = "keep"
        if expect == "appear" and ctx.action_type == "Scroll":
            expect = "present"  # scrolled into view; another layout may have shown it already
        if expect is None or (expect == "disappear" and not _REMOVAL_RE.search(ctx.assertion)):
            # a token can vanish from the reference's OCR for reasons the assertion does not
            # claim (misread, moved to a large heading): only removals it states are checked
            continue
        # exact (DOM) reference counts: the candidate must change a count at least as much
        need = abs(ra - rb) if ctx.exact_counts and expect in ("appear", "disappear") else 1
        cand = candidate_counts(ctx, tok.text, expect, need)
        early = not cand.ok and ctx.exact_counts and expect == "appear" and rb == 0 and cand.before >= ra
        checks.append(TokenCheck(token=tok.text, kind=tok.kind, ref_before=rb, ref_after=ra, cand_before=cand.before,
                                 cand_after=cand.after, expect=expect, ok=cand.ok, need=need, source=cand.source,
                                 early=early))
    return checks
