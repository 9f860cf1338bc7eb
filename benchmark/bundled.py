"""The bundled benchmark: every `benchmark/apps/*/demo.yaml`, recorded once and cached.

The cache lives in `$IWR_CACHE_DIR` (default `~/.cache/iwr`) under
`bundled/<fingerprint>/data.jsonl`; the fingerprint hashes the apps' files and the
recorder's sources, so any change re-records and an unchanged tree never does. Each app
is also cached on its own (`bundled/apps/<name>-<fp>/`), so editing one app re-records
only that app. A lock file keeps two processes from recording at the same time.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import structlog
import yaml

from ..core.cache_files import cache_dir, file_lock, hold_while_running, remove_unless_in_use
from ..core.errors import IwrError
from ..core.sources import module_sources

log = structlog.get_logger()

APPS_DIR = Path(__file__).resolve().parent / "apps"
_BENCHMARK_DIR = Path(__file__).resolve().parent

# The code whose behaviour shapes a recording, so that a change to any of it re-records: the
# recorder and every package module it imports (found by `core.sources`, not kept by hand),
# and the page script whose text it stores per checkpoint.
RECORDER_MODULE = "iwr.benchmark.recorder"
RECORDER_DATA = (_BENCHMARK_DIR / "judge" / "page_state.js",)
_SKIP_PARTS = {"__pycache__", ".pytest_cache"}
_COMPLETE = ".complete"
FAILED_FILE = "failed.txt"  # apps whose demo could not be recorded, one "name: error" a line


@dataclass(frozen=True)
class BundledApp:
    """One bundled reference app and its demo."""

    name: str
    dir: Path
    demo_path: Path
    task_id: str


def bundled_apps(apps_dir: Path = APPS_DIR) -> list[BundledApp]:
    """Every app folder with a demo.yaml, sorted by name (task id read from the yaml)."""
    apps: list[BundledApp] = []
    for demo in sorted(apps_dir.glob("*/demo.yaml")):
        try:
            data = yaml.safe_load(demo.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            data = None
        task_id = str(data.get("id")) if isinstance(data, dict) and data.get("id") is not None else demo.parent.name
        apps.append(BundledApp(name=demo.parent.name, dir=demo.parent, demo_path=demo, task_id=task_id))
    return apps


def _app_files(app_dir: Path) -> Iterator[Path]:
    for path in sorted(app_dir.rglob("*")):
        if path.is_file() and not (_SKIP_PARTS & set(path.relative_to(app_dir).parts)) and path.suffix != ".pyc":
            yield path


def _sources_digest(extra: tuple[Path, ...] = ()) -> bytes:
    h = hashlib.sha256()
    for path in (*module_sources(RECORDER_MODULE), *RECORDER_DATA, *extra):
        h.update(f"src:{path.parent.name}/{path.name}\0".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"missing")
    return h.digest()


def app_fingerprint(app: BundledApp, sources: bytes | None = None) -> str:
    """Hash of one app's files (paths + bytes) and the recorder's sources: 16 hex digits."""
    h = hashlib.sha256(sources if sources is not None else _sources_digest())
    for path in _app_files(app.dir):
        h.update(f"app:{path.relative_to(app.dir).as_posix()}\0".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def fingerprint(apps: list[BundledApp] | None = None, sources: bytes | None = None) -> str:
    """Hash of every app's fingerprint (and name): names the combined cache folder."""
    apps = bundled_apps() if apps is None else apps
    sources = _sources_digest() if sources is None else sources
    h = hashlib.sha256()
    for app in apps:
        h.update(f"{app.name}={app_fingerprint(app, sources)}\n".encode())
    return h.hexdigest()[:16]


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _recorded_app(app: BundledApp, root: Path, sources: bytes, progress: Callable[[str], None]) -> Path:
    """The app's own cached dataset folder (`root/<name>-<fp>/`), recording it if needed.

    Raises IwrError when the demo cannot be recorded.
    """
    from . import recorder

    folder = root / f"{app.name}-{app_fingerprint(app, sources)}"
    if (folder / _COMPLETE).is_file():
        return folder
    if folder.exists():  # an interrupted earlier attempt
        shutil.rmtree(folder)
    recorder.record_demos([app.demo_path], folder, progress=progress)
    (folder / _COMPLETE).write_text("ok\n")
    return folder


