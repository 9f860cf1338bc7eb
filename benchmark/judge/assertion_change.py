"""Screen-change evidence for an assertion: how much the reference and the candidate changed.

Two rules, both evidence against the candidate only:

- the reference visibly changed at the step and the candidate's screen did not change at all;
- the reference changed most of the screen (a dialog closing, a route change) and the
  candidate changed almost nothing, and not where the reference did (issue 19, class 3: a
  dialog that must close and stays open while the assertion names only what stays).
  A restyle closes its dialog too (its change is as large, elsewhere coloured), so it passes.

Both changes are measured with the same metric (`tools.image_metrics.changed_fraction`) on
the saved screenshots; `change_overlap` is the share of the reference's changed area where
the candidate changed too.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from .assertion_context import AssertionContext

REFERENCE_CHANGED = 0.002  # fraction of pixels: the reference visibly changed
CANDIDATE_STILL = 0.00005  # fraction of pixels: the candidate did not change at all
LARGE_CHANGE = 0.25  # a quarter of the screen or more: a page/dialog-level change, not a widget's update
SMALL_SHARE = 0.1  # the candidate changed under a tenth of the reference's (large) change ...
LOW_OVERLAP = 0.2  # ... and in under a fifth of the area where the reference changed


class ChangeEvidence(BaseModel):
    """Changed pixel fractions of the step in the reference and the candidate, and their overlap."""

    reference: float | None = None
    candidate: float | None = None
    overlap: float | None = None


def _files(*paths: Path | None) -> bool:
    return all(p is not None and Path(p).is_file() for p in paths)


def measure(ctx: AssertionContext) -> ChangeEvidence:
    """The step's change in the reference checkpoints and in the candidate's screenshots
    (the replay's own fraction when the candidate's images are not at hand)."""
    from ...tools.image_metrics import change_overlap, changed_fraction

    ev = ChangeEvidence(candidate=ctx.candidate_changed_fraction)
    if _files(ctx.reference_before, ctx.reference_after):
        ev.reference = changed_fraction(ctx.reference_before, ctx.reference_after)  # type: ignore[arg-type]
    if _files(ctx.candidate_before, ctx.candidate_after):
        ev.candidate = changed_fraction(ctx.candidate_before, ctx.candidate_after)  # type: ignore[arg-type]
        if ev.reference is not None:
            ev.overlap = change_overlap(ctx.reference_before, ctx.reference_after,  # type: ignore[arg-type]
                                        ctx.candidate_before, ctx.candidate_after)  # type: ignore[arg-type]
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
