"""Checking a step's logical assertion: offline (deterministic evidence) or by an LLM.

`OfflineAsserter` compares the candidate's before/after states with the reference
checkpoints' before/after states:

1. Change (`assertion_change`): when the reference visibly changed at this step but the
   candidate's screenshot did not change at all, the assertion fails; likewise when the
   reference changed most of the screen (a dialog closing) and the candidate almost nothing,
   and not where the reference did; and, weighed after the named text (rule 7), when a click
   changed only its own element in the candidate (a hover style) while the reference's change
   reached beyond an element that size.
2. Text (`assertion_tokens`): the tokens the assertion names (quoted strings, numbers,
   words of 3+ letters that are not stop words) are counted in the reference's before/after
   text and in the candidate's before/after text. A token whose count the reference changed
   must change the same way in the candidate (appear; disappear only when the assertion
   states a removal or change, since OCR can lose a token); against the DOM's reference
   text by at least as much as the reference's count changed. A token the reference shows
   unchanged after the step must be present in the candidate's after state. Tokens absent
   from both reference states are not evidence.
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
3. Order (`assertion_order`): when the reference reordered the named values it kept (a
   swap, a sort), the candidate must reorder them as well.
4. Removal (`assertion_removal`): most content words the reference removed at the step (and
   the candidate showed) must go in the candidate too, named or not (a filter that filters
   nothing keeps every card the assertion names): DOM text against DOM text, or, for official
   tasks, the checkpoints' OCR against the candidate screenshots' OCR (words lost entirely).
5. Neighbours (`assertion_lines`): with the DOM's reference text, the candidate must not
   write text the reference shows between lines the reference kept together, nor show text
   of another step between lines the reference put together at this step (a new card put
   first instead of last, two counts that trade places, a heading shown one step early).
6. Place (`assertion_place`): where the reference's screen took a named number or quoted
   text at the step, read region by region, the candidate's screen must show it too when it
   was the reference's there before the step (a capture credited to the other player: both
   counts are on screen either way).
7. Early text (`assertion_early`, official tasks): a word the candidate newly shows at the
   step that the checkpoints' OCR shows only at other steps of the recording (a heading shown
   one step early), read by OCR on both sides; and, weighed last, a word the checkpoints' OCR
   lost at this step and never shows again that the candidate still shows (text of a state
   the reference ended: a dialog's description now on a card the reference does not show).
   With the DOM's reference text, a named word the reference brought at the step which the
   candidate showed as often already before it is shown early (`TokenCheck.early`).
8. Decision: every quoted/number check, the place, the order and the neighbour checks must
   hold, no named word shown early, and at least half of the word checks, then the click
   confined to its element (rule 1), then no text of an ended state (rule 7); no usable check and no
   decisive change evidence -> undecided (`passed=None`).

`LLMAsserter` is the official method: before/after screenshots and the assertion go to a
multimodal model that answers JSON {"answer": "Yes"|"No", "reasoning": ...}; an API error
or an unparseable answer gives `passed=None` with the error (never a pass or a fail).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any, Protocol

from .assertion_change import CANDIDATE_STILL, REFERENCE_CHANGED, ChangeEvidence, change_failure, measure, target_failure
from .assertion_context import AssertionContext
from .assertion_early import EarlyCheck, early_check
from .assertion_lines import LinesCheck, lines_check
from .assertion_order import OrderCheck, order_check
from .assertion_place import PlaceCheck, place_check
from .assertion_removal import RemovalCheck, removal_check
from .assertion_tokens import (
    STOP_WORDS,
    NamedToken,
    TokenCheck,
    count_phrase,
    dom_covers_screen,
    from_to_values,
    named_tokens,
    normalise,
    token_checks,
    tokens,
)
from .types import AssertionVerdict

if TYPE_CHECKING:
    from ...tools.ocr import OcrCache

__all__ = [
    "CANDIDATE_STILL", "REFERENCE_CHANGED", "STOP_WORDS", "AssertionContext", "Asserter", "ChangeEvidence",
    "LLMAsserter", "NamedToken", "OfflineAsserter", "OrderCheck", "PlaceCheck", "TokenCheck", "count_phrase", "decide",
    "from_to_values", "named_tokens", "normalise", "order_check", "parse_yes_no", "token_checks", "tokens",
]


class Asserter(Protocol):
    """Decides whether a step's assertion holds on the candidate page."""

    name: str
    uses_model: bool

    async def check(self, ctx: AssertionContext) -> AssertionVerdict: ...


