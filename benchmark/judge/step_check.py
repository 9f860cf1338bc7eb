"""What the judge checks at one replayed step: the step's `AssertionContext` from the replay's
trace and the trajectory's checkpoints, and the probe a key trial asks (`key_trial`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from ..task import Action
from .assertion_context import AssertionContext, click_target
from .key_trial import ProbeVerdict, StepProbe
from .replay_types import StepTrace
from .trajectories import has_reference_texts
from .types import AssertionVerdict, Trajectory
from .video_assertions import check_visible_change


def step_context(trajectory: Trajectory, action: Action, st: StepTrace, before_shot: Path | None) -> AssertionContext:
    """The context of step `st` (performed `action`, the candidate's screenshot before it
    `before_shot`), with the reference's recorded DOM texts when the trajectory has them; the
    OCR'd reference texts of official tasks are the caller's to fill."""
    k = st.index
    ctx = AssertionContext(
        assertion=action.logical_assertion or "",
        expected_change=trajectory.expected_change(k),
        step=k,
        description=action.description,
        action_type=action.type.value,
        candidate_before=before_shot,
        candidate_after=st.screenshot,
        candidate_text_before=st.text_before,
        candidate_text_after=st.text_after,
        candidate_changed_fraction=st.changed_fraction,
        candidate_target=click_target(action.type.value, st.grounding.box),
        reference_before=trajectory.checkpoint(k - 1),
        reference_after=trajectory.checkpoint(k),
    )
    if has_reference_texts(trajectory):
        ctx.reference_text_source = "dom"
        ctx.reference_text_before = trajectory.checkpoint_texts.get(k - 1, "")
        ctx.reference_text_after = trajectory.checkpoint_texts.get(k, "")
        ctx.reference_text_recording = "\n".join(trajectory.checkpoint_texts.values())
    return ctx


def read_screens_again(ctx: AssertionContext, verdict: AssertionVerdict) -> bool:
    """A step failed on the candidate's DOM text against OCR'd reference text, its screenshots
    not read yet: the check may accept their OCR, so read them and check again (the DOM text
    of a page can hold what its screen does not show, and the other way round)."""
    return (ctx.reference_text_source == "ocr" and verdict.passed is False and not ctx.candidate_ocr_after
            and bool(ctx.candidate_text_after.strip()))


def recorded_change_probe(trajectory: Trajectory, reference_text: Callable[[int], Awaitable[str]],
                          screen_text: Callable[[Path], Awaitable[str]]) -> StepProbe:
    """A key trial's check: the step's recorded change (`VisibleChange`) on the candidate, as
    the verdict checks it (its DOM text, then, when that fails, the OCR of its screenshots)
    but without reading lines again at their place (costly over a dozen keys), with the
    shares of its token checks that held, all and those of words the recording gained;
    `reference_text(k)` reads checkpoint k, `screen_text` a screenshot (OCR)."""

    def share(oks: list[bool]) -> float:
        return sum(oks) / len(oks) if oks else 1.0

    async def probe(st: StepTrace, before_shot: Path | None) -> ProbeVerdict:
        expected = trajectory.expected_change(st.index)
        if expected is None:
            return ProbeVerdict(passed=None, held=1.0, brought=1.0)
        ctx = step_context(trajectory, st.replayed_as or trajectory.actions[st.index - 1], st, before_shot)
        if not has_reference_texts(trajectory):
            ctx.reference_text_before = await reference_text(st.index - 1)
            ctx.reference_text_after = await reference_text(st.index)
        verdict = await check_visible_change(ctx, expected, at_place=False)
        if read_screens_again(ctx, verdict) and before_shot is not None and st.screenshot is not None:
            ctx.candidate_ocr_before, ctx.candidate_ocr_after = await screen_text(before_shot), await screen_text(st.screenshot)
            verdict = await check_visible_change(ctx, expected, at_place=False)
        checks = verdict.evidence.get("tokens", [])
        held = [bool(t.get("ok")) for t in checks]
        brought = [bool(t.get("ok")) for t in checks if t.get("expect") in ("appear", "present")]
        return ProbeVerdict(passed=verdict.passed, held=share(held), brought=share(brought))

    return probe
