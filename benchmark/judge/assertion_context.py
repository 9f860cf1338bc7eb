"""What an asserter may look at for one step (`AssertionContext`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from ...core.geometry import Box
from ...tools.perception.visible_change import VisibleChange


class AssertionContext(BaseModel):
    """Everything an asserter may look at for one step."""

    assertion: str
    step: int
    description: str = ""
    action_type: str = ""  # Click | Type | Press | Scroll (the step's action)
    candidate_before: Path | None = None
    candidate_after: Path | None = None
    candidate_text_before: str = ""  # DOM text (the judge's extractor: reading order, field values)
    candidate_text_after: str = ""
    candidate_ocr_before: str = ""
    candidate_ocr_after: str = ""
    candidate_changed_fraction: float | None = None  # the replay's own screenshot comparison
    candidate_target: Box | None = None  # a click's grounded element box
    reference_before: Path | None = None
    reference_after: Path | None = None
    reference_text_before: str = ""  # recorded DOM text of the checkpoints, else their OCR
    reference_text_after: str = ""
    reference_text_source: str = "ocr"  # dom (recorded with the judge's extractor) | ocr
    reference_text_recording: str = ""  # the text of every checkpoint of the trajectory (DOM, else OCR)
    reference_text_later: str = ""  # the checkpoints' OCR after this step's (official tasks; "" at the last step)
    expected_change: VisibleChange | None = None  # what the recording showed changing (video plans)

    @property
    def exact_reference_text(self) -> bool:
        """True when the reference text is the DOM's (exact counts and order), not OCR's."""
        return self.reference_text_source == "dom"

    @property
    def exact_counts(self) -> bool:
        """True when a named token's change of count must match the reference's: its text is
        the DOM's and the step is not a scroll (what a scroll brings into the viewport, and
        how often, follows the page's layout as much as its behaviour)."""
        return self.exact_reference_text and self.action_type != "Scroll"


def click_target(action_type: str, box: Box | None) -> Box | None:
    """A click's grounded element box, else None."""
    return box if action_type == "Click" else None
