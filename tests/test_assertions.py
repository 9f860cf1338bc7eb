"""Assertion checking: the offline rule on texts/screenshots, and the LLM path via the fake server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from iwr.benchmark.judge.assertions import (
    AssertionContext,
    LLMAsserter,
    OfflineAsserter,
    from_to_values,
    named_tokens,
    parse_yes_no,
)
from iwr.tools.llm.fake_server import FakeOpenAIServer
from iwr.tools.llm.gateway import LLMGateway
from iwr.tools.llm.types import LLMSettings

REF_BEFORE = "Trail Shop Cart (0) Trail Runner $45.00 Add to cart Water Bottle $12.00 Add to cart"
REF_AFTER = "Trail Shop Cart (1) Trail Runner $45.00 Add to cart Water Bottle $12.00 Add to cart Subtotal $45.00"


def _ctx(cand_before: str, cand_after: str, assertion: str = "The cart badge shows 1 and the subtotal reads $45.00",
         **kw) -> AssertionContext:
    return AssertionContext(assertion=assertion, step=1, reference_text_before=REF_BEFORE, reference_text_after=REF_AFTER,
                            candidate_text_before=cand_before, candidate_text_after=cand_after, **kw)


def _check(ctx: AssertionContext):
    return asyncio.run(OfflineAsserter().check(ctx))


def test_named_tokens() -> None:
    toks = {(t.text, t.kind) for t in named_tokens("The badge shows 'Added!' and the total reads $1,045.50")}
    assert ("added!", "quoted") in toks
    assert ("1,045.50", "number") in toks
    assert ("badge", "word") in toks and ("total", "word") in toks
    assert not any(t == "the" for t, _ in toks)


def test_offline_passes_when_the_candidate_changes_like_the_reference() -> None:
    v = _check(_ctx("Shop Cart 0 Trail Runner $45.00 Water Bottle $12.00",
                    "Shop Cart 1 Trail Runner $45.00 Water Bottle $12.00 Subtotal: $45.00"))
    assert v.passed is True, v.evidence
    assert v.method == "offline"
    assert {c["token"] for c in v.evidence["tokens"]} >= {"1", "45.00"}


def test_offline_fails_on_a_wrong_number() -> None:
    v = _check(_ctx("Shop Cart 0 Trail Runner $45.00", "Shop Cart 1 Trail Runner $45.00 Subtotal: $40.00"))
    assert v.passed is False
    assert "45.00" in v.evidence["reason"]


def test_offline_fails_when_nothing_appears() -> None:
    # '1' was already on the page before and did not appear anew
    v = _check(_ctx("Item 1 $45.00", "Item 1 $45.00"))
    assert v.passed is False


def test_pixels_only_text_does_not_count_without_dom_text() -> None:
    # a page that is a picture of the recording: OCR shows the right text, the DOM has none
    ctx = _ctx("", "", candidate_ocr_before=REF_BEFORE, candidate_ocr_after=REF_AFTER)
    assert _check(ctx).passed is False
    # when the DOM holds most of the visible text (prices drawn in a canvas), OCR evidence is accepted
    ctx = _ctx("Trail Shop Cart (0) Trail Runner Add to cart Water Bottle Add to cart",
               "Trail Shop Cart (1) Trail Runner Add to cart Water Bottle Add to cart Subtotal",
               candidate_ocr_before=REF_BEFORE, candidate_ocr_after=REF_AFTER)
    v = _check(ctx)
    assert v.passed is True and any(c["source"] == "ocr" for c in v.evidence["tokens"])


def test_undecidable_offline_is_none() -> None:
    v = _check(_ctx("a", "b", assertion="A confirmation dialog closes"))
    assert v.passed is None


def _img(path: Path, box: bool) -> Path:
    im = Image.new("RGB", (320, 180), "white")
    if box:
        ImageDraw.Draw(im).rectangle([100, 60, 200, 120], fill="red")
    im.save(path)
    return path


def test_offline_fails_when_reference_changed_but_candidate_did_not(tmp_path: Path) -> None:
    before, after = _img(tmp_path / "b.png", False), _img(tmp_path / "a.png", True)
    ctx = AssertionContext(assertion="A confirmation dialog opens", step=2, reference_before=before, reference_after=after,
                           candidate_changed_fraction=0.0)
    assert _check(ctx).passed is False
    ctx.candidate_changed_fraction = 0.05
    assert _check(ctx).passed is None


def test_from_a_to_b_values() -> None:
    assert from_to_values("The counter changes from 0 to 1.") == ({"0"}, {"1"})
    assert from_to_values("Status changes from 'To do' to 'Done'") == ({"to do"}, {"done"})
    assert from_to_values("The badge shows 1") == (set(), set())


def test_from_a_to_b_needs_a_before_and_b_after_but_not_a_gone() -> None:
    """'from 0 to 1': 0 must be there before and 1 after; another 0 may stay on the page."""
    ref_b, ref_a = "Moves 0 Score 0", "Moves 1 Score 0"
    ctx = dict(assertion="The moves counter changes from 0 to 1", reference_text_before=ref_b, reference_text_after=ref_a,
               reference_text_source="dom")
    ok = _check(AssertionContext(step=1, candidate_text_before="Moves 0 Score 0", candidate_text_after="Moves 1 Score 0", **ctx))
    assert ok.passed is True, ok.evidence
    assert ok.evidence["reference_text_source"] == "dom"
    expects = {t["token"]: t["expect"] for t in ok.evidence["tokens"]}
    assert expects["0"] == "before" and expects["1"] == "appear", expects
    never_new = _check(AssertionContext(step=1, candidate_text_before="Moves 0 Score 0",
                                        candidate_text_after="Moves 0 Score 0", **ctx))
    assert never_new.passed is False
    never_old = _check(AssertionContext(step=1, candidate_text_before="Moves 5 Score 5",
                                        candidate_text_after="Moves 1 Score 5", **ctx))
    assert never_old.passed is False


def test_stays_means_the_count_is_kept() -> None:
    ref = "Score 16 Moves 4 tile 4"
    ctx = dict(assertion="Nothing changes: the score stays 16 and Moves stays 4", reference_text_before=ref,
               reference_text_after=ref, reference_text_source="dom")
    same = _check(AssertionContext(step=5, candidate_text_before=ref, candidate_text_after=ref, **ctx))
    assert same.passed is True
    moved = _check(AssertionContext(step=5, candidate_text_before=ref, candidate_text_after="Score 16 Moves 5 tile 4", **ctx))
    assert moved.passed is False and "4" in moved.evidence["reason"]


def test_dom_reference_text_ignores_candidate_ocr() -> None:
    """Against recorded DOM text, pixels (OCR of the candidate) are not evidence."""
    ctx = _ctx("", "", reference_text_source="dom",
               candidate_ocr_before="Shop Cart 0 Trail Runner $45.00",
               candidate_ocr_after="Shop Cart 1 Trail Runner $45.00 Subtotal $45.00")
    v = _check(ctx)
    assert v.passed is False and v.evidence["ocr_trusted"] is False
    assert v.evidence["reference_text_source"] == "dom"


def test_parse_yes_no() -> None:
    assert parse_yes_no('{"answer": "Yes", "reasoning": "ok"}')[0] is True
    assert parse_yes_no('```json\n{"answer": "no", "reasoning": "badge shows 0"}\n```')[:2] == (False, "badge shows 0")
    assert parse_yes_no("Sure! The answer is yes.")[0] is None


@pytest.fixture
def shots(tmp_path: Path) -> tuple[Path, Path]:
    return _img(tmp_path / "before.png", False), _img(tmp_path / "after.png", True)


def _llm_check(server: FakeOpenAIServer, shots: tuple[Path, Path]):
    settings = LLMSettings(model=server.model, api_base=server.api_base, api_key="x", cache=False, max_retries=0)
    asserter = LLMAsserter(LLMGateway(settings))
    ctx = AssertionContext(assertion="A red box appears", step=1, candidate_before=shots[0], candidate_after=shots[1])
    return asyncio.run(asserter.check(ctx))


def test_llm_asserter_yes_no_and_reasoning_stored(shots: tuple[Path, Path]) -> None:
    with FakeOpenAIServer({"assert": ['{"answer": "No", "reasoning": "no box"}']}) as srv:
        v = _llm_check(srv, shots)
        assert srv.purposes == ["assert"]
        body = srv.requests[0]
        images = [p for m in body["messages"] for p in m["content"] if isinstance(p, dict) and p.get("type") == "image_url"]
        assert len(images) == 2
    assert v.passed is False and v.method == "llm" and v.evidence["reasoning"] == "no box" and v.error is None


def test_llm_asserter_malformed_answer_is_undecided(shots: tuple[Path, Path]) -> None:
    with FakeOpenAIServer({"assert": ["I think it probably worked"]}) as srv:
        v = _llm_check(srv, shots)
    assert v.passed is None and "unparseable" in (v.error or "")
    assert v.evidence["answer"] == "I think it probably worked"


def test_llm_asserter_api_error_is_undecided(shots: tuple[Path, Path]) -> None:
    with FakeOpenAIServer({"assert": [{"fault": "bad_request"}]}) as srv:
        v = _llm_check(srv, shots)
    assert v.passed is None and "model error" in (v.error or "")


# --- issue 19, class 2: values that trade places / reordering --------------------------

SWAP = "From now reads 'Berlin (BER)' and To reads 'Lisbon (LIS)'"
SWAP_BEFORE = "Flight search\nFrom\nLisbon (LIS)\nTo\nBerlin (BER)\nSwap\nSearch"
SWAP_AFTER = "Flight search\nFrom\nBerlin (BER)\nTo\nLisbon (LIS)\nSwap\nSearch"


def _swap(cand_before: str, cand_after: str, source: str = "dom") -> object:
    return _check(AssertionContext(assertion=SWAP, step=2, reference_text_before=SWAP_BEFORE, reference_text_after=SWAP_AFTER,
                                   reference_text_source=source, candidate_text_before=cand_before,
                                   candidate_text_after=cand_after))


def test_values_that_trade_places_must_trade_places_in_the_candidate() -> None:
    assert _swap(SWAP_BEFORE, SWAP_AFTER).passed is True
    stuck = _swap(SWAP_BEFORE, SWAP_BEFORE)  # the swap handler is missing: both names still there
    assert stuck.passed is False and "order" in stuck.evidence["reason"], stuck.evidence
    assert stuck.evidence["order"]["reference_after"] == ["berlin (ber)", "lisbon (lis)"]
    # another layout (To field first) that swaps too passes: the order changed as in the reference
    other = "To\nBerlin (BER)\nFrom\nLisbon (LIS)"
    assert _swap(other, "To\nLisbon (LIS)\nFrom\nBerlin (BER)").passed is True
    # OCR'd reference text (official tasks): the order must change as well
    assert _swap(SWAP_BEFORE, SWAP_BEFORE, source="ocr").passed is False
    # a scroll only changes which copies are in view: no order evidence there
    scrolled = _check(AssertionContext(assertion=SWAP, step=2, action_type="Scroll", reference_text_before=SWAP_BEFORE,
                                       reference_text_after=SWAP_AFTER, reference_text_source="dom",
                                       candidate_text_before=SWAP_BEFORE, candidate_text_after=SWAP_BEFORE))
    assert scrolled.passed is True and scrolled.evidence["order"] is None


def test_a_wrong_sort_order_fails() -> None:
    ctx = dict(assertion="The fares are listed cheapest first: $89, $120, $240", step=3, reference_text_source="dom",
               reference_text_before="Fares\nRome $240\nOslo $89\nNice $120",
               reference_text_after="Fares\nOslo $89\nNice $120\nRome $240")
    right = _check(AssertionContext(candidate_text_before="Fares\nRome $240\nOslo $89\nNice $120",
                                    candidate_text_after="Fares\nOslo $89\nNice $120\nRome $240", **ctx))
    assert right.passed is True, right.evidence
    wrong = _check(AssertionContext(candidate_text_before="Fares\nRome $240\nOslo $89\nNice $120",
                                    candidate_text_after="Fares\nRome $240\nNice $120\nOslo $89", **ctx))
    assert wrong.passed is False and "order" in wrong.evidence["reason"], wrong.evidence


# --- issue 19, class 3: the reference changes most of the screen, the candidate almost nothing --


def _screen(path: Path, dialog: bool, dot: bool = False, backdrop: str = "#777777") -> Path:
    im = Image.new("RGB", (320, 180), "white")
    d = ImageDraw.Draw(im)
    d.rectangle([20, 20, 120, 50], fill="#3366cc")  # the page behind: 'Team plan' card
    if dialog:
        d.rectangle([0, 0, 319, 179], fill=backdrop)
        d.rectangle([80, 40, 240, 140], fill="white")
    if dot:
        d.rectangle([150, 120, 156, 124], fill="black")  # a hover/focus style: a few pixels
    im.save(path)
    return path


def test_a_dialog_that_must_close_and_stays_open_fails(tmp_path: Path) -> None:
    from iwr.tools.image_metrics import changed_fraction

    ref_b, ref_a = _screen(tmp_path / "rb.png", True), _screen(tmp_path / "ra.png", False)
    text = "Team plan\n$48.00 / month\nUpgrade"
    base = dict(assertion="The dialog closes; the 'Team plan' card still shows '$48.00 / month'", step=2,
                reference_before=ref_b, reference_after=ref_a, reference_text_source="dom",
                reference_text_before=text + "\nConfirm upgrade\nClose", reference_text_after=text)

    def judge(cand_after: Path, text_after: str) -> object:
        return _check(AssertionContext(candidate_before=ref_b, candidate_after=cand_after,
                                       candidate_changed_fraction=changed_fraction(ref_b, cand_after),
                                       candidate_text_before=text + "\nConfirm upgrade\nClose",
                                       candidate_text_after=text_after, **base))

    stuck = judge(_screen(tmp_path / "stuck.png", True, dot=True), text + "\nConfirm upgrade\nClose")
    assert stuck.passed is False, stuck.evidence
    assert "screen" in stuck.evidence["reason"] and stuck.evidence["reference_changed_fraction"] > 0.5
    assert judge(ref_a, text).passed is True  # the reference page itself (its dialog's text gone too)
    # a restyle (another backdrop colour) still closes the dialog: the change is as large
    restyled_before = _screen(tmp_path / "rsb.png", True, backdrop="#334455")
    v = _check(AssertionContext(candidate_before=restyled_before, candidate_after=ref_a,
                                candidate_changed_fraction=changed_fraction(restyled_before, ref_a),
                                candidate_text_before=text, candidate_text_after=text, **base))
    assert v.passed is True, v.evidence


# --- issue 19, class 4: the same number in several places -------------------------------

MERGE = "The two 2 tiles merge into a 4; the score and the best score show 4"
MERGE_BEFORE = "Score\n0\nBest\n0\n2\n2"


def _merge(cand_after: str, source: str = "dom") -> object:
    return _check(AssertionContext(assertion=MERGE, step=1, reference_text_source=source, reference_text_before=MERGE_BEFORE,
                                   reference_text_after="Score\n4\nBest\n4\n4", candidate_text_before=MERGE_BEFORE,
                                   candidate_text_after=cand_after))


def test_a_token_that_appears_in_several_places_must_appear_as_often() -> None:
    assert _merge("Score\n4\nBest\n4\n4").passed is True
    lost = _merge("Score\n0\nBest\n0\n4")  # the score no longer adds merged tiles
    assert lost.passed is False and "4" in lost.evidence["reason"], lost.evidence
    four = next(t for t in lost.evidence["tokens"] if t["token"] == "4")
    assert (four["ref_before"], four["ref_after"], four["cand_before"], four["cand_after"]) == (0, 3, 0, 1)
    # OCR'd reference text can lose a token: there the candidate only needs the token to appear
    assert _merge("Score\n0\nBest\n0\n4", source="ocr").passed is True


def test_counts_after_a_scroll_follow_the_layout_not_the_behaviour() -> None:
    """A scroll brings a headline into view in a card and in a side list; a restyled page
    (larger titles) shows only one of them in the viewport: the headline still appeared."""
    ctx = dict(assertion="The headlines, such as 'Ocean sensors map a current', are visible", step=1,
               reference_text_source="dom", reference_text_before="Daily news",
               reference_text_after="Latest stories\nOcean sensors map a current\nMost read\nOcean sensors map a current",
               candidate_text_before="Daily news", candidate_text_after="Latest stories\nOcean sensors map a current")
    assert _check(AssertionContext(action_type="Scroll", **ctx)).passed is True
    assert _check(AssertionContext(action_type="Click", **ctx)).passed is False
    # a layout that already showed one copy before the scroll: still visible after it
    ctx["candidate_text_before"] = "Daily news\nOcean sensors map a current"
    assert _check(AssertionContext(action_type="Scroll", **ctx)).passed is True
    ctx["candidate_text_after"] = "Latest stories"
    assert _check(AssertionContext(action_type="Scroll", **ctx)).passed is False


def test_order_against_ocr_reference_text_is_read_in_the_candidates_ocr() -> None:
    """Tiles placed absolutely keep their document order while they move on screen: against
    OCR'd reference text, the candidate's screen order (its OCR) decides once the judge has it."""
    ctx = dict(assertion="The 'Alpha' tile and the 'Beta' tile trade places", step=3, reference_text_source="ocr",
               reference_text_before="Alpha Beta", reference_text_after="Beta Alpha",
               candidate_text_before="Alpha\nBeta", candidate_text_after="Alpha\nBeta")
    assert _check(AssertionContext(**ctx)).passed is False  # DOM order only: the judge then reads the screenshots
    moved = _check(AssertionContext(candidate_ocr_before="Alpha Beta", candidate_ocr_after="Beta Alpha", **ctx))
    assert moved.passed is True, moved.evidence
    stuck = _check(AssertionContext(candidate_ocr_before="Alpha Beta", candidate_ocr_after="Alpha Beta", **ctx))
    assert stuck.passed is False and "order" in stuck.evidence["reason"]


# --- what the assertion leaves unnamed: words the reference removed ------------------------

CARDS = "Filter cards\nDesign product page\nMigrate build to Vite\nRefresh icon system design\nWrite quarterly report"


def test_words_the_reference_removed_must_go_in_the_candidate_too() -> None:
    from iwr.benchmark.judge.assertion_removal import removal_check

    after = "Filter cards\nDesign product page\nRefresh icon system design"
    base = dict(assertion="Only cards about design remain, among them 'Design product page'", step=1, action_type="Type",
                reference_text_source="dom", reference_text_before=CARDS, reference_text_after=after,
                candidate_text_before=CARDS)
    dead = removal_check(AssertionContext(candidate_text_after=CARDS, **base))
    assert dead is not None and not dead.ok and set(dead.kept) == {"migrate", "build", "vite", "write", "quarterly", "report"}
    assert _check(AssertionContext(candidate_text_after=CARDS, **base)).passed is False
    assert _check(AssertionContext(candidate_text_after=after, **base)).passed is True
    # a page that never showed those words gives no evidence; neither do OCR'd reference text and scrolls
    assert removal_check(AssertionContext(**{**base, "candidate_text_before": "Design product page"},
                                          candidate_text_after="Design product page")).ok
    assert removal_check(AssertionContext(candidate_text_after=CARDS, **{**base, "reference_text_source": "ocr"})) is None
    assert removal_check(AssertionContext(candidate_text_after=CARDS, **{**base, "action_type": "Scroll"})) is None
    # two words going (a label toggling) is a detail, not a removal
    toggle = dict(base, reference_text_before="Show more\nitems", reference_text_after="items",
                  candidate_text_before="Show more\nitems")
    assert removal_check(AssertionContext(candidate_text_after="Show more\nitems", **toggle)).ok


def test_words_the_checkpoints_ocr_lost_must_go_from_the_candidates_ocr() -> None:
    from iwr.benchmark.judge.assertion_removal import needs_candidate_ocr, removal_check

    after = "Filter cards design Design product page Refresh icon system design"
    base = dict(assertion="Only cards about design remain", step=1, action_type="Type", reference_text_source="ocr",
                reference_text_before=CARDS.replace("\n", " "), reference_text_after=after,
                candidate_text_before=CARDS, candidate_text_after=CARDS)
    assert needs_candidate_ocr(AssertionContext(**base))
    assert removal_check(AssertionContext(**base)) is None  # without the candidate's OCR: no evidence
    dead = AssertionContext(**base, candidate_ocr_before=CARDS.replace("\n", " "), candidate_ocr_after=CARDS.replace("\n", " "))
    check = removal_check(dead)
    assert check is not None and check.source == "ocr" and not check.ok
    assert _check(dead).passed is False
    works = AssertionContext(**base, candidate_ocr_before=CARDS.replace("\n", " "), candidate_ocr_after=after)
    assert removal_check(works).ok  # type: ignore[union-attr]
    # a count that merely fell in the reference's OCR (a misread, two lines read as one) is not a removal
    assert not needs_candidate_ocr(AssertionContext(**{**base, "reference_text_after": CARDS.replace("Vite", "Vlte")}))


def _cart(cand_before: str, cand_after: str) -> AssertionContext:
    """Official task: the checkpoints' OCR missed the cart badge (a small light digit)."""
    return AssertionContext(
        assertion="The Water Bottle quantity becomes 2 and the total reads $64.99", step=5, action_type="Click",
        reference_text_before="Your cart Water Bottle 1 $18.50 Wool Beanie 1 $22.00 Total $46.49",
        reference_text_after="Your cart Water Bottle 2 $37.00 Wool Beanie 1 $22.00 Total $64.99",
        candidate_text_before=cand_before, candidate_text_after=cand_after)


