"""Video files: an H.264 mp4 writer (raw RGB frames piped to ffmpeg) and OpenCV readers.

The writer uses the ffmpeg binary shipped by the imageio-ffmpeg wheel (libx264, yuv420p,
constant frame rate, `+faststart`). Frames are numpy arrays, height x width x 3, uint8,
RGB. Readers return RGB too unless asked for BGR (OpenCV's order).
"""

from __future__ import annotations

import contextlib
import queue
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict

from ..core.errors import IwrError

if TYPE_CHECKING:
    import cv2


class VideoError(IwrError, RuntimeError):
    """A video could not be written or opened."""


class VideoInfo(BaseModel):
    """Basic properties of a video file (also those of a recording perceived)."""

    model_config = ConfigDict(frozen=True)

    path: str
    width: int
    height: int
    fps: float
    frame_count: int
    duration: float  # seconds (frame_count / fps)
    sample_fps: float = 0.0  # frames per second the perception step looked at (0: not sampled)


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame: its index, time in seconds and pixels."""

    index: int
    time: float
    image: np.ndarray


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


_SENTINEL = None


class Mp4Writer:
    """Write RGB frames to an H.264 mp4 at a constant frame rate.

    Frames are handed to a background thread that feeds ffmpeg, so the caller can keep
    working (e.g. driving a browser) while encoding runs. Use as a context manager or
    call `close()`; `close()` raises `VideoError` if ffmpeg failed.
    """

    def __init__(self, path: Path | str, width: int, height: int, fps: float = 15.0, *, crf: int = 23, preset: str = "veryfast",
                 queue_size: int = 32) -> None:
        if width % 2 or height % 2:
            raise VideoError(f"H.264 yuv420p needs even sizes, got {width}x{height}")
        self.path, self.width, self.height, self.fps = Path(path), width, height, float(fps)
        self.frames_written = 0
        cmd = [
            ffmpeg_exe(), "-y", "-loglevel", "error", "-nostdin",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{self.fps:g}", "-i", "-",
            "-an", "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
            "-r", f"{self.fps:g}", "-fps_mode", "cfr", "-movflags", "+faststart", str(self.path),
        ]  # fmt: skip
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=queue_size)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._feed, name="mp4-writer", daemon=True)
        self._thread.start()

    @property
    def time(self) -> float:
        """Video time (seconds) of the next frame to be written."""
        return self.frames_written / self.fps

    def _feed(self) -> None:
        assert self._proc.stdin is not None
        try:
            while (frame := self._queue.get()) is not _SENTINEL:
                self._proc.stdin.write(frame.data.cast("B"))
        except BaseException as e:  # noqa: BLE001 - reported by close()
            self._error = e
            while self._queue.get() is not _SENTINEL:  # drain so producers never block
                pass
        finally:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()

    def write(self, frame: np.ndarray, repeat: int = 1) -> None:
        """Append `frame` (H x W x 3 uint8 RGB) `repeat` times."""
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise VideoError(f"frame must be {self.height}x{self.width}x3 uint8, got {frame.shape} {frame.dtype}")
        frame = np.ascontiguousarray(frame)
        for _ in range(max(0, repeat)):
            self._queue.put(frame)
            self.frames_written += 1

    def close(self) -> None:
        """Finish the file; raise VideoError when ffmpeg failed."""
        if self._thread.is_alive():
            self._queue.put(_SENTINEL)
            self._thread.join()
        stderr = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
        code = self._proc.wait()
        if self._proc.stderr:
            self._proc.stderr.close()
        if code != 0 or self._error is not None:
            detail = stderr.strip().splitlines()[-1] if stderr.strip() else repr(self._error)
            raise VideoError(f"ffmpeg failed writing {self.path}: {detail}")

    def abort(self) -> None:
        """Stop ffmpeg without finishing the file (after an error elsewhere)."""
        self._proc.kill()
        if self._thread.is_alive():
            self._queue.put(_SENTINEL)
            self._thread.join()
        self._proc.wait()
        if self._proc.stderr:
            self._proc.stderr.close()

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _open(path: Path | str) -> cv2.VideoCapture:
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise VideoError(f"cannot open video {path}")
    return cap


def video_info(path: Path | str) -> VideoInfo:
    """fps, frame count and size of a video (as OpenCV reports them)."""
    import cv2

    cap = _open(path)
    try:
        fps, frame_count = float(cap.get(cv2.CAP_PROP_FPS)), int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        return VideoInfo(
            path=str(path),
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps=fps,
            frame_count=frame_count,
            duration=frame_count / fps if fps > 0 else 0.0,
        )
    finally:
        cap.release()


def iter_frames(path: Path | str, *, step: int = 1, rgb: bool = True) -> Iterator[VideoFrame]:
    """Every `step`-th frame of a video, decoded in order, with the time it is shown at (its
    timestamp from the first frame's: a video with a variable frame rate is timed right)."""
    import cv2

    if step < 1:
        raise ValueError("step must be >= 1")
    cap = _open(path)
    first: float | None = None
    try:
        index = 0
        while True:
            if index % step == 0:
                ok, image = cap.read()
                if not ok:
                    break
                if rgb:
                    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
                stamp = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                first = stamp if first is None else first
                yield VideoFrame(index=index, time=stamp - first, image=image)
            elif not cap.grab():
                break
            else:
                first = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0 if first is None else first
            index += 1
    finally:
        cap.release()


def frames_at(path: Path | str, times: list[float], *, rgb: bool = True, nearest: bool = True) -> list[VideoFrame]:
    """The frame on screen at each of `times` (ascending), in one decoding pass: the last frame
    shown by then, or with `nearest` half a frame interval later (a constant-rate video then
    gives the nearest frame). One per time: a frame held over several times comes again."""
    info = video_info(path)
    slack = 0.5 / info.fps if nearest and info.fps > 0 else 1e-6
    out: list[VideoFrame] = []
    last: VideoFrame | None = None
    for frame in iter_frames(path, rgb=rgb):
        while len(out) < len(times) and last is not None and frame.time > times[len(out)] + slack:
            out.append(last)
        if len(out) == len(times):
            break
        last = frame
    return out + [last] * (len(times) - len(out)) if last is not None else []


def sample_frames(path: Path | str, *, fps: float = 1.0, max_frames: int | None = None, rgb: bool = True) -> list[VideoFrame]:
    """Frames at `fps` (first frame at t=0); when more than `max_frames`, spread evenly."""
    info = video_info(path)
    if info.frame_count <= 0 or info.fps <= 0:
        return []
    stride = max(1.0, info.fps / fps)
    times = [i * stride / info.fps for i in range(int((info.frame_count - 1) / stride) + 1)]
    if max_frames is not None and len(times) > max_frames:
        picks = np.linspace(0, len(times) - 1, max_frames).round().astype(int)
        times = [times[i] for i in picks]
    frames = frames_at(path, times, rgb=rgb)
    return [f for i, f in enumerate(frames) if i == 0 or f.index != frames[i - 1].index]  # a held frame once


def read_frame(path: Path | str, index: int, *, rgb: bool = True) -> np.ndarray:
    """One frame by index (decodes from the start: fine for short videos)."""
    for frame in iter_frames(path, rgb=rgb):
        if frame.index == index:
            return frame.image
    raise VideoError(f"{path} has no frame {index}")


def frame_at(path: Path | str, seconds: float, *, rgb: bool = True) -> np.ndarray:
    """The frame shown at time `seconds`."""
    frames = frames_at(path, [max(0.0, seconds)], rgb=rgb, nearest=False)
    if not frames:
        raise VideoError(f"{path} has no frames")
    return frames[0].image
