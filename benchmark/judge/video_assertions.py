"""Checking a video-derived assertion (`VisibleChange`) on a candidate page, offline.

The statement says what the recording showed changing at a step: which text lines appeared,
disappeared or changed, where, and how much of the screen. On the candidate it is checked
the way the offline asserter checks a benchmark assertion against OCR'd checkpoints:

1. Change: the shared rule of `assertion_change` (the recording changed and the candidate
   did not at all; or the recording changed a large part of the screen and the candidate
   almost nothing, elsewhere).
2. Text: the tokens of the changed lines whose count on the whole recorded screen went up
   must go up on the candidate (after a scroll: be present), and those whose count went
   down must go down. A token that only moved keeps its screen count and is not evidence;
   nor is one the recording's reading may have missed (a line under the pointer or read
   unsure holds it, or a token one character from it: `maybe_unread`). The recording's
   text is read with compatibility forms folded (a digit drawn in a circle is the digit); a
   line whose letters and digits are the same on both sides gives no token, and a row of
   numbers read with other separations on the two sides gives only the digits added (or
   removed) at its end (`changed_tokens`).
   The candidate's counts come from its DOM text, or from OCR of its screenshots when the
   DOM text accounts for most of what is on screen (pictures of the recording do not pass);
   failing those, a token holds when the candidate's screens, read again at the changed
   line's place, change there as the recording's line did (`_AtPlace`).
3. Decision, as for a benchmark assertion: every number check must hold and at least half
   of the word checks (OCR of the recording misreads a few words, so no single word
   decides); with no text evidence the change rule alone decides, and a candidate that
   changed too is undecided (`passed=None`).

`merge_verdicts` joins it with the verdict on the step's own assertion text, when the plan
has one (an analyst model's), so neither replaces the other.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from ...tools.perception.visible_change import VisibleChange, folded, glyphs, shown_at_place
from .assertion_change import ChangeEvidence, change_failure, measure
from .assertion_context import AssertionContext
from .assertion_tokens import candidate_counts, count_phrase, dom_covers_screen, tokens
from .types import AssertionVerdict

if TYPE_CHECKING:
    from .assertions import Asserter

METHOD = "video"
VideoExpect = Literal["appear", "disappear", "present"]


class VideoTokenCheck(BaseModel):
    """One token of the recorded change: its screen counts in the recording and the candidate."""

    token: str
    expect: VideoExpect
    ref_before: int
    ref_after: int
    cand_before: int
    cand_after: int
    ok: bool
    source: str = "dom"  # what decided: dom counts | dom-edit | ocr (assertion_tokens.candidate_counts) | ocr-place


def _useful(token: str) -> bool:
    """Numbers of any length and words of two letters or more (single letters are mostly OCR
    debris of icons and cursors)."""
    return token[0].isdigit() or len(token) >= 2


def _unglued(one: list[str], others: list[list[str]], pair: list[str]) -> list[str]:
    """`one` with each token that is a run of consecutive tokens of another line written
    together split into them: a separator read on one side only ('category·West' /
    'categoryWest'). Words are split by any line of the `others` (read at another place
    too); numbers only by the same line's other side (`pair`): a game tree's '1 2 3 4' read
    '1 234' before a move and apart after it, whereas '12' in one line and '1 2' in another
    are other numbers."""
    out: list[str] = []
    for tok in one:
        lines = [pair] if tok.isdigit() else others
        run = next((line[i:j] for line in lines if tok not in line for i in range(len(line))
                    for j in range(i + 2, len(line) + 1) if "".join(line[i:j]) == tok), None)
        out.extend(run if run is not None else [tok])
    return out


def changed_tokens(change: VisibleChange) -> tuple[Counter[str], Counter[str]]:
    """Tokens the changed lines gained and lost (multisets); words read glued on one side and
    apart on the other count as the same words. A line whose letters and digits read the
    same on both sides (`glyphs`: only separators, spacing or a digit's drawn form differ,
    '1 234 5' / '1-2 3-4 5') gives no token: OCR's tokenising, not the page, changed."""
    was = [tokens(folded(t.before)) for t in change.texts]
    now = [tokens(folded(t.after)) for t in change.texts]
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    for t, old, new in zip(change.texts, was, now, strict=True):
        if t.kind == "changed" and glyphs(t.before) == glyphs(t.after):
            continue
        ends = _row_end(old, new)
        if ends is not None:  # only the row's added (removed) digits are a number
            old, new = [tok for tok in old if not tok.isdigit()] + ends[0], [tok for tok in new if not tok.isdigit()] + ends[1]
        before.update(tok for tok in _unglued(old, now, new) if _useful(tok))
        after.update(tok for tok in _unglued(new, was, old) if _useful(tok))
    return after - before, before - after


