"""OCR jobs of one judgement, by step: submitted eagerly or on first use, released when unread."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ...tools.ocr import OcrResult


class OcrJobs:
    """OCR jobs by step: submitted at once (`eager`) or on first `get`."""

    def __init__(self, submit: Any) -> None:
        self._submit = submit
        self._paths: dict[int, Path | None] = {}
        self._jobs: dict[int, Future[OcrResult] | None] = {}

    def add(self, step: int, path: Path | None, *, eager: bool) -> None:
        self._paths[step] = path
        if eager:
            self._jobs[step] = self._submit(path)

    def get(self, step: int) -> Future[OcrResult] | None:
        if step not in self._jobs and step in self._paths:
            self._jobs[step] = self._submit(self._paths[step])
        return self._jobs.get(step)

    def has_all(self, steps: Iterable[int]) -> bool:
        """True when every one of `steps` has an image."""
        return all(k in self._paths for k in steps)

    def pop_except(self, keep: set[int]) -> list[Future[OcrResult]]:
        """Forget the submitted jobs of steps not in `keep` and return them (to release)."""
        gone = [k for k in self._jobs if k not in keep and self._jobs[k] is not None]
        return [job for k in gone if (job := self._jobs.pop(k)) is not None]
