"""Where the caches live, and a lock that keeps processes from filling one entry twice."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
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
