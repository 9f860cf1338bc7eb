"""Test helper: small HTML pages served and opened in the real sandboxed Chromium, one tab
each, for tests that ground or inspect them (the pages stay open while the caller holds them)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from iwr.tools.sandbox import BrowserHandle, Sandbox


@contextlib.contextmanager
def opened_pages(loop: asyncio.AbstractEventLoop, root: Path, sources: dict[str, str], width: int = 1280,
                 height: int = 720, init_scripts: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
    """Write each named HTML source to `root/<name>/index.html`, open it, and yield the
    Playwright pages by name; everything is closed on exit."""
    handle = BrowserHandle(memory_limit_mb=0)
    sandbox = Sandbox(handle)
    loop.run_until_complete(handle.start())
    opened: dict[str, Any] = {}
    managers = []
    try:
        for name, html in sources.items():
            (root / name).mkdir()
            (root / name / "index.html").write_text(html)
            cm = sandbox.open(sandbox.site(root / name), width, height, init_scripts=init_scripts)
            sp = loop.run_until_complete(cm.__aenter__())
            managers.append(cm)
            loop.run_until_complete(sp.goto())
            opened[name] = sp.page
        yield opened
    finally:
        for cm in managers:
            loop.run_until_complete(cm.__aexit__(None, None, None))
        loop.run_until_complete(sandbox.__aexit__(None, None, None))
        loop.run_until_complete(handle.close())
