"""Text of small image crops (typed text): padded, enlarged when small, read by `tools.ocr`."""

from __future__ import annotations

import cv2
import numpy as np

from ..ocr import ocr_text


def read_text(image_bgr: np.ndarray) -> str:
    """OCR of a BGR crop (padded, upscaled when small); '' when no text is found."""
    if image_bgr.size == 0:
        return ""
    pad = 12
    border = [int(v) for v in np.median(image_bgr.reshape(-1, 3), axis=0)]
    img = cv2.copyMakeBorder(image_bgr, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=border)
    if img.shape[0] < 48:
        k = 48 / img.shape[0]
        img = cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC)
    return ocr_text(img).text.strip()
