"""Screen-change evidence for an assertion: how much the reference and the candidate changed.

Three rules, all evidence against the candidate only:

- the reference visibly changed at the step and the candidate's screen did not change at all;
- the reference changed most of the screen (a dialog closing, a route change) and the
  candidate changed almost nothing, and not where the reference did (issue 19, class 3: a
  dialog that must close and stays open while the assertion names only what stays).
  A restyle closes its dialog too (its change is as large, elsewhere coloured), so it passes;
- on a click, the candidate changed only inside the element it clicked (a hover or press
  style, within a few pixels of its box), while the reference's change reached beyond an
  element of that size: its changed pixels lie in separate places whose extent does not fit
  in the clicked element's box. A board point that only shows a hover stone where the
  reference placed a stone, enabled the move buttons and added a node to the game tree.
  A click whose whole effect is on its own element (a toggle, a relabelled button) gives
  no evidence, nor does a candidate that changed anything outside its target. This one is
  weighed after the named text (`target_failure`), whose reasons say more.

Both changes are measured with the same metric (`tools.image_metrics.changed_fraction`) on
the saved screenshots; `change_overlap` is the share of the reference's changed area where
the candidate changed too.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from ...core.geometry import Box, union_all
from .assertion_context import AssertionContext

REFERENCE_CHANGED = 0.002  # fraction of pixels: the reference visibly changed
CANDIDATE_STILL = 0.00005  # fraction of pixels: the candidate did not change at all
LARGE_CHANGE = 0.25  # a quarter of the screen or more: a page/dialog-level change, not a widget's update
SMALL_SHARE = 0.1  # the candidate changed under a tenth of the reference's (large) change ...
LOW_OVERLAP = 0.2  # ... and in under a fifth of the area where the reference changed
TARGET_PAD = 8  # px around a clicked element that still belong to it (focus ring, shadow)


class ChangeEvidence(BaseModel):
    """Changed pixel fractions of the step in the reference and the candidate, and their overlap."""

    reference: float | None = None
    candidate: float | None = None
    overlap: float | None = None
    target_only: bool | None = None  # the candidate's changed pixels all lie in its clicked element's box
    reference_beyond_target: bool | None = None  # the reference's change, in 2+ places, does not fit that box


def target_evidence(ref_before: Path, ref_after: Path, cand_before: Path, cand_after: Path,
                    target: Box) -> tuple[bool | None, bool | None]:
    """(the candidate changed only inside the clicked element's box, padded by TARGET_PAD; the
    reference changed in 2+ separate places spanning more than that box), None when a side
    did not change."""
    from ...tools.image_metrics import changed_regions

    cand = changed_regions(cand_before, cand_after, min_area=1, merge_px=0)
    ref = changed_regions(ref_before, ref_after)
    if not cand or not ref:
        return None, None
    inside = union_all(cand).within(target, TARGET_PAD)
    spread = union_all(ref)
    beyond = len(ref) >= 2 and (spread.width > target.width + 2 * TARGET_PAD or spread.height > target.height + 2 * TARGET_PAD)
    return inside, beyond


def _files(before: Path | None, after: Path | None) -> tuple[Path, Path] | None:
    """Both screenshots of a side, when both exist."""
    if before is None or after is None or not (before.is_file() and after.is_file()):
        return None
    return before, after


def measure(ctx: AssertionContext) -> ChangeEvidence:
    """The step's change in the reference checkpoints and in the candidate's screenshots
    (the replay's own fraction when the candidate's images are not at hand)."""
    from ...tools.image_metrics import change_overlap, changed_fraction

    ev = ChangeEvidence(candidate=ctx.candidate_changed_fraction)
    ref = _files(ctx.reference_before, ctx.reference_after)
    cand = _files(ctx.candidate_before, ctx.candidate_after)
    if ref is not None:
        ev.reference = changed_fraction(*ref)
    if cand is not None:
        ev.candidate = changed_fraction(*cand)
        if ref is not None and ev.reference is not None:
            ev.overlap = change_overlap(*ref, *cand)
            # recorded checkpoints only: a video's keyframes show the moving cursor, spread over the screen
            if ctx.candidate_target is not None and ctx.expected_change is None and ev.reference >= REFERENCE_CHANGED:
                ev.target_only, ev.reference_beyond_target = target_evidence(*ref, *cand, ctx.candidate_target)
    return ev


def change_failure(ev: ChangeEvidence, replay_fraction: float | None = None) -> str | None:
    """The reason the change evidence fails the step, or None when it does not."""
    ref = ev.reference
    if ref is None:
        return None
    still = replay_fraction if replay_fraction is not None else ev.candidate
    if ref >= REFERENCE_CHANGED and still is not None and still <= CANDIDATE_STILL:
        return "the reference changed at this step but the candidate page did not change"
    if (ref >= LARGE_CHANGE and ev.candidate is not None and ev.candidate < SMALL_SHARE * ref
            and (ev.overlap is None or ev.overlap < LOW_OVERLAP)):
        return (f"the reference changed {ref:.0%} of the screen at this step, the candidate only "
                f"{ev.candidate:.2%} and not where the reference did")
    return None


def target_failure(ev: ChangeEvidence) -> str | None:
    """The reason a click that changed only its own element fails the step (module docstring),
    or None. Weighed after the named text, whose reasons say more."""
    ref = ev.reference
    if ref is not None and ref >= REFERENCE_CHANGED and ev.target_only and ev.reference_beyond_target:
        return (f"the candidate changed only the element it clicked ({(ev.candidate or 0):.2%} of the screen: a hover or "
                f"press style), the reference changed {ref:.2%} in places beyond an element of that size")
    return None
