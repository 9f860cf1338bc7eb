"""Cache entries a running process uses are not pruned by another process (two checkouts, or
a long run while the code changes and a new bundle is recorded)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from iwr.benchmark import bundled
from iwr.core.cache_files import remove_unless_in_use

HOLDER = """
import sys
from pathlib import Path
from iwr.benchmark.bundled import _use_lock
from iwr.core.cache_files import hold_while_running
hold_while_running(_use_lock(Path(sys.argv[1])))
print("held", flush=True)
sys.stdin.readline()
"""


def _holder(folder: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _combined(root: Path, name: str, age: float) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / bundled._COMPLETE).write_text("ok\n")
    stamp = time.time() - age
    os.utime(folder, (stamp, stamp))
    return folder


def test_prune_keeps_the_folders_other_processes_use(tmp_path: Path) -> None:
    old, older, oldest = (_combined(tmp_path, n, a) for n, a in (("b", 100), ("c", 200), ("d", 300)))
    newest = _combined(tmp_path, "a", 0)
    proc = _holder(oldest)
    try:
        bundled._prune(tmp_path, [], b"", keep=newest, keep_combined=1)
        assert newest.is_dir() and oldest.is_dir()  # kept: the newest, and the one a run uses
        assert not old.exists() and not older.exists()
    finally:
        proc.communicate("\n", timeout=30)
    bundled._prune(tmp_path, [], b"", keep=newest, keep_combined=1)  # the run ended: now it goes
    assert not oldest.exists() and newest.is_dir()


def test_remove_unless_in_use_spares_this_process_too(tmp_path: Path) -> None:
    folder = tmp_path / "entry"
    folder.mkdir()
    lock = tmp_path / ".entry.in-use"
    from iwr.core.cache_files import hold_while_running

    removed: list[Path] = []
    hold_while_running(lock)
    assert not remove_unless_in_use(folder, lock, removed.append) and removed == []
    other = tmp_path / "free"
    assert remove_unless_in_use(other, tmp_path / ".free.in-use", removed.append) and removed == [other]
