"""Two saved results (JSON-shaped: dicts, lists, numbers, strings) compared field by field.

    diff = compare_saved(before, after, ignore=frozenset({"seconds"}), tolerance=1e-6)
    diff.same, diff.differences  # ['calc/pages/m1/judged/gt/step: 3 -> 4', ...]

The one comparison behind 'same figures before and after' checks (judge validity runs,
perception outputs): keys named in `ignore` are skipped at any depth (timings, paths),
floats may differ by `tolerance`, lists are compared item by item (give a list whose order
is not meaningful as a dict keyed by name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SavedDiff:
    """What differs, how many leaf values were compared, and the largest float difference."""

    differences: list[str] = field(default_factory=list)
    compared: int = 0
    max_float_delta: float = 0.0

    @property
    def same(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        verdict = "same" if self.same else f"{len(self.differences)} differences"
        return f"{verdict}: {self.compared} values compared, largest float difference {self.max_float_delta:.1e}"

    def print_report(self, lead: str) -> int:
        """Print every difference, then `lead` and the summary; the exit status (0: same, 1: not)."""
        for line in self.differences:
            print(line)
        print(f"{lead}; {self.summary()}")
        return 0 if self.same else 1


def compare_saved(before: Any, after: Any, ignore: frozenset[str] = frozenset(), tolerance: float = 0.0) -> SavedDiff:
    """Every value of `before` against `after` (see the module docstring)."""
    diff = SavedDiff()
    _compare(diff, "", before, after, ignore, tolerance)
    return diff


def _compare(diff: SavedDiff, where: str, a: Any, b: Any, ignore: frozenset[str], tolerance: float) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(a.keys() | b.keys(), key=str):
            if key in ignore:
                continue
            here = f"{where}/{key}" if where else str(key)
            if key not in b:
                diff.differences.append(f"{here}: only before")
            elif key not in a:
                diff.differences.append(f"{here}: only after")
            else:
                _compare(diff, here, a[key], b[key], ignore, tolerance)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            diff.differences.append(f"{where}: {len(a)} items -> {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _compare(diff, f"{where}[{i}]", x, y, ignore, tolerance)
        return
    diff.compared += 1
    if _is_number(a) and _is_number(b) and (isinstance(a, float) or isinstance(b, float)):
        delta = abs(float(a) - float(b))
        diff.max_float_delta = max(diff.max_float_delta, delta)
        if delta > tolerance:
            diff.differences.append(f"{where}: {a!r} -> {b!r}")
    elif a != b or _is_number(a) != _is_number(b):
        diff.differences.append(f"{where}: {a!r} -> {b!r}")


def _is_number(v: Any) -> bool:
    """An int or float (a bool is not a number here: True is no 1)."""
    return isinstance(v, int | float) and not isinstance(v, bool)