def _row_end(old: list[str], new: list[str]) -> tuple[list[str], list[str]] | None:
    """A row of numbers that grew (shrank) at its end and is read with other separations on
    the two sides, its digits otherwise the same ('1 23' -> '1 2 34', a game tree's next
    move): the digits added (removed) at the end, as the number gained (lost). None when the
    numbers are as many on both sides (a value edited or typed in place: '12' -> '125') or
    one side's numbers are the other's with some appended (the tokens already say it)."""
    a, b = [t for t in old if t.isdigit()], [t for t in new if t.isdigit()]
    if len(a) == len(b) or a == b[:len(a)] or b == a[:len(b)]:
        return None
    da, db = "".join(a), "".join(b)
    if db.startswith(da) and len(db) > len(da):
        return [], [db[len(da):]]
    if da.startswith(db) and len(da) > len(db):
        return [da[len(db):]], []
    return None


def _one_edit(a: str, b: str) -> bool:
    """`a` and `b` differ by at most one substituted, dropped or added character."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def maybe_unread(token: str, unread: list[str]) -> bool:
    """The token may be one of the lines the recording's reading left out (under the pointer,
    or unsure): the same token there, or for tokens of 3+ characters one misread character
    away ('109' read '169' under the pointer). Its whole-screen count then proves nothing."""
    near = {t for line in unread for t in tokens(folded(line))}
    return token in near or (len(token) >= 3 and any(len(t) >= 3 and _one_edit(token, t) for t in near))


def token_checks(ctx: AssertionContext, change: VisibleChange, at_place: bool = True) -> list[VideoTokenCheck]:
    """One check per gained or lost token whose whole-screen count moved the same way (and
    that the pointer or an unsure reading may not have hidden); with `at_place`, a token that
    fails may hold where the candidate's screens change at its line's place (`_AtPlace`)."""
    gained, lost = changed_tokens(change)
    place = _AtPlace(ctx, change) if at_place else None
    ref_before, ref_after = folded(ctx.reference_text_before), folded(ctx.reference_text_after)
    checks: list[VideoTokenCheck] = []
    for tok in sorted(set(gained) | set(lost)):
        if maybe_unread(tok, change.unread):
            continue
        rb, ra = count_phrase(ref_before, tok), count_phrase(ref_after, tok)
        expect: VideoExpect
        if tok in gained and ra > rb:
            expect = "present" if ctx.action_type == "Scroll" else "appear"
        elif tok in lost and rb > ra and ctx.action_type != "Scroll":
            expect = "disappear"
        else:
            continue  # moved, or read differently by OCR on the two sides: not evidence
        cand = candidate_counts(ctx, tok, expect)
        ok, source = cand.ok, cand.source
        if not ok and place is not None and place.shown(tok, expect):
            ok, source = True, "ocr-place"
        checks.append(VideoTokenCheck(token=tok, expect=expect, ref_before=rb, ref_after=ra, cand_before=cand.before,
                                      cand_after=cand.after, ok=ok, source=source))
    return checks


class _AtPlace:
    """Whether the candidate's screens show the change of the one recorded line that holds a
    token at its place (read there with the same OCR, `shown_at_place`). The recording's OCR
    and the candidate's DOM can disagree on the same pixels (digits drawn in circles, two
    numbers side by side read as one): the same reading of the candidate's screens at the
    same place does not, so a page laid out as the recording gets the same tokens.

    Only for a token that one changed line alone holds, on the side its change names (a
    token in several lines may have moved between them: a hint line that moved up under a
    deleted task); only when the candidate's DOM text accounts for its screen (pictures of
    the recording do not pass, as in `candidate_counts`); and only on the second look, once
    the candidate's whole screens were read (`candidate_ocr_after`: the judge reads them when
    a check fails on the DOM text alone), so whole-screen evidence is weighed first.
    Key-trial probes go without it (`check_visible_change`)."""

    def __init__(self, ctx: AssertionContext, change: VisibleChange) -> None:
        self._ctx, self._change = ctx, change
        self._sides = [(set(tokens(folded(t.before))), set(tokens(folded(t.after)))) for t in change.texts]
        self._shown: dict[int, bool] = {}  # line index -> read and shown (each line read once)

    def shown(self, token: str, expect: VideoExpect) -> bool:
        ctx = self._ctx
        if (ctx.candidate_before is None or ctx.candidate_after is None or expect == "present"
                or not ctx.candidate_ocr_after or not dom_covers_screen(ctx)):
            return False
        holders = [i for i, (was, now) in enumerate(self._sides) if token in was or token in now]
        if len(holders) != 1:
            return False
        i = holders[0]
        was, now = self._sides[i]
        side, other = (now, was) if expect == "appear" else (was, now)
        if token not in side or token in other:
            return False
        if i not in self._shown:
            self._shown[i] = shown_at_place(self._change.texts[i], ctx.candidate_before, ctx.candidate_after)
        return self._shown[i]


def _listed(checks: list[VideoTokenCheck]) -> str:
    return ", ".join(f"{c.token} ({c.expect})" for c in checks)[:300]


def decide(checks: list[VideoTokenCheck], evidence: ChangeEvidence, replay_fraction: float | None) -> tuple[bool | None, str]:
    """The pass/fail rule of a video assertion (module docstring) and a one-line reason."""
    against = change_failure(evidence, replay_fraction)
    if against:
        return False, against
    numbers = [c for c in checks if c.token[0].isdigit()]
    words = [c for c in checks if not c.token[0].isdigit()]
    wrong_numbers = [c for c in numbers if not c.ok]
    if wrong_numbers:
        return False, "the recording's numbers do not change alike: " + _listed(wrong_numbers)
    if words and 2 * sum(c.ok for c in words) < len(words):
        return False, "most of the recording's changed words are not on the page: " + _listed([c for c in words if not c.ok])
    if checks:
        return True, f"{sum(c.ok for c in checks)} of {len(checks)} changed tokens of the recording change alike"
    return None, "no text change to check; the screen changed as in the recording"


async def check_visible_change(ctx: AssertionContext, change: VisibleChange, at_place: bool = True) -> AssertionVerdict:
    """The verdict of a video-derived statement on the candidate's step (`at_place`: see
    `token_checks`; a key trial's probe goes without, to stay cheap over many keys)."""
    checks = await asyncio.to_thread(token_checks, ctx, change, at_place)  # may OCR the candidate's screens at a line's place
    evidence = await asyncio.to_thread(measure, ctx)
    passed, reason = decide(checks, evidence, ctx.candidate_changed_fraction)
    return AssertionVerdict(method=METHOD, passed=passed, evidence={
        "reason": reason,
        "statement": change.describe(),
        "tokens": [c.model_dump() for c in checks],
        "reference_changed_fraction": evidence.reference,
        "candidate_screen_changed_fraction": evidence.candidate,
        "change_overlap": evidence.overlap,
        "ocr_trusted": dom_covers_screen(ctx),
    })


def merge_verdicts(text: AssertionVerdict | None, video: AssertionVerdict | None) -> AssertionVerdict | None:
    """Both verdicts of a step as one: failed when either failed, passed when one passed and
    none failed, else undecided; each kept in the evidence."""
    if text is None or video is None:
        return text or video
    votes = [text.passed, video.passed]
    passed = False if False in votes else (True if True in votes else None)
    failed = text if text.passed is False else video
    return AssertionVerdict(
        method=f"{text.method}+{METHOD}", passed=passed, error=text.error or video.error,
        evidence={"reason": failed.evidence.get("reason", ""), "text": text.model_dump(), "video": video.model_dump()},
    )


async def check_step(asserter: Asserter, ctx: AssertionContext) -> AssertionVerdict:
    """A step's verdict: its assertion text by `asserter` and the recorded change, merged."""
    text = await asserter.check(ctx) if ctx.assertion else None
    video = await check_visible_change(ctx, ctx.expected_change) if ctx.expected_change is not None else None
    merged = merge_verdicts(text, video)
    assert merged is not None, "check_step needs an assertion text or an expected change"
    return merged
