"""Visual sub-scores of one candidate state against the reference checkpoint of the same step.

- `ocr`: text similarity of the OCR texts (paper: 1 - Levenshtein / longer, lower-cased);
- `structural`: weight-free image similarity (`tools.image_metrics.structural_similarity`);
- `dino`: DINOv2 cosine similarity when the user gave weights;
- `mllm`: the paper's 0..100 rubric (layout 10, elements 15, content/text 40, style 15,
  overall 20) from a multimodal model via the gateway (purpose "visual"), stored / 100.
  A failed or unparseable rubric leaves `mllm=None` and records the error in `detail`.
Pairing is by step number: the caller passes the candidate screenshot of step k and the
checkpoint of step k, never by list position.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ...tools.image_metrics import DinoScorer, structural_similarity, text_similarity
from .types import VisualScores

RUBRIC = {"layout": 10, "elements": 15, "content": 40, "style": 15, "overall": 20}

MLLM_RUBRIC_PROMPT = """Compare a generated web page screenshot (first image) with the reference screenshot
(second image) of the same state. Score each criterion with an integer from 0 to its maximum:
layout (max 10): placement and sizes of the main regions;
elements (max 15): the same UI elements are present (buttons, inputs, images, icons);
content (max 40): the same text and data are shown;
style (max 15): colours, fonts, spacing, borders;
overall (max 20): overall visual fidelity.
Answer only with JSON: {"layout": n, "elements": n, "content": n, "style": n, "overall": n, "reasoning": "..."}"""


def parse_rubric(text: str) -> tuple[float | None, dict[str, Any], str | None]:
    """(total 0..100, parts, error) from a rubric answer; values clipped to each maximum."""
    cleaned = re.sub(r"^```(?:json)?|```$", "", text.strip(), flags=re.MULTILINE).strip()
    for cand in [cleaned, *re.findall(r"\{.*\}", cleaned, flags=re.DOTALL)]:
        try:
            data = json.loads(cand)
        except (json.JSONDecodeError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        parts: dict[str, Any] = {}
        try:
            for key, top in RUBRIC.items():
                parts[key] = max(0.0, min(float(top), float(data[key])))
        except (KeyError, TypeError, ValueError):
            continue
        parts["reasoning"] = str(data.get("reasoning", ""))
        return sum(parts[k] for k in RUBRIC), parts, None
    return None, {}, f"unparseable rubric: {text[:200]!r}"


class VisualScorer:
    """Computes `VisualScores` for (candidate screenshot, checkpoint) pairs of the same step."""

    def __init__(self, gateway: Any | None = None, dino_weights: Path | None = None) -> None:
        self.gateway = gateway
        self.dino = DinoScorer(dino_weights) if dino_weights is not None else None

    @property
    def methods(self) -> list[str]:
        out = ["ocr", "dino" if self.dino is not None else "structural"]
        if self.gateway is not None:
            out.append("mllm")
        return out

    def offline_scores(self, candidate: Path, reference: Path, candidate_text: str, reference_text: str) -> VisualScores:
        """OCR text similarity, structural similarity and (optional) DINO; no model calls."""
        return VisualScores(
            ocr=text_similarity(candidate_text, reference_text),
            structural=structural_similarity(candidate, reference),
            dino=self.dino.similarity(candidate, reference) if self.dino is not None else None,
        )

    async def mllm_score(self, candidate: Path, reference: Path) -> tuple[float | None, dict[str, Any]]:
        """The rubric / 100 and details (or None and the error)."""
        from ...tools.llm.types import ImagePart, Message, ModelError, TextPart

        messages = [Message(role="user", content=[
            TextPart(text=MLLM_RUBRIC_PROMPT), ImagePart(path=candidate), ImagePart(path=reference),
        ])]
        assert self.gateway is not None, "mllm_score needs a gateway (see methods)"
        try:
            response = await self.gateway.complete(messages, purpose="visual")
        except ModelError as e:
            return None, {"mllm_error": f"model error: {e}"}
        total, parts, error = parse_rubric(response.text)
        if total is None:
            return None, {"mllm_error": error, "mllm_answer": response.text}
        return total / 100.0, {"mllm_parts": parts}

    async def score(self, candidate: Path, reference: Path, candidate_text: str, reference_text: str) -> VisualScores:
        """All configured sub-scores of one state."""
        scores = self.offline_scores(candidate, reference, candidate_text, reference_text)
        if self.gateway is not None:
            mllm, detail = await self.mllm_score(candidate, reference)
            scores.mllm = mllm
            scores.detail.update(detail)
        return scores
