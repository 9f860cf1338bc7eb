"""One decoding pass over a video: per sampled frame, the page change (pointer masked),
the pointer position and click indicators, and the stable runs of frames.

Frames are sampled at about `sample_fps`; change detection works on a downscaled gray
copy, pointer matching on small full-resolution windows. Only the last frame of each
stable run is kept at full resolution (the keyframe candidates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from ...core.change import VIDEO_CHANGE, changed_mask
from ...core.geometry import PixelBox
from .pointer import PointerHit, PointerTracker, is_ring
from .types import ChangeRegion, PerceptionError, VideoInfo

WORK_WIDTH = 640  # width of the downscaled copy used for change detection
MIN_BLOB_PIXELS = 3  # changed pixels (downscaled) for a blob to count
SURE_POINTER = 0.85  # a cursor match this good ends the search of a frame
STRONG_DIFF = 56  # a small blob counts only if some pixel changed this much (codec noise is weaker)
POINTER_BLOBS = 16  # changed blobs searched for the pointer per frame, nearest its last place first (a page-wide change has hundreds)
MIN_WEAK_SPAN = 5  # px (downscaled, dilated): a weak change must be at least this tall and wide

RunSpans = tuple[int, int, int, int]  # two stable runs by their sample indices: (a.first, a.last, b.first, b.last)


class Blob(NamedTuple):
    """A connected blob of a change mask (downscaled px): its box and how many pixels of the mask it holds."""

    x: int
    y: int
    w: int
    h: int
    raw: int


@dataclass
class Sample:
    """What happened between the previous sampled frame and this one."""

    index: int
    frame_no: int
    time: float
    changes: list[PixelBox] = field(default_factory=list)  # full-res boxes
    changed_pixels: int = 0
    pointer: PointerHit | None = None
    pointer_seen: bool = False  # pointer found in this frame (else held from before)
    ring: tuple[float, float] | None = None  # hollow click-indicator centre, full-res
    near_pointer: bool = False  # some change lies right around the pointer hotspot
    near: list[PixelBox] = field(default_factory=list)  # those changes
    carets: list[PixelBox] = field(default_factory=list)  # full-res boxes of blinking carets

    @property
    def still(self) -> bool:
        return not self.changes


@dataclass
class StableRun:
    """Consecutive sampled frames with the same page (pointer aside)."""

    first: int  # sample indices
    last: int
    start: float
    end: float
    frame_no: int  # frame kept (the run's last)
    image: np.ndarray  # BGR, full resolution
    small: np.ndarray  # BGR, downscaled
    pointer: PointerHit | None


@dataclass
class Scan:
    """The result of one pass."""

    info: VideoInfo
    scale: float  # downscaled / full-res
    samples: list[Sample]
    runs: list[StableRun]
    diffs: dict[RunSpans, list[ChangeRegion]] = field(default_factory=dict)  # state_diff results by the two runs' sample spans
    shifts: dict[RunSpans, tuple[float, float] | None] = field(default_factory=dict)  # scroll readings, keyed the same way


def open_video(path: Path) -> tuple[cv2.VideoCapture, float, int, int, int]:
    """Open a video with OpenCV, or raise PerceptionError."""
    if not path.is_file():
        raise PerceptionError(f"video not found: {path}")
    if path.stat().st_size == 0:
        raise PerceptionError(f"video is empty: {path}")
    cap = cv2.VideoCapture(str(path), cv2.CAP_ANY,
                           [cv2.CAP_PROP_N_THREADS, 1])  # one decoding thread: the other core searches assets
    if not cap.isOpened():  # a backend that does not take the setting
        cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise PerceptionError(f"cannot decode video: {path}")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if not 0 < fps < 1000:
        fps = 30.0
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
    h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    return cap, fps, n, w, h


def change_mask(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 where two BGR images differ by more than VIDEO_CHANGE in any channel."""
    return changed_mask(a, b, VIDEO_CHANGE)


def strong_blobs(mask: np.ndarray, a: np.ndarray, b: np.ndarray) -> list[Blob]:
    """Blobs of `mask` where images a and b differ strongly somewhere (not codec noise).

    A weak change counts when it is large and two-dimensional: the encoder's rate control
    makes thin strips along sharp edges pulse for seconds on a still page.
    """
    return [Blob(x, y, w, h, raw) for x, y, w, h, raw in _blobs(mask)
            if _strong(int(cv2.absdiff(a[y:y + h, x:x + w], b[y:y + h, x:x + w]).max()), w, h, raw)]


