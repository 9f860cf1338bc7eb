"""Candidate pages served on 127.0.0.1 from a staged copy (the assets placeholder rewritten)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..local_server import serve_directory

ASSETS_PLACEHOLDER = "__PLACEHOLDER_ASSETS_BASE_DIR__"
_REWRITE_SUFFIXES = {".html", ".htm", ".css", ".js", ".mjs", ".json", ".svg"}


@dataclass
class SandboxSite:
    """A page served on 127.0.0.1: `url` is its entry page, `origin` the only allowed origin."""

    page_dir: Path
    base_url: str
    entry: str = "index.html"
    requests: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.base_url + self.entry

    @property
    def origin(self) -> str:
        return self.base_url.rstrip("/")


def _stage_page(page_dir: Path, dest: Path) -> None:
    """Copy the page folder (symlinks kept as links, so the server refuses those leaving it)
    and rewrite the assets placeholder in text files."""
    shutil.copytree(page_dir, dest, symlinks=True, ignore_dangling_symlinks=True, dirs_exist_ok=True)
    for path in dest.rglob("*"):
        if path.is_symlink() or not path.is_file() or path.suffix.lower() not in _REWRITE_SUFFIXES:
            continue
        raw = path.read_bytes()
        if ASSETS_PLACEHOLDER.encode() in raw:
            path.write_bytes(raw.replace(ASSETS_PLACEHOLDER.encode(), b"assets"))


@contextlib.contextmanager
def serve_site(page_dir: Path, assets_dir: Path | None = None, entry: str = "index.html") -> Iterator[SandboxSite]:
    """Serve a staged copy of `page_dir` (+ `assets_dir` at /assets) on 127.0.0.1."""
    page_dir = Path(page_dir)
    if not (page_dir / entry).is_file():
        raise FileNotFoundError(f"{page_dir / entry} does not exist")
    with tempfile.TemporaryDirectory(prefix="iwr-site-") as tmp:
        staged = Path(tmp) / "page"
        _stage_page(page_dir, staged)
        mounts = {"assets": Path(assets_dir)} if assets_dir is not None and Path(assets_dir).is_dir() else {}
        with serve_directory(staged, mounts) as served:
            yield SandboxSite(
                page_dir=page_dir, base_url=served.base_url, entry=entry,
                requests=served.requests, not_found=served.not_found,
            )
