"""Checking a step's logical assertion: offline (deterministic evidence) or by an LLM.

`OfflineAsserter` compares the candidate's before/after states with the reference
checkpoints' before/after states:

1. Change: when the reference visibly changed at this step but the candidate's screenshot
   did not change at all, the assertion fails.
2. Text: the tokens the assertion names (quoted strings, numbers, words of 3+ letters
   that are not stop words) are counted in the reference's before/after text (OCR of the
   checkpoints) and in the candidate's before/after text. A token whose count the
   reference changed must change the same way in the candidate (appear; disappear only
   when the assertion states a removal or change, since OCR can lose a token); a
   token the reference shows unchanged after the step must be present in the candidate's
   after state. Tokens absent from both reference states are not evidence.
   Reference text = the visible DOM text recorded at each checkpoint with the judge's own
   extractor when the task has it (symmetric with the candidate's; evidence
   `reference_text_source: dom`), else OCR of the checkpoint images (`ocr`, official tasks).
   Candidate text = the page's DOM text; against OCR'd reference text the candidate's OCR
   text is accepted as well, only when the page's DOM text accounts for most of what is on
   screen (so a page that is just pictures of the recording cannot pass on pixels alone).
   'from A to B' (e.g. "changes from 0 to 1"): A must be in the candidate's before state,
   B in its after state as the reference shows; A need not disappear. When the assertion
   says things stay ('stays 16', 'nothing changes') and the recorded DOM text kept a token's
   count, the candidate must keep that token's count too.
3. Decision: every quoted/number check must hold and at least half of the word checks;
   no usable check and no decisive change evidence -> undecided (`passed=None`).

`LLMAsserter` is the official method: before/after screenshots and the assertion go to a
multimodal model that answers JSON {"answer": "Yes"|"No", "reasoning": ...}; an API error
or an unparseable answer gives `passed=None` with the error (never a pass or a fail).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from .types import AssertionVerdict

REFERENCE_CHANGED = 0.002  # fraction of pixels: the reference visibly changed
CANDIDATE_STILL = 0.00005  # fraction of pixels: the candidate did not change at all
DOM_COVERAGE_FOR_OCR = 0.5  # DOM text length / OCR text length needed to trust OCR tokens

STOP_WORDS = frozenset(
    """the and are was were has have had for from with into onto that this these those then than
    shows show shown showing displays display displayed reads read now still its it's is be been
    being will should page there their which what when where who whom whose appears appear
    visible becomes become changes change changed updates updated updated to of in on at by an
    as or not no yes all any each every more less new other same one two""".split()
)


class AssertionContext(BaseModel):
    """Everything an asserter may look at for one step."""

    assertion: str
    step: int
    description: str = ""
    candidate_before: Path | None = None
    candidate_after: Path | None = None
    candidate_text_before: str = ""  # DOM text
    candidate_text_after: str = ""
    candidate_ocr_before: str = ""
    candidate_ocr_after: str = ""
    candidate_changed_fraction: float | None = None
    reference_before: Path | None = None
    reference_after: Path | None = None
    reference_text_before: str = ""  # recorded DOM text of the checkpoints, else their OCR
    reference_text_after: str = ""
    reference_text_source: str = "ocr"  # dom (recorded with the judge's extractor) | ocr


class Asserter(Protocol):
    """Decides whether a step's assertion holds on the candidate page."""

    name: str
    uses_model: bool

    async def check(self, ctx: AssertionContext) -> AssertionVerdict: ...


_TOKEN_RE = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,:]\d+)*")
_QUOTED_RE = re.compile(r"[\"“‘]([^\"”’]+)[\"”’]|(?<![a-z])'([^']+)'(?![a-z])", re.IGNORECASE)
_REMOVAL_RE = re.compile(r"\b(remov\w*|delet\w*|disappear\w*|no longer|gone|clear\w*|hidden|hides?|clos\w*|empty|emptie\w*|vanish\w*|cancel\w*|replac\w*|instead|changes? from|from \S+ to)\b", re.IGNORECASE)
_KEEP_RE = re.compile(r"\b(stays?|still|unchanged|remains?|keeps?|nothing (?:else )?changes|no change|does not change|doesn't change|same)\b", re.IGNORECASE)
_NUMBER_RE = re.compile(r"\d+(?:[.,:]\d+)*")


def normalise(text: str) -> str:
    """Lower-cased text with runs of whitespace collapsed."""
    return re.sub(r"\s+", " ", (text or "").lower()).strip()


