"""The dead proxy of the sandboxed browser, and this process's descendants read from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading


class Blackhole:
    """A TCP listener on 127.0.0.1 that records the first line of each connection and drops it.

    The sandboxed browser uses it as its proxy: any request that escaped the routes ends here
    (recorded in `escaped`) instead of on the network.
    """

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port: int = self._sock.getsockname()[1]
        self.escaped: list[str] = []
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="iwr-blackhole", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            try:
                conn.settimeout(1.0)
                first = conn.recv(2048).split(b"\r\n", 1)[0].decode("latin-1", "replace")
                if first:
                    self.escaped.append(first)
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()


def children_map() -> dict[int, list[int]]:
    """Child pids of every process, by parent pid."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode("latin-1")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def descendants(root: int) -> list[int]:
    """Every process below `root`."""
    kids = children_map()
    out: list[int] = []
    stack = [root]
    while stack:
        for child in kids.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def cmdline(pid: int) -> str:
    """A process's command line ('' when it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("latin-1")
    except OSError:
        return ""


def rss_mb(pid: int) -> float:
    """A process's resident memory in MiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def kill_pid(pid: int) -> None:
    """SIGKILL a process, if it still exists and is ours to kill."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
