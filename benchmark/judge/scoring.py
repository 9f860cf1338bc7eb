"""Score formulas: the paper's (IWR-Bench) exactly, plus extended metrics; and the protocol.

Official (per task, then macro-averaged over tasks):
- IFS = steps passed before the first failure / total steps (prefix score);
- LFS = (OCR + image similarity) / 2, averaged over the visual states reached: state 0 and
  the flagged steps k <= success_steps (image similarity = DINO when configured, else our
  structural similarity);
- HFS = MLLM rubric / 100 over the same states;
- VFS = 0.5 LFS + 0.5 HFS. Under the offline protocol there is no HFS and VFS = LFS
  (recorded in the protocol's `visual` list, so such numbers are never mixed with official
  ones);
- Final = 0.7 IFS + 0.3 VFS.
Extended: `step_pass_rate` = passed steps / total with the replay continued after
failures; `vfs_all` = mean over state 0 and every flagged step of that state's VFS, an
unreached (or failed) state counting 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .types import Protocol, Scores, VisualScores

IFS_WEIGHT = 0.7
VFS_WEIGHT = 0.3


def prefix_success(passed: Sequence[bool]) -> int:
    """Number of steps passed before the first failure."""
    count = 0
    for ok in passed:
        if not ok:
            break
        count += 1
    return count


def ifs(passed: Sequence[bool], total: int | None = None) -> float:
    """Prefix IFS; a trajectory with no steps scores 1 (nothing could fail)."""
    total = len(passed) if total is None else total
    return prefix_success(passed) / total if total > 0 else 1.0


def state_vfs(v: VisualScores) -> float | None:
    """VFS of one state: 0.5 LFS + 0.5 HFS, or LFS alone when there is no MLLM score."""
    lfs = v.low_level
    if lfs is None and v.mllm is None:
        return None
    if v.mllm is None:
        return lfs
    if lfs is None:
        return v.mllm
    return 0.5 * lfs + 0.5 * v.mllm


def final_score(ifs_value: float, vfs_value: float | None) -> float:
    """Final = 0.7 IFS + 0.3 VFS (VFS missing counts 0)."""
    return IFS_WEIGHT * ifs_value + VFS_WEIGHT * (vfs_value or 0.0)


def _mean(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


@dataclass
class VisualState:
    """The visual scores of state k (0 = initial), whether it is flagged and reached."""

    step: int
    scores: VisualScores | None
    reached: bool


def compute_scores(
    official_passed: Sequence[bool],
    total_steps: int,
    states: Sequence[VisualState],
    continued_passed: Sequence[bool] | None = None,
) -> Scores:
    """All scores of one task.

    `official_passed` are the verdicts of the official (stopping) replay (may be shorter
    than `total_steps`); `states` lists state 0 and every flagged step; official visuals
    use those with step <= success_steps; `continued_passed` are the verdicts of the
    replay that continued after failures (for the per-step pass rate).
    """
    success = prefix_success(official_passed)
    ifs_value = success / total_steps if total_steps > 0 else 1.0
    official = [s.scores for s in states if s.reached and s.step <= success and s.scores is not None]
    lfs = _mean([v.low_level for v in official])
    hfs = _mean([v.mllm for v in official])
    if lfs is None and hfs is None:
        vfs = None
    elif hfs is None:
        vfs = lfs
    elif lfs is None:
        vfs = hfs
    else:
        vfs = 0.5 * lfs + 0.5 * hfs
    all_states = [(state_vfs(s.scores) or 0.0) if (s.reached and s.scores is not None) else 0.0 for s in states]
    vfs_all = sum(all_states) / len(all_states) if all_states else None
    rate = None
    if continued_passed is not None and total_steps > 0:
        rate = sum(1 for ok in continued_passed if ok) / total_steps
    return Scores(
        ifs=ifs_value,
        lfs=lfs,
        hfs=hfs,
        vfs=vfs,
        final=final_score(ifs_value, vfs),
        step_pass_rate=rate,
        vfs_all=vfs_all,
    )


def protocol_name(grounder_uses_model: bool, asserter_uses_model: bool,
                  visual_uses_model: bool) -> Literal["official", "offline", "mixed"]:
    """`official` when every part uses a model as the paper does, `offline` when none, else `mixed`."""
    parts = (grounder_uses_model, asserter_uses_model, visual_uses_model)
    if all(parts):
        return "official"
    if not any(parts):
        return "offline"
    return "mixed"


def versions() -> dict[str, str]:
    """Versions of the parts that shape a score (chromium is added by the judge at run time)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {}
    for dist in ("iwr", "rapidocr", "onnxruntime", "litellm", "playwright", "opencv-python-headless"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "missing"
    return out


def macro_average(rows: Sequence[dict[str, float | None]], keys: Sequence[str]) -> dict[str, float | None]:
    """Mean of each key over the rows that have a value for it (None when no row has one)."""
    return {k: _mean([r.get(k) for r in rows]) for k in keys}


def make_protocol(grounder: str, asserter: str, visual: list[str], judge_model: str | None,
                  grounder_uses_model: bool, asserter_uses_model: bool, visual_uses_model: bool,
                  extra_versions: dict[str, str] | None = None) -> Protocol:
    """A Protocol record with its name derived from which parts used a model."""
    return Protocol(
        name=protocol_name(grounder_uses_model, asserter_uses_model, visual_uses_model),
        grounder=grounder,
        asserter=asserter,
        visual=visual,
        judge_model=judge_model,
        versions={**versions(), **(extra_versions or {})},
    )
