"""Asset search in a child Python process: `python -m iwr.tools.perception.asset_worker`
reads length-prefixed pickled requests (assets, frames, bases, seed) on stdin and answers
each with the pickled `SearchResult` on stdout, in order. A request without frames
searches the keyframes of the previous one. A plain subprocess (not multiprocessing) so
callers' scripts are never re-imported."""

from __future__ import annotations

import contextlib
import pickle
import subprocess
import sys
import tempfile
import threading
from collections import deque
from typing import IO, TYPE_CHECKING, Any

import structlog

from .asset_search import Searcher, SearchResult, search_assets

if TYPE_CHECKING:
    import numpy as np

    from .asset_load import LoadedAsset
    from .asset_sources import Basis
    from .types import AssetMatch

log = structlog.get_logger()
_HEADER = 8  # bytes of the big-endian payload length


class AssetWorker:
    """A child process for `search_assets`. Start it early (its imports overlap the caller's
    work); `submit` searches, `result()` returns the answers in the order submitted. If
    the child fails, the searches run here instead (slower, same result)."""

    def __init__(self) -> None:
        # open for the child's life; read only when the child fails (a pipe nobody reads could fill up)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                                                           stdout=subprocess.PIPE, stderr=self._stderr)
        except OSError as e:  # no interpreter to start: everything runs here
            log.warning("asset_worker.not_started", error=repr(e))
            self._proc = None
        self._pending: deque[tuple[Any, ...]] = deque()
        self._context: tuple[list[np.ndarray], list[Basis], dict[int, list[AssetMatch]] | None] | None = None
        self._writer: threading.Thread | None = None

    def submit(self, assets: list[LoadedAsset], frames: list[np.ndarray] | None = None, bases: list[Basis] | None = None,
               seed: dict[int, list[AssetMatch]] | None = None) -> None:
        """Queue a search of `assets`; without frames, in the keyframes of the previous
        request. The request is written by a thread (the child may still be busy)."""
        if frames is not None:
            self._context = (frames, bases or [], seed)
        elif self._context is None:
            raise ValueError("the first search needs frames")
        self._pending.append((assets, *self._context))
        if self._proc is None:
            return
        payload = pickle.dumps((assets, frames, bases, seed), protocol=pickle.HIGHEST_PROTOCOL)
        previous = self._writer

        def write() -> None:
            if previous is not None:
                previous.join()
            stdin = self._proc.stdin if self._proc is not None else None
            with contextlib.suppress(OSError, ValueError):  # the child died: result() searches here
                if stdin is not None:
                    _send(stdin, payload)

        self._writer = threading.Thread(target=write, daemon=True)
        self._writer.start()

    def result(self) -> SearchResult:
        """The answer to the oldest search not yet returned."""
        assert self._pending, "submit() first"
        args = self._pending.popleft()
        if self._proc is not None:
            try:
                stdout = self._proc.stdout
                assert stdout is not None  # started with stdout=PIPE
                return pickle.loads(_receive(stdout))
            except Exception as e:  # noqa: BLE001 - a dead child or a broken answer: search here from now on
                self.close()
                self._stderr.seek(0)
                log.warning("asset_worker.failed", error=repr(e), returncode=self._proc.returncode,
                            stderr=self._stderr.read().decode(errors="replace")[-500:])
                self._proc = None
        return search_assets(*args)

    def close(self) -> None:
        """Stop the child if it is still running."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._proc is not None:
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    stream.close()


def _send(stream: IO[bytes], payload: bytes) -> None:
    stream.write(len(payload).to_bytes(_HEADER, "big") + payload)
    stream.flush()


def _receive(stream: IO[bytes]) -> bytes:
    header = stream.read(_HEADER)
    if len(header) < _HEADER:
        raise EOFError("the asset worker closed its output")
    size = int.from_bytes(header, "big")
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError("the asset worker's answer was cut short")
    return payload


def main() -> None:
    searcher: Searcher | None = None
    while True:
        try:
            request = _receive(sys.stdin.buffer)
        except EOFError:
            return
        assets, frames, bases, seed = pickle.loads(request)
        if frames is not None:
            searcher = Searcher(frames, bases, seed)
        assert searcher is not None, "the first request carries the frames"
        _send(sys.stdout.buffer, pickle.dumps(searcher.run(assets), protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    main()
