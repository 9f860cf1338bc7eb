"""Where a run reports its progress: the `Progress` sink the CLI draws with rich, and a quiet one."""

from __future__ import annotations

from typing import Protocol

from .result_schema import TaskOutcome


class Progress(Protocol):
    """Live progress sink (the CLI shows it with rich); every method does nothing unless overridden."""

    def planned(self, total: int) -> None:
        """The run will have `total` cells."""
        return None

    def started(self, key: str, total: int) -> None:
        """Cell `key` started; it has up to `total` iterations."""
        return None

    def update(self, key: str, note: str) -> None:
        """What cell `key` is doing now (a graph node, a judged iteration)."""
        return None

    def finished(self, key: str, outcome: TaskOutcome) -> None:
        """Cell `key` ended with `outcome`."""
        return None

    def stopped(self, reason: str) -> None:
        """The run stopped starting cells (budget or fuse)."""
        return None

    def notice(self, text: str) -> None:
        """A line for the user (a preflight warning)."""
        return None


class QuietProgress(Progress):
    """A progress sink that shows nothing (library use, Ray workers, tests)."""
