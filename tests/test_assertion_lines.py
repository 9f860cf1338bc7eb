"""Where text sits among its neighbours (`assertion_lines`): the DOM-text rules on small texts."""

from __future__ import annotations

import asyncio

from iwr.benchmark.judge.assertion_lines import lines_check
from iwr.benchmark.judge.assertions import AssertionContext, OfflineAsserter


def _check(ctx: AssertionContext):
    return asyncio.run(OfflineAsserter().check(ctx))


BOARD_BEFORE = "To do\n2\nPlan sprint\nReview designs\nIn progress\n1\nFix login\nNew card\nWrite notes\nBug\nCreate"
BOARD_AFTER = "To do\n3\nPlan sprint\nReview designs\nWrite notes\nBug\nIn progress\n1\nFix login\nCreated: Write notes"


def _lines_ctx(cand_after: str, **kw) -> AssertionContext:
    base = dict(assertion="The dialog closes, the 'To do' count reads 3 and a notice 'Created: Write notes' appears", step=1,
                action_type="Click", reference_text_source="dom", reference_text_before=BOARD_BEFORE,
                reference_text_after=BOARD_AFTER, candidate_text_before=BOARD_BEFORE, candidate_text_after=cand_after)
    return AssertionContext(**{**base, **kw})


def test_known_text_put_between_lines_the_reference_kept_together_fails() -> None:
    on_top = "To do\n3\nWrite notes\nBug\nPlan sprint\nReview designs\nIn progress\n1\nFix login\nCreated: Write notes"
    check = lines_check(_lines_ctx(on_top))
    assert check is not None and not check.ok and check.moved == ["write notes", "bug"]
    assert _check(_lines_ctx(on_top)).passed is False
    assert _check(_lines_ctx(BOARD_AFTER)).passed is True
    # the reference's own new text elsewhere in document order (a fixed toast) is no evidence
    toast_first = "Created: Write notes\nTo do\n3\nPlan sprint\nReview designs\nWrite notes\nBug\nIn progress\n1\nFix login"
    assert lines_check(_lines_ctx(toast_first)).ok  # type: ignore[union-attr]
    toast_inside = "To do\n3\nCreated: Write notes\nPlan sprint\nReview designs\nWrite notes\nBug\nIn progress\n1\nFix login"
    assert lines_check(_lines_ctx(toast_inside)).ok  # type: ignore[union-attr]
    # text the reference never shows (a reconstruction's own wording) is no evidence either
    own = "To do\n3\nAdded!\nPlan sprint\nReview designs\nWrite notes\nBug\nIn progress\n1\nFix login\nCreated: Write notes"
    assert lines_check(_lines_ctx(own)).ok  # type: ignore[union-attr]
    # OCR'd reference text and scroll steps give none
    assert lines_check(_lines_ctx(on_top, reference_text_source="ocr")) is None
    assert lines_check(_lines_ctx(on_top, action_type="Scroll")) is None


def test_counts_that_trade_places_fail() -> None:
    before = "White (?)\n0\nBlack (?)\n0\nInfo\n1\n2"
    ctx = dict(assertion="Black's capture count reads 1 while White's reads 0", step=3, action_type="Click",
               reference_text_source="dom", reference_text_before=before,
               reference_text_after="White (?)\n0\nBlack (?)\n1\nInfo\n1\n2\n3", candidate_text_before=before)
    swapped = AssertionContext(**ctx, candidate_text_after="White (?)\n1\nBlack (?)\n0\nInfo\n1\n2\n3")
    check = lines_check(swapped)
    assert check is not None and not check.ok and "white (?)" in check.kept_split[0]
    assert _check(swapped).passed is False
    assert _check(AssertionContext(**ctx, candidate_text_after="White (?)\n0\nBlack (?)\n1\nInfo\n1\n2\n3")).passed is True


def test_text_of_another_step_between_lines_the_reference_put_together_fails() -> None:
    ctx = dict(assertion="A dialog opens listing 'api_key'", step=1, action_type="Click", reference_text_source="dom",
               reference_text_before="Authorize", reference_text_after="Authorize\napi_key\nName: api_key\nValue:\nClose",
               candidate_text_before="Authorize")
    early = "Authorize\napi_key\nAuthorized\nName: api_key\nValue:\nClose"
    recording = "Authorize\napi_key\nAuthorized\nName: api_key\nLogout\nClose"  # 'Authorized' shows at a later step
    check = lines_check(AssertionContext(**ctx, candidate_text_after=early, reference_text_recording=recording))
    assert check is not None and not check.ok and "authorized" in check.new_split[0]
    assert _check(AssertionContext(**ctx, candidate_text_after=early, reference_text_recording=recording)).passed is False
    # a line the recording never shows is the reconstruction's own: no evidence
    assert lines_check(AssertionContext(**ctx, candidate_text_after=early)).ok  # type: ignore[union-attr]
    right = "Authorize\napi_key\nName: api_key\nValue:\nClose"
    assert _check(AssertionContext(**ctx, candidate_text_after=right, reference_text_recording=recording)).passed is True