def tokens(text: str) -> list[str]:
    """Word and number tokens of a text (lower-cased; thousands separators kept as written)."""
    return _TOKEN_RE.findall(normalise(text))


def _count_phrase(text: str, phrase: str) -> int:
    """Occurrences of a phrase as whole tokens (spacing-insensitive)."""
    words = tokens(phrase)
    if not words:
        return 0
    toks = tokens(text)
    n = len(words)
    return sum(1 for i in range(len(toks) - n + 1) if toks[i : i + n] == words)


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
    source: str = "dom"  # where the candidate's counts come from: dom | ocr


def _expectation(ref_before: int, ref_after: int) -> str | None:
    if ref_after > ref_before:
        return "appear"
    if ref_after < ref_before:
        return "disappear"
    return "present" if ref_after > 0 else None


def _holds(expect: str, before: int, after: int) -> bool:
    if expect == "before":
        return before > 0
    if expect == "keep":
        return after == before > 0
    if expect == "appear":
        return after > before
    if expect == "disappear":
        return after < before
    return after > 0


_VALUE = r"(?:[\"“‘']([^\"”’']+)[\"”’']|(\S+?))"
_FROM_TO_RE = re.compile(rf"\bfrom\s+{_VALUE}\s+to\s+{_VALUE}(?=[\s.,;:!?)]|$)", re.IGNORECASE)


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
    return ctx.reference_text_source == "dom" and rb == ra > 0 and bool(_KEEP_RE.search(ctx.assertion))


def token_checks(ctx: AssertionContext) -> list[TokenCheck]:
    """One check per named token the reference's text gives an expectation for."""
    ocr_trusted = _dom_covers_screen(ctx)
    olds, news = from_to_values(ctx.assertion)
    checks: list[TokenCheck] = []
    for tok in named_tokens(ctx.assertion):
        rb = _count_phrase(ctx.reference_text_before, tok.text)
        ra = _count_phrase(ctx.reference_text_after, tok.text)
        expect = _expect_for(tok.text, rb, ra, olds, news)
        if expect == "present" and _keep_expected(ctx, rb, ra):
            expect = "keep"
        if expect is None or (expect == "disappear" and not _REMOVAL_RE.search(ctx.assertion)):
            # a token can vanish from the reference's OCR for reasons the assertion does not
            # claim (misread, moved to a large heading): only removals it states are checked
            continue
        cb = _count_phrase(ctx.candidate_text_before, tok.text)
        ca = _count_phrase(ctx.candidate_text_after, tok.text)
        ok = _holds(expect, cb, ca)
        source = "dom"
        if not ok and ocr_trusted:
            ob = _count_phrase(ctx.candidate_ocr_before, tok.text)
            oa = _count_phrase(ctx.candidate_ocr_after, tok.text)
            if _holds(expect, ob, oa):
                ok, source, cb, ca = True, "ocr", ob, oa
        checks.append(TokenCheck(token=tok.text, kind=tok.kind, ref_before=rb, ref_after=ra,
                                 cand_before=cb, cand_after=ca, expect=expect, ok=ok, source=source))
    return checks


def _dom_covers_screen(ctx: AssertionContext) -> bool:
    """True when the page's DOM text accounts for most of the text OCR sees on screen (and
    the reference's text is OCR too: DOM reference text is compared with DOM text only)."""
    if ctx.reference_text_source != "ocr":
        return False
    ocr_len = len(normalise(ctx.candidate_ocr_after))
    if ocr_len == 0:
        return False
    return len(normalise(ctx.candidate_text_after)) >= DOM_COVERAGE_FOR_OCR * ocr_len


def _reference_changed(ctx: AssertionContext) -> float | None:
    if ctx.reference_before is None or ctx.reference_after is None:
        return None
    if not (Path(ctx.reference_before).is_file() and Path(ctx.reference_after).is_file()):
        return None
    from ...tools.image_metrics import changed_fraction

    return changed_fraction(ctx.reference_before, ctx.reference_after)


def _change_overlap(ctx: AssertionContext) -> float | None:
    paths = (ctx.reference_before, ctx.reference_after, ctx.candidate_before, ctx.candidate_after)
    if any(p is None or not Path(p).is_file() for p in paths):
        return None
    from ...tools.image_metrics import change_overlap

    return change_overlap(*paths)  # type: ignore[arg-type]


