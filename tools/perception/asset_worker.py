"""Asset search in a child Python process: `python -m iwr.tools.perception.asset_worker`
reads a pickled (assets, frames, bases) on stdin and writes the pickled sightings per
keyframe on stdout. A plain subprocess (not multiprocessing) so callers' scripts are never
re-imported."""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    import numpy as np

    from .asset_sources import Basis
    from .assets import LoadedAsset
    from .types import AssetMatch

log = structlog.get_logger()


class AssetWorker:
    """A child process for `search_assets`. Start it early (its imports overlap the caller's
    work), hand it one search with `submit`, then `result()` waits for the answer. If the
    child fails, the search runs here instead (slower, same result)."""

    def __init__(self) -> None:
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as e:  # no interpreter to start: everything runs here
            log.warning("asset_worker.not_started", error=repr(e))
            self._proc = None
        self._args: tuple[list[LoadedAsset], list[np.ndarray], list[Basis]] | None = None
        self._out: bytes = b""
        self._err: bytes = b""
        self._thread: threading.Thread | None = None

    def submit(self, assets: list[LoadedAsset], frames: list[np.ndarray], bases: list[Basis]) -> None:
        self._args = (assets, frames, bases)
        payload = pickle.dumps(self._args, protocol=pickle.HIGHEST_PROTOCOL)
        self._thread = threading.Thread(target=self._talk, args=(payload,), daemon=True)
        self._thread.start()

    def _talk(self, payload: bytes) -> None:
        if self._proc is None:
            return
        try:
            self._out, self._err = self._proc.communicate(payload)
        except (OSError, ValueError) as e:  # the child died before reading
            self._err = repr(e).encode()

    def result(self) -> dict[int, list[AssetMatch]]:
        assert self._args is not None and self._thread is not None, "submit() first"
        self._thread.join()
        if self._proc is not None and self._proc.returncode == 0:
            try:
                return pickle.loads(self._out)
            except Exception as e:  # noqa: BLE001 - a broken answer: search here
                log.warning("asset_worker.bad_answer", error=repr(e))
        elif self._proc is not None:
            log.warning("asset_worker.failed", returncode=self._proc.returncode, stderr=self._err.decode(errors="replace")[-500:])
        from .assets import search_assets

        return search_assets(*self._args)

    def close(self) -> None:
        """Stop the child if it is still running (nothing submitted, or an error upstream)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def main() -> None:
    from .assets import search_assets  # imported before the input arrives

    assets, frames, bases = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(pickle.dumps(search_assets(assets, frames, bases), protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
