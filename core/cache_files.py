"""Where the caches live, and a lock that keeps processes from filling one entry twice."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def cache_dir() -> Path:
    """`$IWR_CACHE_DIR`, else `~/.cache/iwr`: the root of every cache of the project."""
    return Path(os.environ.get("IWR_CACHE_DIR") or Path.home() / ".cache" / "iwr").expanduser()


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created), across processes, while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


_HELD: dict[Path, int] = {}  # shared locks this process holds until it exits


def hold_while_running(path: Path) -> None:
    """Mark a cache entry as in use by this process (a shared lock on `path`, released when the
    process ends), so `remove_unless_in_use` in another process leaves it alone."""
    path = path.resolve()
    if path in _HELD:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_SH)
    _HELD[path] = fd


def remove_unless_in_use(entry: Path, lock: Path, remove: Callable[[Path], None]) -> bool:
    """Call `remove(entry)` unless a process holds `lock` (`hold_while_running`, this process
    included); True when it was removed. The exclusive lock is held while removing."""
    if lock.resolve() in _HELD:
        return False
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        remove(entry)
        lock.unlink(missing_ok=True)
        return True
    finally:
        os.close(fd)
