"""Score formulas: the paper's numbers, prefix semantics, visual-state selection, protocol."""

from __future__ import annotations

import pytest

from iwr.benchmark.judge.scoring import (
    VisualState,
    compute_scores,
    final_score,
    ifs,
    macro_average,
    prefix_success,
    protocol_name,
    state_vfs,
)
from iwr.benchmark.judge.types import VisualScores


def test_gpt5_check_from_the_paper() -> None:
    # 10 of 41 steps before the first failure -> IFS 24.39; LFS 68.29, HFS 60.21 -> VFS 64.25
    passed = [True] * 10 + [False] + [True] * 30
    state = VisualState(step=0, scores=VisualScores(ocr=0.6829, structural=0.6829, mllm=0.6021), reached=True)
    s = compute_scores(passed, 41, [state])
    assert round(100 * s.ifs, 2) == 24.39
    assert round(100 * s.lfs, 2) == 68.29
    assert round(100 * s.hfs, 2) == 60.21
    assert round(100 * s.vfs, 2) == 64.25
    assert round(100 * s.final, 2) == 36.35
    assert round(100 * final_score(0.2439, 0.6425), 2) == 36.35


def test_prefix_stops_at_first_failure() -> None:
    assert prefix_success([True, True, False, True]) == 2
    assert prefix_success([False, True]) == 0
    assert ifs([True, True, False, True]) == 0.5
    assert ifs([], 0) == 1.0


def test_official_visuals_use_only_reached_states_and_vfs_all_counts_unreached_as_zero() -> None:
    v = lambda x: VisualScores(ocr=x, structural=x)  # noqa: E731
    states = [
        VisualState(0, v(0.8), True),
        VisualState(1, v(0.6), True),
        VisualState(3, v(1.0), True),  # beyond the prefix (success = 2): not official
        VisualState(4, None, False),
    ]
    s = compute_scores([True, True, False, True], 4, states, continued_passed=[True, True, False, True])
    assert s.vfs == pytest.approx(0.7)  # mean of 0.8 and 0.6; offline: VFS = LFS
    assert s.hfs is None
    assert s.final == pytest.approx(0.7 * 0.5 + 0.3 * 0.7)
    assert s.step_pass_rate == pytest.approx(0.75)
    assert s.vfs_all == pytest.approx((0.8 + 0.6 + 1.0 + 0.0) / 4)


def test_state_vfs_and_low_level() -> None:
    assert state_vfs(VisualScores(ocr=0.4, structural=0.8)) == pytest.approx(0.6)
    assert state_vfs(VisualScores(ocr=0.4, structural=0.8, mllm=0.2)) == pytest.approx(0.4)
    # DINO replaces the structural term when present
    assert VisualScores(ocr=0.5, structural=0.1, dino=0.9).low_level == pytest.approx(0.7)
    assert state_vfs(VisualScores()) is None


def test_protocol_name() -> None:
    assert protocol_name(True, True, True) == "official"
    assert protocol_name(False, False, False) == "offline"
    assert protocol_name(False, True, False) == "mixed"


def test_macro_average_skips_missing_values() -> None:
    rows = [{"ifs": 1.0, "probe_ifs": None}, {"ifs": 0.5, "probe_ifs": 0.25}]
    assert macro_average(rows, ["ifs", "probe_ifs", "vfs"]) == {"ifs": 0.75, "probe_ifs": 0.25, "vfs": None}