def strong_diff_blobs(diff: np.ndarray) -> list[Blob]:
    """`strong_blobs` of a gray difference image."""
    mask = (diff > VIDEO_CHANGE).view(np.uint8)
    return [Blob(x, y, w, h, raw) for x, y, w, h, raw in _blobs(mask) if _strong(int(diff[y:y + h, x:x + w].max()), w, h, raw)]


def _strong(max_diff: int, w: int, h: int, raw: int) -> bool:
    """A strong difference somewhere, or a weak one that is large and two-dimensional."""
    return max_diff >= STRONG_DIFF or (raw >= 40 and min(w, h) >= MIN_WEAK_SPAN)


def _blobs(mask: np.ndarray, carets: list[Blob] | None = None) -> list[Blob]:
    """Connected blobs of a binary mask (after a small dilation).
    Thin upright blobs (a blinking text caret) are left out, and added to `carets` if given."""
    bx, by, bw, bh = cv2.boundingRect(mask)
    if bw == 0 or bh == 0:
        return []
    H, W = mask.shape
    ox, oy = max(0, bx - 2), max(0, by - 2)
    crop = mask[oy:min(H, by + bh + 2), ox:min(W, bx + bw + 2)]
    grown = cv2.dilate(crop, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    raws = np.bincount(labels[crop > 0], minlength=n)  # pixels of the mask itself in each blob
    out: list[Blob] = []
    for i in range(1, n):
        x, y, w, h, _ = (int(v) for v in stats[i])
        raw = int(raws[i])
        x, y = x + ox, y + oy
        if raw < MIN_BLOB_PIXELS:
            continue
        if w <= 4 and h >= 2 * w:  # a blinking text caret
            if carets is not None:
                carets.append(Blob(x, y, w, h, raw))
            continue
        out.append(Blob(x, y, w, h, raw))
    return out


def _paint_pointer(mask: np.ndarray, hit: PointerHit | None, scale: float) -> None:
    """Set the pointer silhouette (dilated) in a downscaled mask, in place."""
    if hit is None:
        return
    x, y, w, h = hit.box.as_tuple()
    sx0, sy0 = int(np.floor(x * scale)) - 1, int(np.floor(y * scale)) - 1
    sw, sh = max(1, int(np.ceil(w * scale)) + 2), max(1, int(np.ceil(h * scale)) + 2)
    sil = cv2.resize(hit.mask, (sw, sh), interpolation=cv2.INTER_NEAREST)
    sil = cv2.dilate(sil, np.ones((3, 3), np.uint8))
    H, W = mask.shape
    x0, y0, x1, y1 = max(0, sx0), max(0, sy0), min(W, sx0 + sw), min(H, sy0 + sh)
    if x0 < x1 and y0 < y1:
        mask[y0:y1, x0:x1] |= sil[y0 - sy0:y1 - sy0, x0 - sx0:x1 - sx0]


def _to_full(b: Blob, scale: float, W: int, H: int) -> PixelBox:
    """A downscaled blob's box in full-resolution px."""
    x, y, w, h = (int(round(v / scale)) for v in b[:4])
    return PixelBox(x=max(0, x), y=max(0, y), width=min(W, w), height=min(H, h))


class _Analyzer:
    """Per-sample analysis state."""

    def __init__(self, width: int, height: int, scale: float) -> None:
        self.W, self.H, self.scale = width, height, scale
        self.tracker = PointerTracker()
        self.pointer: PointerHit | None = None
        self.pointer_max = max(48, int(0.07 * max(width, height)))
        self.ring_max = max(80, int(0.1 * max(width, height)))
        self.first_seen: PointerHit | None = None  # the pointer where it rested before moving first
        self.quiet = 0  # samples since the last one with a change (a grabber repeating frames makes long runs)
        self._grays: dict[int, np.ndarray] = {}  # sample index: full-resolution gray (the last two made)

    def analyse(self, sample: Sample, frame: np.ndarray, prev_frame: np.ndarray, small: np.ndarray,
                prev_small: np.ndarray) -> None:
        diff = change_mask(small, prev_small)
        prev_pointer = self.pointer
        if not diff.any():
            sample.pointer = self.pointer
            self.quiet += 1
            return
        quiet, self.quiet = self.quiet, 0
        gray, prev_gray = self._gray(sample.index, frame), self._gray(sample.index - 1, prev_frame)
        carets: list[Blob] = []
        blobs = _blobs(diff, carets)
        sample.carets = [_to_full(c, self.scale, self.W, self.H) for c in carets]
        if prev_pointer is not None:  # the pointer moves continuously: look near where it was first
            blobs.sort(key=lambda b: abs(b.x / self.scale - prev_pointer.x) + abs(b.y / self.scale - prev_pointer.y))
        seen = False
        departed: list[PointerHit] = []
        candidates = [f for f in (_to_full(b, self.scale, self.W, self.H) for b in blobs) if max(f.width, f.height) <= self.pointer_max]
        budget = POINTER_BLOBS if prev_pointer is not None else POINTER_BLOBS // 2  # unseen so far: each blob is searched twice
        for f in candidates[:budget]:
            if seen and self.pointer is not None and self.pointer.score >= SURE_POINTER:
                break  # one pointer per frame
            hit = self.tracker.find(gray, f)
            if hit is not None and (not seen or self.pointer is None or hit.score > self.pointer.score):
                self.pointer, seen = hit, True
            if prev_pointer is None:  # a pointer leaving from where it rested unseen
                gone = self.tracker.find(prev_gray, f)
                if gone is not None:
                    departed.append(gone)
        left = prev_pointer or (departed[0] if departed else None)
        if not seen and left is not None:  # a cursor shape the bank lacks: learn it from its motion
            learned = self.tracker.learn(gray, prev_gray, left, 1 + quiet)
            if learned is not None:
                self.pointer, seen = learned, True
        if departed and self.first_seen is None and prev_pointer is None:
            self.first_seen = departed[0]
        sample.pointer, sample.pointer_seen = self.pointer, seen
        pmask = np.zeros_like(diff)
        for hit in (prev_pointer, self.pointer, *departed):
            _paint_pointer(pmask, hit, self.scale)
        page = diff & (1 - pmask)
        for b in strong_blobs(page, small, prev_small):
            box = _to_full(b, self.scale, self.W, self.H)
            if self._around_pointer(box):
                sample.near_pointer = True
                sample.near.append(box)
                if self._ring(box, gray, prev_gray):
                    sample.ring = (box.x + box.width / 2, box.y + box.height / 2)
            sample.changes.append(box)
            sample.changed_pixels += b.raw

    def _gray(self, index: int, frame: np.ndarray) -> np.ndarray:
        """The full-resolution gray copy of sample `index` (made only when a frame changed)."""
        if index not in self._grays:
            self._grays = {i: g for i, g in self._grays.items() if i >= index - 1}
            self._grays[index] = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        return self._grays[index]

    def _around_pointer(self, box: PixelBox) -> bool:
        """The box fits in a square of side `ring_max` centred on the pointer hotspot."""
        if self.pointer is None:
            return False
        x, y, w, h = box.as_tuple()
        r = self.ring_max / 2
        px, py = self.pointer.x, self.pointer.y
        return x >= px - r and y >= py - r and x + w <= px + r and y + h <= py + r

    def _ring(self, box: PixelBox, gray: np.ndarray, prev_gray: np.ndarray) -> bool:
        """A hollow round blob around the pointer: a click indicator."""
        x, y, w, h = box.as_tuple()
        if self.pointer is None or max(w, h) < 10:
            return False
        m = changed_mask(gray[y:y + h, x:x + w], prev_gray[y:y + h, x:x + w], VIDEO_CHANGE)
        px0, py0, pw, ph = self.pointer.box.as_tuple()
        ix0, iy0, ix1, iy1 = max(x, px0), max(y, py0), min(x + w, px0 + pw), min(y + h, py0 + ph)
        if ix0 < ix1 and iy0 < iy1:  # the pointer drawn over the ring is not part of it
            sil = self.pointer.mask[iy0 - py0:iy1 - py0, ix0 - px0:ix1 - px0]
            m[iy0 - y:iy1 - y, ix0 - x:ix1 - x][sil > 0] = 0
        return is_ring(m)


def scan_video(path: Path, sample_fps: float = 8.0, min_stable: float = 0.4,
               on_first_state: Callable[[np.ndarray], None] | None = None) -> Scan:
    """Decode `path` once and return samples and stable runs. `on_first_state` is called
    with the frame of the page's first stable state as soon as that state ends.

    Samples are taken every `step` frames while the frames' timestamps keep to the frame rate.
    A video whose frames do not (a variable frame rate: screen grabbers that write a frame
    only when the screen changes, phones) is sampled in time instead, from the first frame
    that strays: each sample shows the frame on screen at its time, so a page held still for
    two seconds in one frame is two seconds of still samples, not one."""
    cap, fps, _n, W, H = open_video(path)
    step = max(1, int(round(fps / sample_fps)))
    period = step / fps
    scale = min(1.0, WORK_WIDTH / max(1, W))
    sw, sh = max(1, int(round(W * scale))), max(1, int(round(H * scale)))
    analyzer = _Analyzer(W, H, scale)
    samples: list[Sample] = []
    runs: list[StableRun] = []
    prev_frame = prev_small = None
    run: StableRun | None = None

    def take(frame: np.ndarray, frame_no: int, time: float) -> None:
        nonlocal H, W, prev_frame, prev_small, run
        if frame.shape[1] != W or frame.shape[0] != H:
            H, W = frame.shape[:2]
        small = cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_AREA)
        s = Sample(index=len(samples), frame_no=frame_no, time=time)
        if prev_frame is not None and prev_small is not None:  # set together
            analyzer.analyse(s, frame, prev_frame, small, prev_small)
        samples.append(s)
        if prev_frame is None or s.still:
            if run is None:
                run = StableRun(s.index, s.index, s.time, s.time, frame_no, frame, small, s.pointer)
            else:
                run.last, run.end, run.frame_no, run.image, run.small, run.pointer = s.index, s.time, frame_no, frame, small, s.pointer
        else:
            if run is not None:
                runs.append(run)
                if len(runs) == 1 and on_first_state is not None:
                    on_first_state(run.image)
            run = StableRun(s.index, s.index, s.time, s.time, frame_no, frame, small, s.pointer)
        prev_frame, prev_small = frame, small

    frame_no, first_ts, last_ts = -1, None, 0.0
    held: tuple[np.ndarray, int] | None = None  # in time sampling: the frame on screen until the next one
    next_time: float | None = None  # in time sampling: when the next sample is due
    try:
        while cap.grab():
            frame_no += 1
            ts = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            first_ts = ts if first_ts is None else first_ts
            last_ts = ts - first_ts
            if next_time is None and abs(last_ts - frame_no / fps) > 0.5 / fps:  # the timestamps stray: sample in time
                next_time = samples[-1].time + period if samples else 0.0
                held = (prev_frame, samples[-1].frame_no) if prev_frame is not None and samples else None
            if next_time is None:
                if frame_no % step:
                    continue
                ok, frame = cap.retrieve()
                if not ok or frame is None:
                    break
                take(frame, frame_no, frame_no / fps)
                continue
            while held is not None and next_time < last_ts:
                take(held[0], held[1], next_time)
                next_time += period
            ok, frame = cap.retrieve()
            if not ok or frame is None:
                break
            held = (frame, frame_no)
        if held is not None and next_time is not None:  # the last frame, shown for one more sample
            take(held[0], held[1], max(next_time, last_ts))
    finally:
        cap.release()
    if not samples:
        raise PerceptionError(f"no frames could be decoded from {path}")
    if run is not None:
        runs.append(run)
        if len(runs) == 1 and on_first_state is not None:
            on_first_state(run.image)
    if analyzer.first_seen is not None:  # the pointer rested there before it was first seen moving
        for s in samples:
            if s.pointer is not None:
                break
            s.pointer = analyzer.first_seen
        for r in runs:
            if r.pointer is None and r.first < len(samples) and samples[r.last].pointer is analyzer.first_seen:
                r.pointer = analyzer.first_seen
    runs = _stable_only(runs, min_stable, len(samples) - 1)
    duration = max((frame_no + 1) / fps, last_ts + 1 / fps) if next_time is None else last_ts + period
    info = VideoInfo(path=str(path), width=W, height=H, fps=fps, frame_count=frame_no + 1, duration=duration,
                     sample_fps=1 / period)
    return Scan(info=info, scale=scale, samples=samples, runs=runs)


def _stable_only(runs: list[StableRun], min_stable: float, last_index: int) -> list[StableRun]:
    """Runs lasting at least `min_stable` seconds, plus the first and the last frame."""
    kept = [r for r in runs if r.end - r.start >= min_stable or r.first == 0 or r.last == last_index]
    return kept
