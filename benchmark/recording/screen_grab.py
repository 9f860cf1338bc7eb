"""The screen grabber: Debian's ffmpeg reading an X display with `x11grab`, cursor drawn, to mp4.

x11grab stamps every frame with the wall clock (`time.time()`'s clock) and ffmpeg prints the
first frame's stamp on its input line (`Duration: N/A, start: <epoch seconds>`): video
second v is wall time `start + v`. The `fps` filter makes the frame rate constant from those
stamps (frame i is the grab nearest `start + i / fps`, repeated or dropped as needed), not
ffmpeg's output `-fps_mode cfr`, whose duplicate-first policy was measured to show the
screen 1-2 frames late under load. Stopped with `q` on stdin, which finalises the mp4. A
second output lists the stamp of every grab (`grab_times`): on a machine too busy to grab
25 times a second, the frames in a gap repeat the last grab, and `grab_stats` says how many.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .options import RecordError
from .x_server import SETUP_HINT, XDisplay, real_time_helper, stop_process

_START = re.compile(rb"Duration: N/A, start: (\d+\.\d+)")


class ScreenGrab:
    """One running capture of a display to an H.264 (yuv420p) mp4; `start` is frame 0's wall time."""

    def __init__(self, display: XDisplay, out: Path, fps: float = 25.0, *, timeout: float = 10.0) -> None:
        exe = shutil.which("ffmpeg")
        if exe is None:
            raise RecordError(f"--capture screen needs ffmpeg: {SETUP_HINT}")
        self.out, self.fps = out, float(fps)
        self._stamps_dir = tempfile.TemporaryDirectory(prefix="iwr-grab-")
        self._stamps = Path(self._stamps_dir.name) / "grabs.txt"
        self._lines: list[bytes] = []
        self._read_at, self._latest = 0, -1.0  # how far the stamps were read, the newest grab seen
        self._started = threading.Event()
        self.start = 0.0
        launched = time.time()
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [exe, "-hide_banner", "-nostats", "-loglevel", "info",
             "-f", "x11grab", "-framerate", f"{self.fps:g}", "-video_size", f"{display.width}x{display.height}",
             "-draw_mouse", "1", "-i", f"{display.name}+0,0",
             "-vf", f"fps={self.fps:g}", "-fps_mode", "passthrough",
             "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p",
             "-movflags", "+faststart", "-y", str(out),
             # second output: the stamp (ms) of every grab, to tell fresh frames from repeats
             "-map", "0:v", "-c:v", "copy", "-flush_packets", "1", "-f", "mkvtimestamp_v2", "-y", str(self._stamps)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=display.env(),
            start_new_session=True, preexec_fn=real_time_helper,
        )
        self._reader = threading.Thread(target=self._read_stderr, name="iwr-ffmpeg-log", daemon=True)
        self._reader.start()
        try:
            self.start = self._first_frame(launched, timeout)
        except BaseException:
            self.abort()
            raise

    def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for line in self._proc.stderr:
            self._lines.append(line)
            if _START.search(line):
                self._started.set()
        self._started.set()  # ffmpeg ended: wake the waiter

    def _tail(self) -> str:
        lines = [ln.decode(errors="replace").strip() for ln in self._lines[-4:]]
        return " | ".join(ln for ln in lines if ln) or "no output"

    def _first_frame(self, launched: float, timeout: float) -> float:
        """The wall time of frame 0, read from ffmpeg's input line and checked against the clock."""
        self._started.wait(timeout)
        stamp = next((m.group(1) for ln in self._lines if (m := _START.search(ln))), None)
        if stamp is None:
            raise RecordError(f"ffmpeg x11grab did not start within {timeout:g} s: {self._tail()}")
        start = float(stamp)
        if not launched - 1.0 <= start <= time.time() + 1.0:
            raise RecordError(f"ffmpeg's first frame is stamped {start:.3f}, not wall-clock time "
                              f"(launched at {launched:.3f}): cannot time the video")
        return start

    def latest_grab(self) -> float:
        """Video seconds of the newest grab so far (-1 before the first); reads the stamps ffmpeg
        flushes after every grab."""
        with contextlib.suppress(OSError), self._stamps.open("rb") as f:
            f.seek(self._read_at)
            chunk = f.read()
            end = chunk.rfind(b"\n") + 1  # complete lines only
            self._read_at += end
            for line in chunk[:end].split():
                if line[:1].isdigit():
                    self._latest = max(self._latest, float(line) / 1000)
        return self._latest

    async def shown_after(self, wall: float, timeout: float = 2.0) -> bool:
        """Wait until a grab taken after wall time `wall` exists (what the screen showed then is
        in the video); False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.latest_grab() < self.video_time(wall):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def grab_times(self) -> list[float]:
        """Video seconds of every screen grab (after `stop`); frames between grabs repeat one."""
        if not self._stamps.is_file():
            return []
        lines = self._stamps.read_text().splitlines()
        return [float(v) / 1000 for v in lines if v.strip() and not v.startswith("#")]

    def video_time(self, wall: float) -> float:
        """Seconds into the video of a wall-clock time."""
        return wall - self.start

    def stop(self, timeout: float = 20.0) -> None:
        """Stop capturing and finalise the mp4; raises `RecordError` if ffmpeg failed."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.poll() is None and proc.stdin is not None:
                proc.stdin.write(b"q")
                proc.stdin.flush()
                proc.stdin.close()
            proc.wait(timeout=timeout)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            pass
        finally:
            stop_process(proc)
            self._proc = None
            self._reader.join(timeout=2)
        if proc.returncode != 0 or not self.out.is_file() or self.out.stat().st_size == 0:
            raise RecordError(f"ffmpeg x11grab failed (exit {proc.returncode}): {self._tail()}")

    def abort(self) -> None:
        """Kill ffmpeg (after an error) and remove a partial file."""
        proc, self._proc = self._proc, None
        stop_process(proc, grace=1.0)
        self.out.unlink(missing_ok=True)
        self.cleanup()

    def cleanup(self) -> None:
        """Remove the grab stamps (read them with `grab_times` first)."""
        self._stamps_dir.cleanup()


@dataclass(frozen=True)
class GrabStats:
    """How faithfully the video's frames follow the screen."""

    grabs: int
    stale_frames: int  # frames whose nearest grab is more than one frame interval away
    longest_gap: float  # seconds between two consecutive grabs, at most

    def to_json(self) -> dict[str, float]:
        return {"grabs": self.grabs, "stale_frames": self.stale_frames, "longest_gap": round(self.longest_gap, 3)}


def grab_stats(grabs: list[float], frames: int, fps: float) -> GrabStats:
    """Compare the grab stamps with the video's frame times."""
    stale = 0
    for n in range(frames):
        t = n / fps
        i = bisect.bisect_left(grabs, t)
        near = min((abs(grabs[j] - t) for j in (i - 1, i) if 0 <= j < len(grabs)), default=float("inf"))
        stale += near > 1 / fps
    gaps = [b - a for a, b in itertools.pairwise(grabs)]
    return GrabStats(grabs=len(grabs), stale_frames=stale, longest_gap=max(gaps, default=0.0))
