"""A static file server on 127.0.0.1 for one folder (plus optional mounted folders).

Used by the recorder to serve an app and by the judge's sandbox to serve a candidate page
with the task's assets. Only files under the served folders can be read: paths are resolved
and checked, so `..` and symlinks out of the folder give 404.
"""

from __future__ import annotations

import mimetypes
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("image/webp", ".webp")
mimetypes.add_type("image/svg+xml", ".svg")


@dataclass
class ServedSite:
    """A running server: its base URL and a log of the paths it was asked for."""

    base_url: str
    requests: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)

    def url(self, path: str = "") -> str:
        return self.base_url + path.lstrip("/")


def _resolve(root: Path, mounts: dict[str, Path], url_path: str) -> Path | None:
    """Map a URL path to a file under root or a mount; None when outside or missing."""
    rel = urllib.parse.unquote(url_path.split("?", 1)[0].split("#", 1)[0]).lstrip("/")
    base = root
    for prefix, folder in mounts.items():
        if rel == prefix or rel.startswith(prefix.rstrip("/") + "/"):
            base, rel = folder, rel[len(prefix.rstrip("/")) :].lstrip("/")
            break
    base = base.resolve()
    target = (base / rel).resolve()
    if target != base and base not in target.parents:
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


@contextmanager
def serve_directory(root: Path, mounts: dict[str, Path] | None = None) -> Iterator[ServedSite]:
    """Serve `root` (and `mounts`, URL prefix -> folder) on 127.0.0.1 at a free port."""
    root = Path(root)
    mounted = {k.strip("/"): Path(v) for k, v in (mounts or {}).items()}
    site = ServedSite(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append(self.path)
            path = _resolve(root, mounted, self.path)
            if path is None:
                site.not_found.append(self.path)
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            body = path.read_bytes()
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", mimetypes.guess_type(path.name)[0] or "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, name="iwr-static-server", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