def decide(checks: list[TokenCheck], reference_changed: float | None, candidate_changed: float | None) -> tuple[bool | None, str]:
    """The offline pass/fail rule (see the module docstring) and a one-line reason."""
    if reference_changed is not None and candidate_changed is not None:
        if reference_changed >= REFERENCE_CHANGED and candidate_changed <= CANDIDATE_STILL:
            return False, "the reference changed at this step but the candidate page did not change"
    strong = [c for c in checks if c.kind in ("quoted", "number")]
    words = [c for c in checks if c.kind == "word"]
    failed_strong = [c.token for c in strong if not c.ok]
    if failed_strong:
        return False, f"named text not as in the reference: {', '.join(failed_strong)}"
    if words:
        good = sum(1 for c in words if c.ok)
        if good * 2 < len(words):
            missing = [c.token for c in words if not c.ok]
            return False, f"most named words not as in the reference: {', '.join(missing)}"
    if strong or words:
        return True, "named text matches the reference's change"
    return None, "the assertion names no text the reference shows; undecided offline"


class OfflineAsserter:
    """Deterministic, model-free assertion checking against the reference checkpoints."""

    name = "offline"
    uses_model = False

    async def check(self, ctx: AssertionContext) -> AssertionVerdict:
        checks = token_checks(ctx)
        ref_changed, overlap = await asyncio.to_thread(lambda: (_reference_changed(ctx), _change_overlap(ctx)))
        passed, reason = decide(checks, ref_changed, ctx.candidate_changed_fraction)
        evidence: dict[str, Any] = {
            "reason": reason,
            "reference_text_source": ctx.reference_text_source,
            "tokens": [c.model_dump() for c in checks],
            "reference_changed_fraction": ref_changed,
            "candidate_changed_fraction": ctx.candidate_changed_fraction,
            "change_overlap": overlap,
            "ocr_trusted": _dom_covers_screen(ctx),
        }
        return AssertionVerdict(method="offline", passed=passed, evidence=evidence)


LLM_ASSERT_PROMPT = """You are checking one step of a replayed web page interaction.
The first image is the page BEFORE the action, the second image is the page AFTER it.
Action: {description}
Assertion to verify on the AFTER state (compared with BEFORE): {assertion}
Answer only with JSON: {{"answer": "Yes" or "No", "reasoning": "<one or two sentences>"}}"""


def parse_yes_no(text: str) -> tuple[bool | None, str, str | None]:
    """(passed, reasoning, error) from a model answer; tolerant of code fences and prose."""
    cleaned = re.sub(r"^```(?:json)?|```$", "", text.strip(), flags=re.MULTILINE).strip()
    candidates = [cleaned] + re.findall(r"\{.*?\}", cleaned, flags=re.DOTALL)
    for cand in candidates:
        try:
            data = json.loads(cand)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(data, dict):
            answer = str(data.get("answer", "")).strip().lower()
            reasoning = str(data.get("reasoning", ""))
            if answer in ("yes", "true"):
                return True, reasoning, None
            if answer in ("no", "false"):
                return False, reasoning, None
    return None, "", f"unparseable answer: {text[:200]!r}"


class LLMAsserter:
    """The official assertion check: a multimodal model judges before/after screenshots."""

    name = "llm"
    uses_model = True

    def __init__(self, gateway: Any, purpose: str = "assert") -> None:
        self.gateway = gateway
        self.purpose = purpose

    async def check(self, ctx: AssertionContext) -> AssertionVerdict:
        from ...tools.llm.types import ImagePart, Message, ModelError, TextPart

        if ctx.candidate_before is None or ctx.candidate_after is None:
            return AssertionVerdict(method="llm", passed=None, error="no before/after screenshots")
        prompt = LLM_ASSERT_PROMPT.format(description=ctx.description or "(none)", assertion=ctx.assertion)
        messages = [Message(role="user", content=[
            TextPart(text=prompt), ImagePart(path=ctx.candidate_before), ImagePart(path=ctx.candidate_after),
        ])]
        try:
            response = await self.gateway.complete(messages, purpose=self.purpose)
        except ModelError as e:
            return AssertionVerdict(method="llm", passed=None, error=f"model error: {e}")
        passed, reasoning, error = parse_yes_no(response.text)
        return AssertionVerdict(method="llm", passed=passed, error=error,
                                evidence={"answer": response.text, "reasoning": reasoning})