def decide(checks: list[TokenCheck], change: ChangeEvidence, order: OrderCheck | None = None,
           replay_fraction: float | None = None, removal: RemovalCheck | None = None,
           lines: LinesCheck | None = None, early: EarlyCheck | None = None,
           place: PlaceCheck | None = None) -> tuple[bool | None, str]:
    """The offline pass/fail rule (see the module docstring) and a one-line reason."""
    against = change_failure(change, replay_fraction)
    if against:
        return False, against
    if removal is not None and not removal.ok:
        return False, (f"the reference removed {len(removal.removed)} words at this step, the candidate kept "
                       f"{len(removal.kept)}: {', '.join(removal.kept[:8])}")
    if lines is not None and not lines.ok:
        return False, lines.reason
    if early is not None and early.words:
        return False, early.reason
    strong = [c for c in checks if c.kind in ("quoted", "number")]
    words = [c for c in checks if c.kind == "word"]
    failed_strong = [c.token for c in strong if not c.ok]
    if failed_strong:
        return False, f"named text not as in the reference: {', '.join(failed_strong)}"
    if place is not None and not place.ok:
        return False, place.reason
    shown_early = [c.token for c in words if c.early]
    if shown_early:
        return False, f"named words the reference brings at this step were shown before it: {', '.join(shown_early)}"
    if order is not None and not order.ok:
        return False, f"{order.reason}: {', '.join(order.reference_after)}"
    if words:
        good = sum(1 for c in words if c.ok)
        if good * 2 < len(words):
            missing = [c.token for c in words if not c.ok]
            return False, f"most named words not as in the reference: {', '.join(missing)}"
    confined = target_failure(change)
    if confined:
        return False, confined
    if early is not None and not early.ok:
        return False, early.reason  # text of a state the reference ended: weighed last, the reasons above say more
    if strong or words:
        return True, "named text matches the reference's change"
    return None, "the assertion names no text the reference shows; undecided offline"


class OfflineAsserter:
    """Deterministic, model-free assertion checking against the reference checkpoints."""

    name = "offline"
    uses_model = False

    def __init__(self, ocr_cache: OcrCache | None = None) -> None:
        self.ocr_cache = ocr_cache  # the place rule's reads of screen regions

    async def check(self, ctx: AssertionContext) -> AssertionVerdict:
        checks = token_checks(ctx)
        order = order_check(ctx, checks)
        removal = removal_check(ctx)
        lines = lines_check(ctx)
        early = early_check(ctx)
        change = await asyncio.to_thread(measure, ctx)
        passed, reason = decide(checks, change, order, ctx.candidate_changed_fraction, removal, lines, early)
        place = None
        if passed is not False:  # the place rule reads screens (OCR): only where it can still decide the step
            place = await asyncio.to_thread(place_check, ctx, self.ocr_cache)
            passed, reason = decide(checks, change, order, ctx.candidate_changed_fraction, removal, lines, early, place)
        evidence: dict[str, Any] = {
            "reason": reason,
            "reference_text_source": ctx.reference_text_source,
            "tokens": [c.model_dump() for c in checks],
            "order": order.model_dump() if order is not None else None,
            "removal": removal.model_dump() if removal is not None else None,
            "lines": lines.model_dump() if lines is not None else None,
            "early": early.model_dump() if early is not None else None,
            "place": place.model_dump() if place is not None else None,
            "reference_changed_fraction": change.reference,
            "candidate_changed_fraction": ctx.candidate_changed_fraction,
            "candidate_screen_changed_fraction": change.candidate,
            "change_overlap": change.overlap,
            "target_only": change.target_only,
            "reference_beyond_target": change.reference_beyond_target,
            "ocr_trusted": dom_covers_screen(ctx),
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
    candidates = [cleaned, *re.findall(r"\{.*?\}", cleaned, flags=re.DOTALL)]
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
