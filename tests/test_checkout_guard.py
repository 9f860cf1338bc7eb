"""The test session refuses to run against another checkout's package (the two-clones trap)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_a_session_in_another_checkout_stops_and_names_the_folders(tmp_path: Path) -> None:
    clone = tmp_path / "other-clone"
    (clone / "tests").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "conftest.py", clone / "tests" / "conftest.py")
    (clone / "tests" / "test_nothing.py").write_text("def test_nothing():\n    assert True\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=clone, capture_output=True, text=True, timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "not this checkout" in out and str(REPO / "tools") in out
    assert "1 passed" not in out


def test_this_checkout_is_the_package_under_test() -> None:
    import iwr.tools

    assert Path(iwr.tools.__file__).resolve().parent == REPO / "tools"
