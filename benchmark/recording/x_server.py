"""A private X server (Xvfb) for screen recordings, and the external tools they need.

`Xvfb -displayfd` picks a free display number itself (no collision with other X servers or
other recordings on the machine). Every process started here is killed on exit, also after
an error, and the kernel kills them should this process die without cleaning up.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .options import RecordError

SETUP_HINT = "run `bash scripts/setup.sh` (it installs xvfb, xdotool and ffmpeg with apt)"


def die_with_parent() -> None:
    """`preexec_fn` for helpers started here: the kernel kills the child if this process dies
    without cleaning up (Linux `PR_SET_PDEATHSIG`; a no-op elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def real_time_helper() -> None:
    """`preexec_fn` for the X server and the grabber: `die_with_parent`, and back to normal
    priority when the recorder runs niced and may lower niceness (they are light, but a late
    grab is a frozen stretch of video; a no-op without the privilege)."""
    die_with_parent()
    with contextlib.suppress(OSError):
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if current > 0:
            os.setpriority(os.PRIO_PROCESS, 0, 0)


def missing_screen_tools() -> list[str]:
    """The programs `--capture screen` needs that are not on PATH (empty: all there)."""
    return [name for name in ("Xvfb", "ffmpeg", "xdotool") if shutil.which(name) is None]


def require_screen_tools() -> None:
    """Raise a `RecordError` naming the missing programs and how to install them."""
    missing = missing_screen_tools()
    if missing:
        raise RecordError(f"--capture screen needs {', '.join(missing)}: {SETUP_HINT}")


def stop_process(proc: subprocess.Popen[bytes] | None, grace: float = 3.0) -> None:
    """Terminate `proc` (and its process group when it leads one), kill it after `grace` s."""
    if proc is None or proc.poll() is not None:
        return
    group = _own_group(proc)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM) if group else proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL) if group else proc.kill()
        proc.wait(timeout=grace)


def _own_group(proc: subprocess.Popen[bytes]) -> bool:
    try:
        return os.getpgid(proc.pid) == proc.pid
    except ProcessLookupError:
        return False


@dataclass(frozen=True)
class XDisplay:
    """A running X server: its display name (":N") and screen size."""

    name: str
    width: int
    height: int

    def env(self, home: Path | None = None) -> dict[str, str]:
        """The environment for a client of this display (its own HOME when given)."""
        env = dict(os.environ, DISPLAY=self.name)
        env.pop("WAYLAND_DISPLAY", None)
        if home is not None:
            env.update(HOME=str(home), XDG_CONFIG_HOME=str(home), XDG_CACHE_HOME=str(home))
        return env


@contextlib.contextmanager
def xvfb(width: int, height: int, timeout: float = 10.0) -> Iterator[XDisplay]:
    """Start Xvfb with one 24-bit screen of `width` x `height`; stop it on exit."""
    require_screen_tools()
    read_fd, write_fd = os.pipe()
    proc: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryFile() as log:
        try:
            proc = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
                 "-nolisten", "tcp", "-noreset", "-dpi", "96"],
                pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True, preexec_fn=real_time_helper,
            )
            os.close(write_fd)
            write_fd = -1
            number = _read_display_number(read_fd, proc, timeout)
            if number is None:
                log.seek(0)
                tail = log.read().decode(errors="replace").strip().splitlines()[-3:]
                raise RecordError(f"Xvfb did not start within {timeout:g} s: {' | '.join(tail) or 'no output'}")
            yield XDisplay(name=f":{number}", width=width, height=height)
        finally:
            if write_fd >= 0:
                os.close(write_fd)
            os.close(read_fd)
            stop_process(proc)


def _read_display_number(fd: int, proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The display number Xvfb writes to `fd` once it accepts clients (None: it did not)."""
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            return None
        ready, _, _ = select.select([fd], [], [], min(left, 0.2))
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                return None
            data += chunk
    return int(data.strip())
