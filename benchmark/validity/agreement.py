"""How far a video-only judge agrees with the annotated one, over pages of known quality.

Pairs of pages are only formed within one task (scores of different tasks are not ranked
against each other): Kendall's tau-b over those pairs, the share of pairs whose annotated
IFS differ by at least `margin` that the video-only score orders the same way (a tie is
not an agreement), and the share of defective pages the video-only judge passes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

PASS_IFS = 1.0  # the self-test passes a page at this IFS (graphs.context pass_score)


@dataclass(frozen=True)
class PagePair:
    """One page's two verdicts: annotated (with the task's actions) and video-only."""

    task: str
    page: str
    kind: str  # reference | defect | visual_only | mutant | blank | slideshow
    defective: bool  # known to behave unlike the reference (and failed by the annotated judge)
    annotated_ifs: float
    video_ifs: float
    annotated_final: float | None = None
    video_final: float | None = None
    seconds: float = 0.0  # the video-only judgement


def _sign(v: float) -> int:
    return (v > 1e-9) - (v < -1e-9)


def _task_pairs(pages: Sequence[PagePair]) -> list[tuple[PagePair, PagePair]]:
    by_task: dict[str, list[PagePair]] = {}
    for p in pages:
        by_task.setdefault(p.task, []).append(p)
    return [pair for group in by_task.values() for pair in itertools.combinations(group, 2)]


def kendall_tau_b(pages: Sequence[PagePair], final: bool = False) -> float | None:
    """Tau-b of annotated vs video-only scores over within-task pairs (None: no ranked pair)."""
    concordant = discordant = ties_x = ties_y = 0
    for a, b in _task_pairs(pages):
        if final:
            if None in (a.annotated_final, b.annotated_final, a.video_final, b.video_final):
                continue
            dx = (a.annotated_final or 0.0) - (b.annotated_final or 0.0)
            dy = (a.video_final or 0.0) - (b.video_final or 0.0)
        else:
            dx, dy = a.annotated_ifs - b.annotated_ifs, a.video_ifs - b.video_ifs
        sx, sy = _sign(dx), _sign(dy)
        if sx == 0 and sy == 0:
            continue
        if sx == 0:
            ties_x += 1
        elif sy == 0:
            ties_y += 1
        elif sx == sy:
            concordant += 1
        else:
            discordant += 1
    n = concordant + discordant
    denominator = math.sqrt((n + ties_x) * (n + ties_y))
    return (concordant - discordant) / denominator if denominator else None


@dataclass(frozen=True)
class PairwiseAccuracy:
    """Pairs whose annotated IFS differ by >= margin, and how many the video-only IFS orders alike."""

    pairs: int
    agreed: int
    tied: int  # the video-only IFS could not tell them apart

    @property
    def accuracy(self) -> float | None:
        return self.agreed / self.pairs if self.pairs else None


def pairwise_accuracy(pages: Sequence[PagePair], margin: float = 0.2) -> PairwiseAccuracy:
    """Of two pages of one task whose annotated IFS differ by at least `margin`, does the
    video-only IFS prefer the one the annotated judge prefers?"""
    pairs = agreed = tied = 0
    for a, b in _task_pairs(pages):
        dx = a.annotated_ifs - b.annotated_ifs
        if abs(dx) < margin - 1e-9:
            continue
        pairs += 1
        dy = _sign(a.video_ifs - b.video_ifs)
        if dy == 0:
            tied += 1
        elif dy == _sign(dx):
            agreed += 1
    return PairwiseAccuracy(pairs=pairs, agreed=agreed, tied=tied)


def false_pass_rate(pages: Sequence[PagePair]) -> tuple[int, int]:
    """(defective pages the video-only judge passes, defective pages)."""
    defective = [p for p in pages if p.defective]
    return sum(p.video_ifs >= PASS_IFS for p in defective), len(defective)


@dataclass(frozen=True)
class StepMatch:
    """A video-only step matched (by time in the recording) to an annotated step, and their verdicts."""

    task: str
    page: str
    video_step: int
    annotated_step: int
    video_passed: bool
    annotated_passed: bool


def span_overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Seconds two time spans share (0 when they do not meet)."""
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def match_steps(video_spans: Sequence[tuple[float, float]], annotated_spans: Sequence[tuple[float, float]],
                slack: float = 0.5) -> dict[int, int]:
    """Video step -> annotated step (1-based) whose recorded span overlaps it most (spans widened by `slack`)."""
    out: dict[int, int] = {}
    for j, vs in enumerate(video_spans, start=1):
        widened = (vs[0] - slack, vs[1] + slack)
        best = max(range(len(annotated_spans)), key=lambda k: span_overlap(widened, annotated_spans[k]), default=None)
        if best is not None and span_overlap(widened, annotated_spans[best]) > 0:
            out[j] = best + 1
    return out


def step_agreement(matches: Sequence[StepMatch]) -> float | None:
    """Share of matched steps where both judges gave the same pass/fail verdict."""
    return sum(m.video_passed == m.annotated_passed for m in matches) / len(matches) if matches else None


@dataclass
class FinishPicks:
    """How often finish's rule kept the page the annotated judge scores best."""

    runs: int = 0
    best_kept: int = 0

    @property
    def rate(self) -> float | None:
        return self.best_kept / self.runs if self.runs else None


def finish_keeps_best(pages: Sequence[PagePair], iterations: int = 3) -> FinishPicks:
    """The rule of the iterative agent's `finish` (graphs.nodes.best_page: the highest self-test
    score, the earliest iteration on ties) applied to every ordered run of `iterations` distinct
    pages of one task, the video-only IFS standing for the self-test score: how often the kept
    page has the highest annotated IFS of its run (a simulation on measured verdicts, not an
    agent run)."""
    picks = FinishPicks()
    by_task: dict[str, list[PagePair]] = {}
    for p in pages:
        by_task.setdefault(p.task, []).append(p)
    for group in by_task.values():
        for run in itertools.permutations(group, min(iterations, len(group))):
            kept = run[0]
            for p in run[1:]:
                if p.video_ifs > kept.video_ifs:
                    kept = p
            picks.runs += 1
            picks.best_kept += kept.annotated_ifs >= max(p.annotated_ifs for p in run) - 1e-9
    return picks
