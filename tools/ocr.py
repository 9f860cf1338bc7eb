"""Offline OCR with rapidocr (shipped PP-OCRv6 small models), cached by image content.

- `ocr_text(image, cache, region)` is the one entry: an image file or a BGR array, the
  whole image or a region of it; it runs the OCR (engine loaded once per process) and
  returns `OcrResult`.
- `OcrCache` stores results in SQLite keyed by sha256(image content + OCR config), so an
  identical image is never OCR'd twice, across processes and runs.
- `OcrPool` OCRs images in worker threads (onnxruntime releases the GIL) so candidate
  screenshots are read while the replay goes on; identical in-flight images share a job.

Configuration (`OCR_PARAMS`): angle classifier off (screenshots are upright) and detection
at the native size (`limit_type=max`, 1280 px) instead of the default up-scaling of the
short side to 736 px: the same text on 1280x720 screenshots, slightly faster.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, field_validator

from ..core.geometry import Box, PixelBox
from .sqlite_store import SqliteStore

OCR_PARAMS: dict[str, Any] = {
    "Global.use_cls": False,
    "Global.log_level": "error",
    "Det.limit_type": "max",
    "Det.limit_side_len": 1280,
}
OCR_CONFIG_KEY = "rapidocr-" + json.dumps(OCR_PARAMS, sort_keys=True)


class OcrLine(BaseModel):
    """One detected text line: text, confidence, and its box in image pixels."""

    text: str
    score: float
    box: Box

    @field_validator("box", mode="before")
    @classmethod
    def _from_sequence(cls, value: Any) -> Any:
        """Cached results written before boxes were `Box` hold (x, y, w, h) lists."""
        if isinstance(value, list | tuple) and len(value) == 4:
            x, y, w, h = (float(v) for v in value)
            return Box(x=x, y=y, width=w, height=h)
        return value


class OcrResult(BaseModel):
    """The text of an image in reading order (lines joined by spaces) and its lines."""

    text: str = ""
    lines: list[OcrLine] = Field(default_factory=list)
    seconds: float = 0.0  # OCR compute time (0 when served from the cache)
    cached: bool = False


_engine_lock = threading.Lock()
_engine: Any = None


def _get_engine() -> Any:
    """The process-wide rapidocr engine (loaded once, about 1 s)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            import logging

            from rapidocr import RapidOCR

            _disable_spinning()
            _engine = RapidOCR(params=dict(OCR_PARAMS))
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        return _engine


_quiet_options: Callable[[], Any] | None = None  # the SessionOptions factory put in rapidocr's place


def _disable_spinning() -> None:
    """Make rapidocr create its onnxruntime sessions (lazily, at first use) without spinning.

    Spinning worker threads burn CPU while waiting; on a busy 2-core machine (browser,
    other jobs) that costs about a quarter more CPU per image for no gain. Only rapidocr's
    own reference to `SessionOptions` is replaced.
    """
    try:
        import rapidocr.inference_engine.onnxruntime.main as ort_main
    except ImportError:  # pragma: no cover - layout of another rapidocr version
        return
    global _quiet_options
    original = ort_main.SessionOptions
    if original is _quiet_options:
        return

    def options() -> Any:
        opts = original()
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
        return opts

    _quiet_options = options
    ort_main.SessionOptions = options


def image_key(data: bytes) -> str:
    """Cache key of an image file: sha256 of its bytes and the OCR configuration."""
    h = hashlib.sha256(data)
    h.update(OCR_CONFIG_KEY.encode())
    return h.hexdigest()


def array_key(image: np.ndarray) -> str:
    """Cache key of a decoded image: sha256 of its shape, type and pixels and the OCR configuration."""
    h = hashlib.sha256(f"array {image.shape} {image.dtype}".encode())
    h.update(np.ascontiguousarray(image).tobytes())
    h.update(OCR_CONFIG_KEY.encode())
    return h.hexdigest()


def _run_ocr(image: bytes | np.ndarray) -> OcrResult:
    """OCR encoded image bytes (decoded by rapidocr) or a BGR array."""
    start = time.perf_counter()
    out = _get_engine()(image)
    lines: list[OcrLine] = []
    txts = out.txts or ()
    boxes = out.boxes if out.boxes is not None else []
    scores = out.scores or ()
    for text, box, score in zip(txts, boxes, scores, strict=False):  # an engine list left empty yields no lines
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        box = Box(x=min(xs), y=min(ys), width=max(xs) - min(xs), height=max(ys) - min(ys))
        lines.append(OcrLine(text=str(text), score=float(score), box=box))
    text = " ".join(line.text for line in lines)
    return OcrResult(text=text, lines=lines, seconds=time.perf_counter() - start)


