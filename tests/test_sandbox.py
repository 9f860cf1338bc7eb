"""The sandbox: serving, request blocking, dialogs, popups, hang recovery, and a corpus of
hostile pages each judged in bounded time, with a normal page judged right after."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from iwr.benchmark.judge.grounding import DomGrounder
from iwr.benchmark.judge.replay import ReplayTrace, replay_page
from iwr.benchmark.judge.types import Trajectory
from iwr.benchmark.task import Action, Resolution
from iwr.tools.sandbox import BrowserHandle, BrowserPool, Sandbox, SandboxPage, SandboxSite, serve_site

FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE = FIXTURES / "hostile"
PAGES = FIXTURES / "pages"
RES = Resolution(width=800, height=600)


def click(desc: str) -> Action:
    return Action(type="Click", parameters={"description": desc})


@pytest.fixture(scope="module")
def handle(loop: asyncio.AbstractEventLoop) -> Iterator[BrowserHandle]:
    h = BrowserHandle(memory_limit_mb=700, watchdog_interval=0.1)
    loop.run_until_complete(h.start())
    yield h
    loop.run_until_complete(h.close())


def test_serve_site_rewrites_placeholder_and_confines_paths(tmp_path: Path) -> None:
    page = tmp_path / "page"
    page.mkdir()
    (page / "index.html").write_text('<img src="__PLACEHOLDER_ASSETS_BASE_DIR__/a.png">')
    (page / "leak").symlink_to("/etc/passwd")
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "a.png").write_bytes(b"PNGDATA")
    (tmp_path / "secret.txt").write_text("top secret")
    with serve_site(page, assets) as site:
        assert site.base_url.startswith("http://127.0.0.1:")
        html = urllib.request.urlopen(site.url).read().decode()
        assert 'src="assets/a.png"' in html
        assert urllib.request.urlopen(site.base_url + "assets/a.png").read() == b"PNGDATA"
        for bad in ("../secret.txt", "%2e%2e/secret.txt", "assets/../../secret.txt", "leak"):
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(site.base_url + bad)
    assert "__PLACEHOLDER" in (page / "index.html").read_text()  # the original is untouched


def test_missing_entry_page_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), serve_site(tmp_path):
        pass


def _judge(loop: asyncio.AbstractEventLoop, handle: BrowserHandle, page_dir: Path, actions: list[Action],
           out: Path) -> ReplayTrace:
    async def run() -> ReplayTrace:
        async with Sandbox(handle) as sb:
            return await replay_page(handle, sb.site(page_dir), Trajectory(actions=actions), RES, out, DomGrounder())

    return loop.run_until_complete(run())


def _texts(trace: ReplayTrace) -> str:
    return trace.state0_text + "\n" + "\n".join(s.text_after for s in trace.steps)


def _blocked(trace: ReplayTrace, *fragments: str) -> bool:
    return all(any(f in u for u in trace.blocked_urls) for f in fragments)


Check = Callable[[ReplayTrace], bool]
CASES: dict[str, Check] = {
    "loop_at_load": lambda t: t.crashed and t.error == "page hung" and not t.steps,
    "loop_on_click": lambda t: t.crashed and t.steps[0].error == "page hung" and not t.steps[0].performed,
    "alert_storm": lambda t: t.dialogs >= 900 and "survived" in _texts(t) and t.steps[0].performed,
    "real_dialogs": lambda t: "survived" in _texts(t) and not t.crashed,
    "beforeunload": lambda t: t.state0_screenshot is not None and not t.crashed and t.steps[0].performed,
    "window_open": lambda t: t.popups >= 1 and t.steps[0].performed,
    "redirect_location": lambda t: "still here" in _texts(t) and _blocked(t, "example.invalid/landing", "203.0.113.1/away"),
    "redirect_meta": lambda t: "Meta refresh" in t.state0_text and _blocked(t, "203.0.113.1/meta"),
    "exfil_fetch": lambda t: _blocked(t, "example.invalid/fetch", "203.0.113.1/ip", "example.invalid/xhr",
                                      "example.invalid/click"),
    "exfil_websocket": lambda t: _blocked(t, "ws://203.0.113.1:8080/live",
                                          "wss://example.invalid/feed") and "OPEN" not in _texts(t),
    "exfil_beacon_img": lambda t: _blocked(t, "style.css", "lib.js", "pixel.gif", "img?x=1"),
    "file_access": lambda t: "root:" not in _texts(t) and "nothing read" in t.state0_text,
    "huge_dom": lambda t: t.steps[0].performed and "clicked" in _texts(t),
    "memory_hog": lambda t: t.crashed,
    "service_worker": lambda t: "no service worker" in _texts(t),
    "download": lambda t: not t.crashed and t.state0_screenshot is not None,
    "mutation_storm": lambda t: t.steps[0].performed and "clicked" in _texts(t),
    "storage_poison": lambda t: "seen before: nothing" in t.state0_text,
    "worker_exfil": lambda t: not t.crashed,
    "prototype_tamper": lambda t: t.steps[0].performed and "clicked" in _texts(t),
}


async def _worker(names: list[str], out: Path) -> list[str]:
    """Judge each hostile page, then a normal page, in one browser (one judge worker)."""
    failures: list[str] = []
    async with BrowserHandle(memory_limit_mb=700, watchdog_interval=0.1) as handle, Sandbox(handle) as sb:
        shop = sb.site(PAGES / "shop")
        for name in names:
            t = time.perf_counter()
            trace = await replay_page(
                handle, sb.site(HOSTILE / name), Trajectory(actions=[click("Click the 'Start' button")]), RES,
                out / name, DomGrounder(), action_timeout=5.0, load_timeout=5.0,  # a click on the huge DOM took
            )  # over 2 s once, with 3 browsers and another test worker on 2 cores
            took = time.perf_counter() - t
            try:
                ok = CASES[name](trace)
            except (IndexError, AttributeError):
                ok = False
            if not ok:
                failures.append(f"{name} ({took:.1f}s): {trace.model_dump(exclude={'state0_text'})}"[:600])
            if took > 30:  # bounded: load 5 s + action 5 s + hang probe + context kill, on a loaded machine
                failures.append(f"{name}: took {took:.1f}s")
            # the next page in the same worker is judged correctly
            nxt = await replay_page(
                handle, shop, Trajectory(actions=[click("Click the 'About' link")]), RES, out / f"{name}-next", DomGrounder(),
            )
            if not (nxt.steps and nxt.steps[0].performed and "Page: about" in nxt.steps[0].text_after):
                failures.append(f"after {name}: normal page broken: {nxt.error} {[s.error for s in nxt.steps]}")
        # nothing reached the network: aborted by the routes, or stopped at the dead proxy
        leaked = [r for r in handle.escaped_requests if any(h in r for h in ("example.invalid/fetch", "203.0.113.1/ip"))]
        failures += [f"escaped past the routes: {r}" for r in leaked]
    return failures


def test_hostile_corpus_is_contained(tmp_path: Path) -> None:
    """Every hostile page judged in bounded time by 3 concurrent workers (browsers)."""
    assert len(CASES) >= 15 and {p.name for p in HOSTILE.iterdir()} == set(CASES)
    names = list(CASES)
    workers = 3
    started = time.perf_counter()

    async def run() -> list[str]:
        results = await asyncio.gather(*(_worker(names[i::workers], tmp_path) for i in range(workers)))
        return [f for r in results for f in r]

    failures = asyncio.run(run())
    assert not failures, "\n".join(failures)
    assert time.perf_counter() - started < 150  # about 30 s on an idle 2-core machine


def test_storage_does_not_carry_over_between_pages(loop: asyncio.AbstractEventLoop, handle: BrowserHandle,
                                                   tmp_path: Path) -> None:
    async def run() -> list[str]:
        texts = []
        async with Sandbox(handle) as sb:
            site = sb.site(HOSTILE / "storage_poison")  # same origin both times
            for i in range(2):
                trace = await replay_page(handle, site, Trajectory(actions=[]), RES, tmp_path / str(i), DomGrounder())
                texts.append(trace.state0_text)
        return texts

    first, second = loop.run_until_complete(run())
    assert "seen before: nothing" in first and "seen before: nothing" in second


def test_restart_relaunches_a_working_browser(loop: asyncio.AbstractEventLoop, handle: BrowserHandle, tmp_path: Path) -> None:
    before = handle.restarts
    loop.run_until_complete(handle.restart())
    assert handle.restarts == before + 1
    trace = _judge(loop, handle, PAGES / "shop", [click("Click the 'About' link")], tmp_path)
    assert trace.steps[0].performed and "Page: about" in trace.steps[0].text_after


def test_browser_pool_hands_out_each_handle_once(loop: asyncio.AbstractEventLoop) -> None:
    async def run() -> tuple[int, int]:
        async with BrowserPool(2, memory_limit_mb=0) as pool, pool.acquire() as a, pool.acquire() as b:
            assert a is not b
            return len(pool.handles), pool._free.qsize()

    assert loop.run_until_complete(run()) == (2, 0)


def test_page_answers_are_kept_until_done_and_settled_on_close(loop: asyncio.AbstractEventLoop, tmp_path: Path) -> None:
    """Answers to the page (dismiss, close, cancel) are tasks the page holds: a finished one
    is dropped, one still running when the page closes is awaited briefly, then cancelled."""
    (tmp_path / "index.html").write_text("<p>x</p>")
    seen: list[str] = []

    async def answer(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        seen.append(name)

    async def fails() -> None:
        raise RuntimeError("the target closed")

    async def run() -> tuple[int, int]:
        sp = SandboxPage(site=SandboxSite(page_dir=tmp_path, base_url="http://127.0.0.1:1/"), context=None, page=None,
                         load_timeout=1.0)
        sp.reply(answer("quick", 0.0))
        sp.reply(answer("stuck", 60.0))
        sp.reply(fails())  # errors are ignored
        await asyncio.sleep(0.05)
        running = len(sp.replies)
        await sp.settle_replies(timeout=0.05)
        return running, len(sp.replies)

    assert loop.run_until_complete(run()) == (1, 0)
    assert seen == ["quick"]


BUSY_PAGE = """<!DOCTYPE html><html><body><button id="go">Start</button><p id="n">ticks: 0</p><script>
let n = 0;
document.getElementById('go').addEventListener('click', () => {
  const id = setInterval(() => {
    let x = 0; for (let i = 0; i < 2e7; i++) x = (x + i * 7) % 1000003;  // real work (page time is paused meanwhile)
    document.getElementById('n').textContent = 'ticks: ' + (++n) + (x < 0 ? '!' : '');
    if (n >= 100) { clearInterval(id); document.getElementById('n').textContent = 'done after ' + n + ' ticks'; }
  }, 30);
});
</script></body></html>"""


def test_a_busy_page_settles_in_page_time_however_long_it_takes_in_real_time(
        loop: asyncio.AbstractEventLoop, handle: BrowserHandle, tmp_path: Path) -> None:
    """Each call into the page answers (so the page is not hung), but the settle after the
    click spans 100 timer ticks of real work (3 s of page time, 10-40 s of real time on 2
    cores): it is not cut off halfway, as it was by a 10 s bound on the whole settle."""
    from iwr.benchmark.page_clock import PageClockPolicy

    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "index.html").write_text(BUSY_PAGE)

    async def run() -> ReplayTrace:
        async with Sandbox(handle) as sb:
            return await replay_page(handle, sb.site(tmp_path / "busy"), Trajectory(actions=[click("Click the 'Start' button")]),
                                     RES, tmp_path / "out", DomGrounder(), action_timeout=2.0, clock=PageClockPolicy())

    t = time.perf_counter()
    trace = loop.run_until_complete(run())
    took = time.perf_counter() - t
    step = trace.steps[0]
    assert not trace.crashed and step.performed and step.error is None, (took, step.error)
    assert "done after 100 ticks" in step.text_after, (took, step.text_after)