def test_a_token_written_where_another_copy_left_appears() -> None:
    # the badge goes 2 -> 3 while the quantity goes 1 -> 2: the page's count of '2' stays 1,
    # but a '2' was written where there was none
    before = "Trailhead\n2\nYour cart\nWater Bottle\n1\n$18.50\nWool Beanie\n1\n$22.00\nTotal\n$46.49"
    after = "Trailhead\n3\nYour cart\nWater Bottle\n2\n$37.00\nWool Beanie\n1\n$22.00\nTotal\n$64.99"
    v = _check(_cart(before, after))
    assert v.passed is True, v.evidence
    assert {c["token"]: c["source"] for c in v.evidence["tokens"]}["2"] == "dom-edit"
    # a page that only changed the badge and the total wrote no '2' anywhere
    wrong = "Trailhead\n3\nYour cart\nWater Bottle\n1\n$18.50\nWool Beanie\n1\n$22.00\nTotal\n$64.99"
    assert _check(_cart(before, wrong)).passed is False
    # exact (DOM) reference counts keep the counting rule
    exact = _cart(before, after).model_copy(update={
        "reference_text_source": "dom", "reference_text_before": before, "reference_text_after": after})
    assert _check(exact).passed is True
    assert _check(exact.model_copy(update={"reference_text_before": "Water Bottle 1", "candidate_text_after": wrong})).passed is False