class OcrCache:
    """SQLite store of OCR results keyed by `image_key` or `array_key` (safe across threads and processes)."""

    def __init__(self, directory: Path) -> None:
        self._store = SqliteStore(Path(directory) / "ocr_cache.sqlite", "ocr", "result", {"result": "TEXT NOT NULL"})
        self.path = self._store.path

    def get(self, key: str) -> OcrResult | None:
        row = self._store.get(key)
        if row is None:
            return None
        result = OcrResult.model_validate_json(row)
        return result.model_copy(update={"cached": True, "seconds": 0.0})

    def put(self, key: str, result: OcrResult) -> None:
        self._store.put(key, result.model_dump_json())


def ocr_text(image: Path | np.ndarray, cache: OcrCache | None = None, region: PixelBox | None = None) -> OcrResult:
    """OCR an image file or a BGR (OpenCV order) array, whole or only `region` of it; served
    from `cache` when the same content was OCR'd before. Line boxes are in the pixels of
    `image` (a region's offset added back)."""
    if region is None and not isinstance(image, np.ndarray):
        data = Path(image).read_bytes()  # the file's bytes are the content: decoded by rapidocr
        return _cached(image_key(data), data, cache)
    pixels = image if isinstance(image, np.ndarray) else _decode(Path(image))
    if region is None:
        return _cached(array_key(pixels), pixels, cache)
    x, y, w, h = region.as_tuple()
    x0, y0 = max(0, x), max(0, y)
    crop = pixels[y0:max(y0, y + h), x0:max(x0, x + w)]
    if crop.size == 0:
        return OcrResult()
    result = _cached(array_key(crop), crop, cache)
    lines = [line.model_copy(update={"box": line.box.moved(x0, y0)}) for line in result.lines]
    return result.model_copy(update={"lines": lines})


def _decode(path: Path) -> np.ndarray:
    """An image file as a BGR array (as OCR reads it)."""
    import cv2

    pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if pixels is None:
        raise ValueError(f"cannot read image {path}")
    return pixels


def _cached(key: str, image: bytes | np.ndarray, cache: OcrCache | None,
            computed: Callable[[OcrResult], None] | None = None) -> OcrResult:
    """The result stored under `key`, else the OCR of `image` (told to `computed`, then stored)."""
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    result = _run_ocr(image)
    if computed is not None:
        computed(result)
    if cache is not None:
        cache.put(key, result)
    return result


class OcrPool:
    """OCR images in background threads; `submit` returns a future, shared per image content.

    One worker is the default: onnxruntime already uses both cores inside one call, and a
    second concurrent call mostly competes for them (see measurements/judge_speed.py).
    """

    def __init__(self, cache: OcrCache | None = None, workers: int = 1) -> None:
        self.cache = cache
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="iwr-ocr")
        self._jobs: dict[str, Future[OcrResult]] = {}
        self._holders: dict[str, int] = {}  # submitters of a queued job that still want it
        self._lock = threading.Lock()
        self.computed = 0  # images actually OCR'd (not served by cache or a shared job)
        self.compute_seconds = 0.0
        self.released = 0  # queued jobs dropped because nobody needed them any more

    def submit(self, image_path: Path) -> Future[OcrResult]:
        """Queue an image (read now, so later overwrites of the file do not matter)."""
        data = Path(image_path).read_bytes()
        key = image_key(data)
        with self._lock:
            job = self._jobs.get(key)
            if job is None or job.cancelled():
                job = self._executor.submit(self._work, key, data)
                self._jobs[key] = job
                self._holders[key] = 0
            self._holders[key] += 1
            return job

    def release(self, job: Future[OcrResult]) -> None:
        """The submitter no longer needs `job`: when no other submitter holds it and it has
        not started, it is cancelled (no OCR time spent on images no score will use)."""
        with self._lock:
            key = next((k for k, j in self._jobs.items() if j is job), None)
            if key is None:
                return
            self._holders[key] = max(0, self._holders[key] - 1)
            if self._holders[key] == 0 and job.cancel():
                del self._jobs[key]
                del self._holders[key]
                self.released += 1

    def _work(self, key: str, data: bytes) -> OcrResult:
        return _cached(key, data, self.cache, self._count)

    def _count(self, result: OcrResult) -> None:
        with self._lock:
            self.computed += 1
            self.compute_seconds += result.seconds

    def warm_up(self) -> Future[None]:
        """Load the engine in a worker so the first real image does not pay for it."""
        return self._executor.submit(_get_engine)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> OcrPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rapidocr_version() -> str:
    """Installed rapidocr version (for the protocol record)."""
    from importlib.metadata import version

    return version("rapidocr")
