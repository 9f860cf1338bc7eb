"""The agreement figures of measurements/self_test_agreement.py: tau-b, pairwise accuracy,
false passes and step matching, on small hand-made verdicts."""

from __future__ import annotations

import pytest

from iwr.benchmark.validity.agreement import (
    PagePair,
    StepMatch,
    false_pass_rate,
    kendall_tau_b,
    match_steps,
    pairwise_accuracy,
    step_agreement,
)


def _page(task: str, name: str, ann: float, vid: float, defective: bool = False) -> PagePair:
    return PagePair(task=task, page=name, kind="defect" if defective else "reference", defective=defective,
                    annotated_ifs=ann, video_ifs=vid, annotated_final=0.7 * ann, video_final=0.7 * vid)


def test_tau_and_pairs_stay_within_a_task() -> None:
    same = [_page("a", "ref", 1.0, 1.0), _page("a", "d1", 0.5, 0.6, True), _page("a", "d2", 0.0, 0.1, True)]
    assert kendall_tau_b(same) == pytest.approx(1.0)
    assert kendall_tau_b(same, final=True) == pytest.approx(1.0)
    # a second task whose scores would be discordant with the first if pooled across tasks
    other = [_page("b", "ref", 0.9, 0.2), _page("b", "d", 0.3, 0.0, True)]
    assert kendall_tau_b(same + other) == pytest.approx(1.0)
    reversed_ = [_page("a", "ref", 1.0, 0.0), _page("a", "d", 0.0, 1.0, True)]
    assert kendall_tau_b(reversed_) == pytest.approx(-1.0)


def test_pairwise_accuracy_counts_only_clear_pairs_and_ties_as_misses() -> None:
    pages = [_page("a", "ref", 1.0, 1.0), _page("a", "near", 0.9, 0.0), _page("a", "low", 0.5, 1.0, True)]
    acc = pairwise_accuracy(pages, margin=0.2)
    # ref-low (0.5 apart) tied on video; near-low (0.4 apart) reversed; ref-near (0.1 apart) not counted
    assert (acc.pairs, acc.agreed, acc.tied) == (2, 0, 1) and acc.accuracy == 0.0


def test_false_passes_and_step_agreement() -> None:
    pages = [_page("a", "ref", 1.0, 1.0), _page("a", "d1", 0.5, 1.0, True), _page("a", "d2", 0.0, 0.5, True)]
    assert false_pass_rate(pages) == (1, 2)
    matches = match_steps([(1.0, 2.0), (5.0, 6.0), (20.0, 21.0)], [(0.5, 2.5), (4.0, 7.0)])
    assert matches == {1: 1, 2: 2}
    steps = [StepMatch(task="a", page="p", video_step=1, annotated_step=1, video_passed=True, annotated_passed=True),
             StepMatch(task="a", page="p", video_step=2, annotated_step=2, video_passed=True, annotated_passed=False)]
    assert step_agreement(steps) == 0.5 and step_agreement([]) is None


def test_finish_keeps_best_follows_the_self_test_and_its_ties() -> None:
    from iwr.benchmark.validity.agreement import finish_keeps_best

    agreeing = [_page("a", "ref", 1.0, 1.0), _page("a", "d", 0.5, 0.4, True), _page("a", "blank", 0.0, 0.0, True)]
    picks = finish_keeps_best(agreeing, iterations=2)
    assert picks.runs == 6 and picks.rate == 1.0
    # the video-only score cannot tell the reference from a defect: finish keeps whichever came first
    tied = [_page("b", "ref", 1.0, 0.5), _page("b", "d", 0.5, 0.5, True)]
    picks = finish_keeps_best(tied, iterations=2)
    assert picks.runs == 2 and picks.best_kept == 1
    inverted = [_page("c", "ref", 1.0, 0.2), _page("c", "d", 0.5, 0.6, True)]
    assert finish_keeps_best(inverted, iterations=2).rate == 0.0