def test_words_of_the_next_state_shown_before_the_step_fail_it() -> None:
    """Exact (DOM) reference text: the slide the step brings names eight words; a deck that
    showed two of them already on the slide before is in another state, even though the few
    words a reconstruction words differently are let go."""
    assertion = ("The slide asking whether presentations in modern browsers shouldn't copy the limits of "
                 "'classic' slide decks is in the centre")
    ref_before = "Presentations in modern browsers\nClassic slide decks"
    ref_after = "Presentations in modern browsers\nShould not copy the limits\nClassic slide decks"
    ctx = AssertionContext(assertion=assertion, step=1, action_type="Press", reference_text_source="dom",
                           reference_text_before=ref_before, reference_text_after=ref_after,
                           candidate_text_before=ref_before, candidate_text_after=ref_after)
    assert _check(ctx).passed is True
    early = _check(ctx.model_copy(update={"candidate_text_before": ref_after}))
    assert early.passed is False and "shown before" in early.evidence["reason"], early.evidence
    assert {t["token"] for t in early.evidence["tokens"] if t["early"]} == {"copy", "limits"}
    # words the candidate never shows (its own wording) are still let go when most hold
    reworded = ref_after.replace("limits", "restrictions")
    assert _check(ctx.model_copy(update={"candidate_text_after": reworded})).passed is True
