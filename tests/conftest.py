"""Shared fixtures: the bundled tasks (cached per checkout) and a recorded mini task.

- `bundled_jsonl`: the bundled benchmark's data.jsonl, recorded once per tree into
  `<repo>/.cache-test/` (IWR_CACHE_DIR), so repeated test runs never re-record.
- `mini_jsonl` / `mini_task`: the fixture app `tests/fixtures/mini_app/` recorded once per
  session (with a short probe-free twin `mini-shop-twin`, recorded in the same browser session,
  that the determinism test compares against).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

if TYPE_CHECKING:
    from iwr.benchmark.judge.judge import Judge
    from iwr.tools.sandbox import BrowserHandle

REPO = Path(__file__).resolve().parent.parent
MINI_APP = REPO / "tests" / "fixtures" / "mini_app"
TEST_CACHE = REPO / ".cache-test"
MINI_ID = "mini-shop"
MINI_TWIN_ID = "mini-shop-twin"
TWIN_ACTIONS = 3  # the twin repeats the first actions only (enough to compare, cheaper)


NAMESPACES = ("iwr", "iwr.agents", "iwr.tools", "iwr.graphs", "iwr.benchmark", "iwr.prompts", "iwr.core")


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test another checkout: with two clones, `iwr` can load from one and
    `iwr.tools` from the other (the editable install's mapping wins over the working folder)."""
    import importlib

    foreign = []
    for name in NAMESPACES:
        origin = Path(importlib.import_module(name).__file__ or "").resolve()
        if REPO not in origin.parents:
            foreign.append(f"{name} -> {origin.parent}")
    if foreign:
        raise pytest.UsageError(
            f"the package under test is not this checkout ({REPO}): " + "; ".join(foreign)
            + f". Install this checkout first: pip install -e {REPO}"
        )


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop per test module, for modules that share a browser across tests."""
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


@pytest.fixture(scope="module")
def steps_judge(loop: asyncio.AbstractEventLoop) -> Iterator[Judge]:
    """A judge of the steps alone (no visual scores, no probes) on the tests' OCR cache, one per module."""
    from iwr.benchmark.judge.judge import Judge, JudgeConfig

    j = Judge(JudgeConfig(ocr_cache_dir=TEST_CACHE / "ocr", visual=False, probes=False, action_timeout=10.0))
    loop.run_until_complete(j.__aenter__())
    yield j
    loop.run_until_complete(j.__aexit__(None, None, None))


@pytest.fixture(scope="module")
def handle(loop: asyncio.AbstractEventLoop) -> Iterator[BrowserHandle]:
    """One sandbox browser per test module (no memory watchdog); a module may define its own."""
    from iwr.tools.sandbox import BrowserHandle

    h = BrowserHandle(memory_limit_mb=0)
    loop.run_until_complete(h.start())
    yield h
    loop.run_until_complete(h.close())


@pytest.fixture(scope="session")
def bundled_jsonl() -> Path:
    """data.jsonl of the bundled benchmark (cached in <repo>/.cache-test)."""
    from iwr.benchmark.bundled import bundled_apps, bundled_tasks_jsonl

    assert bundled_apps(), "no bundled apps found in benchmark/apps"
    old = os.environ.get("IWR_CACHE_DIR")
    os.environ["IWR_CACHE_DIR"] = str(TEST_CACHE)
    try:
        return bundled_tasks_jsonl()
    finally:
        if old is None:
            os.environ.pop("IWR_CACHE_DIR", None)
        else:
            os.environ["IWR_CACHE_DIR"] = old


def make_demo_variant(dest: Path, **changes: object) -> Path:
    """Copy the mini app to `dest` and rewrite its demo.yaml with `changes`; return the yaml."""
    shutil.copytree(MINI_APP, dest)
    demo = dest / "demo.yaml"
    data = yaml.safe_load(demo.read_text())
    data.update(changes)
    demo.write_text(yaml.safe_dump(data, sort_keys=False))
    return demo


@pytest.fixture(scope="session")
def mini_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini app (and its probe-free twin) recorded once into a session folder."""
    from iwr.benchmark.recorder import record_demos

    base = tmp_path_factory.mktemp("mini_rec")
    actions = yaml.safe_load((MINI_APP / "demo.yaml").read_text())["actions"][:TWIN_ACTIONS]
    twin = make_demo_variant(base / "twin_app", id=MINI_TWIN_ID, actions=actions, probes=[])
    out = base / "dataset"
    record_demos([MINI_APP / "demo.yaml", twin], out)
    return out / "data.jsonl"


@pytest.fixture(scope="session")
def mini_task(mini_jsonl: Path):
    """The recorded mini task (id `mini-shop`, 5 actions, 2 probes)."""
    from iwr.benchmark.dataset import load_task

    return load_task(mini_jsonl, MINI_ID)