def recording_workers() -> int:
    """How many apps to record at once: `$IWR_RECORD_WORKERS`, else one per core up to 3."""
    value = os.environ.get("IWR_RECORD_WORKERS", "")
    if value.strip():
        try:
            return max(1, int(value))
        except ValueError:
            raise IwrError(f"IWR_RECORD_WORKERS must be a whole number, not {value!r}") from None
    return max(1, min(3, os.cpu_count() or 1))


def _record_apps(
    apps: list[BundledApp], root: Path, sources: bytes, progress: Callable[[str], None]
) -> list[tuple[BundledApp, Path | IwrError]]:
    """Each app's cached folder (recorded if needed, several apps at once), or its error, in app order.

    A recording spends much of its time waiting on the browser, so a few run side by side.
    """

    def one(app: BundledApp) -> Path | IwrError:
        try:
            return _recorded_app(app, root, sources, progress)
        except IwrError as e:
            return e

    with concurrent.futures.ThreadPoolExecutor(max_workers=recording_workers(), thread_name_prefix="iwr-bundle") as pool:
        return list(zip(apps, pool.map(one, apps), strict=True))


def bundled_tasks_jsonl(progress: Callable[[str], None] | None = None, apps_dir: Path = APPS_DIR,
                        cache_name: str = "bundled", extra_sources: tuple[Path, ...] = ()) -> Path:
    """The bundled tasks' data.jsonl, recording first what this tree never recorded.

    Each app is cached on its own (a change re-records only that app); the combined
    folder `<cache_name>/<fingerprint>/` links their files. Apps whose demo fails are left
    out (logged, and listed in `failed.txt` beside the jsonl); it is an error only when
    none records. `extra_sources` are more files whose change re-records (the corpus
    fetcher and table, for the third-party apps).
    """
    from .dataset import load_tasks, write_tasks

    apps = bundled_apps(apps_dir)
    if not apps:
        raise IwrError(f"no bundled apps found in {apps_dir}")
    root = cache_dir() / cache_name
    folder = root / fingerprint(apps, _sources_digest(extra_sources))
    jsonl = folder / "data.jsonl"
    hold_while_running(_use_lock(folder))  # another checkout's prune must not delete it under this run
    if (folder / _COMPLETE).is_file():
        return jsonl
    with file_lock(root / ".lock"):
        if (folder / _COMPLETE).is_file():  # another process finished meanwhile
            return jsonl
        if folder.exists():
            shutil.rmtree(folder)
        report = progress or (lambda line: log.info(line))
        sources = _sources_digest(extra_sources)
        tasks, failed = [], []
        staging = Path(tempfile.mkdtemp(prefix=".combine-", dir=root))
        try:
            for app, recorded in _record_apps(apps, root / "apps", sources, report):
                if isinstance(recorded, IwrError):  # a broken app must not hide the others
                    log.error("bundled app not recorded", app=app.name, error=str(recorded))
                    failed.append(f"{app.name}: {recorded}")
                    continue
                for task in load_tasks(recorded / "data.jsonl"):
                    shutil.copytree(task.paths.dir, staging / "data" / task.key, copy_function=_link_or_copy)
                    tasks.append(task)
            if not tasks:
                raise IwrError(f"no bundled app could be recorded; first error: {failed[0]}")
            write_tasks(staging / "data.jsonl", tasks)
            (staging / FAILED_FILE).write_text("".join(line + "\n" for line in failed))
            (staging / _COMPLETE).write_text("ok\n")
            staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _prune(root, apps, sources, keep=folder)
    return jsonl


def _prune(root: Path, apps: list[BundledApp], sources: bytes, keep: Path, keep_combined: int = 3) -> None:
    """Drop other versions of these apps' caches and all but the newest combined folders."""
    current = {f"{app.name}-{app_fingerprint(app, sources)}" for app in apps}
    names = {app.name for app in apps}
    for entry in (root / "apps").glob("*"):
        if entry.is_dir() and entry.name not in current and entry.name.rsplit("-", 1)[0] in names:
            shutil.rmtree(entry, ignore_errors=True)
    combined = sorted((d for d in root.iterdir() if d.is_dir() and (d / _COMPLETE).is_file() and d != keep),
                      key=lambda d: d.stat().st_mtime)
    for old in combined[: max(0, len(combined) - (keep_combined - 1))]:  # not those a running process uses
        remove_unless_in_use(old, _use_lock(old), lambda d: shutil.rmtree(d, ignore_errors=True))


def _use_lock(folder: Path) -> Path:
    """The lock file beside a combined folder that its users hold shared (`hold_while_running`)."""
    return folder.parent / f".{folder.name}.in-use"
