"""Text of small image crops: `iwr.tools.ocr` when present, else rapidocr directly."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

_lock = threading.Lock()
_engine: Any = None


def _direct(image: np.ndarray) -> str:
    global _engine
    with _lock:
        if _engine is None:
            from rapidocr import RapidOCR

            _engine = RapidOCR(params={"Global.use_cls": False, "Global.log_level": "error"})
    result = _engine(image)
    txts = getattr(result, "txts", None) or ()
    return " ".join(t.strip() for t in txts if t and t.strip())


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
    try:
        from iwr.tools.ocr import ocr_text
    except ImportError:
        return _direct(img)
    with tempfile.TemporaryDirectory(prefix="iwr-ocr-") as tmp:
        path = Path(tmp) / "crop.png"
        cv2.imwrite(str(path), img)
        return ocr_text(path).text.strip()
