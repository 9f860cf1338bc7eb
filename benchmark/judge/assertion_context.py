"""What an asserter may look at for one step (`AssertionContext`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel


class AssertionContext(BaseModel):
    """Everything an asserter may look at for one step."""

    assertion: str
    step: int
    description: str = ""
    candidate_before: Path | None = None
    candidate_after: Path | None = None
    candidate_text_before: str = ""  # DOM text (the judge's extractor: reading order, field values)
    candidate_text_after: str = ""
    candidate_ocr_before: str = ""
    candidate_ocr_after: str = ""
    candidate_changed_fraction: float | None = None  # the replay's own screenshot comparison
    reference_before: Path | None = None
    reference_after: Path | None = None
    reference_text_before: str = ""  # recorded DOM text of the checkpoints, else their OCR
    reference_text_after: str = ""
    reference_text_source: str = "ocr"  # dom (recorded with the judge's extractor) | ocr

    @property
    def exact_reference_text(self) -> bool:
        """True when the reference text is the DOM's (exact counts and order), not OCR's."""
        return self.reference_text_source == "dom"
