"""Which code of an app a demo runs: V8's block coverage, mapped back to the app's files.

Mechanical mutants picked anywhere in an app's scripts are mostly equivalent for its demo
(the demo never runs the mutated line), so a sample of twenty says little about the judge.
`CodeCoverage` starts Chromium's precise block coverage before the page loads and, at the
end of a replay, maps each executed range to the app-relative file and character offsets
that `mutants.Mutant` uses: external scripts by their URL path, inline `<script>` blocks by
locating their source in the HTML file. `CoveredCode.covers(file, offset)` is true when the
innermost range around the offset ran at least once.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


def _code_points(text: str) -> Callable[[int], int]:
    """Maps a UTF-16 offset into `text` (V8 counts UTF-16 code units) to a character index."""
    if not any(ord(ch) > 0xFFFF for ch in text):
        return lambda offset: min(offset, len(text))
    starts = list(accumulate((2 if ord(ch) > 0xFFFF else 1 for ch in text), initial=0))  # UTF-16 start of each char
    return lambda offset: bisect_left(starts, offset)


@dataclass(frozen=True)
class Block:
    """A range of one file (character offsets, end exclusive) and whether it ran."""

    start: int
    end: int
    ran: bool


@dataclass
class CoveredCode:
    """Executed ranges per app-relative file (POSIX path)."""

    blocks: dict[str, list[Block]] = field(default_factory=dict)

    def covers(self, file: str, offset: int) -> bool:
        """True when the innermost recorded range around `offset` of `file` ran."""
        inner: Block | None = None
        for b in self.blocks.get(file, []):
            if b.start <= offset < b.end and (inner is None or b.end - b.start <= inner.end - inner.start):
                inner = b
        return inner is not None and inner.ran

    @property
    def files(self) -> list[str]:
        return sorted(self.blocks)


class CodeCoverage:
    """Block coverage of one page: `await start()` before loading, `await collect()` at the end."""

    def __init__(self, page: Any, app_dir: Path, base_url: str, files: Collection[str] | None = None) -> None:
        self.page = page
        self.app_dir = Path(app_dir)
        self.base_path = urlsplit(base_url).path
        self.files = None if files is None else set(files)  # app-relative files to map (None: every one)
        self._cdp: Any = None

    async def start(self) -> None:
        self._cdp = await self.page.context.new_cdp_session(self.page)
        await self._cdp.send("Debugger.enable")  # for the sources of inline scripts
        await self._cdp.send("Profiler.enable")
        await self._cdp.send("Profiler.startPreciseCoverage", {"callCount": False, "detailed": True})

    def _file(self, url: str) -> str | None:
        """The app-relative file a script URL names, when it is one of the app's files."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None
        rel = unquote(parts.path)
        if rel.startswith(self.base_path):
            rel = rel[len(self.base_path):]
        rel = rel.lstrip("/") or "index.html"
        path = self.app_dir / rel
        return rel if path.is_file() and path.resolve().is_relative_to(self.app_dir.resolve()) else None

    async def collect(self) -> CoveredCode:
        """The executed ranges of every script of the app's own files seen so far."""
        covered = CoveredCode()
        result = await self._cdp.send("Profiler.takePreciseCoverage")
        for script in result.get("result", []):
            rel = self._file(script.get("url", ""))
            if rel is None or (self.files is not None and rel not in self.files):
                continue
            text = (self.app_dir / rel).read_text(encoding="utf-8", errors="replace")
            base = 0
            if rel.endswith((".html", ".htm")):  # an inline block: find its source in the file
                try:
                    source = (await self._cdp.send("Debugger.getScriptSource", {"scriptId": script["scriptId"]}))["scriptSource"]
                except Exception:  # noqa: BLE001 - a script the debugger no longer knows: not mapped
                    continue
                base = text.find(source)
                if base < 0 or not source.strip():
                    continue
                text = source
            blocks = covered.blocks.setdefault(rel, [])
            char_at = _code_points(text)
            for fn in script.get("functions", []):
                for r in fn.get("ranges", []):
                    blocks.append(Block(base + char_at(r["startOffset"]), base + char_at(r["endOffset"]), r.get("count", 0) > 0))
        return covered
