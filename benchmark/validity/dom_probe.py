"""DOM probes: the ground truth of where a variant of an app first behaves differently.

`probe_app` replays a demo (or a probe) by its selectors in real headless Chromium on the
app served from 127.0.0.1, exactly as the recorder drives it (same page setup, clock and
random seed, same action code, and the recorder's settle after each action: human pace),
living the same page time between actions (the recorder's intro and after-action holds),
and reads the viewport's visible text with the judge's own extractor before any action
and after each one (and the whole body's text, for checks that look past the viewport).
`first_difference(original, variant)` is the first state whose visible
text differs (0 = the initial state; None = never: the variant is equivalent for this
trajectory).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ...tools.local_server import serve_directory
from ..demo import DemoAction, DemoSpec
from ..page_clock import PageClock
from ..recorder import RecordError, RecordOptions, _Driver, _open_app, _TimeFilm, _visible_text, new_recording_page
from .coverage import CodeCoverage, CoveredCode

# A variant's target may be gone for good: waiting the recorder's full 5 s for each such
# step only slows the probe (the original's targets were all there within the settle).
PROBE_OPTIONS = replace(RecordOptions(), action_timeout=2.0)

# Why an action's target is not one element on top at its centre inside the viewport ("" if it is).
TARGET_PROBLEM_JS = """sel => {
  const all = document.querySelectorAll(sel);
  if (all.length !== 1) return `matches ${all.length} elements`;
  const r = all[0].getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return "outside the viewport";
  const hit = document.elementFromPoint(x, y);
  return hit !== null && (hit === all[0] || all[0].contains(hit)) ? "" : "covered at its centre";
}"""


@dataclass
class DomTrace:
    """What one replay saw: state k is before any action (k = 0) or after action k."""

    texts: list[str] = field(default_factory=list)  # visible DOM text per state
    page_texts: list[str] = field(default_factory=list)  # document.body.innerText per state
    shots: list[str] = field(default_factory=list)  # sha256 of the settled screenshot per state
    performed: list[bool] = field(default_factory=list)  # per action: could it be performed
    failures: list[str | None] = field(default_factory=list)  # per action: why not
    # per action, before it: why its target is not one visible element on top (None: fine or no target)
    target_problems: list[str | None] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # paths the page asked for that the app does not have
    load_errors: list[str] = field(default_factory=list)  # script errors while the page loaded
    errors: list[str] = field(default_factory=list)  # script errors during the actions
    covered: CoveredCode | None = None  # the app's code the replay ran (when asked for)

    @property
    def syntax_error(self) -> bool:
        """True when a script of the page could not even be parsed."""
        return any(e.startswith("SyntaxError") for e in self.load_errors)


def first_difference(original: DomTrace, variant: DomTrace) -> int | None:
    """The first state whose visible text differs, or whose action could be performed in
    one replay and not in the other; None when the two replays agree throughout. A variant
    that differs from the start (state 0) differs, for a judge of steps, at the first step
    whose change differs (`first_changed_step`); 0 when every step changes alike."""
    for k in range(max(len(original.texts), len(variant.texts))):
        if k >= len(original.texts) or k >= len(variant.texts) or original.texts[k] != variant.texts[k]:
            return k if k > 0 else first_changed_step(original, variant)
        if k >= 1 and original.performed[k - 1] != variant.performed[k - 1]:
            return k
    return None


def _change(texts: list[str], k: int) -> tuple[Counter[str], Counter[str]]:
    """The words state k gained and lost from state k-1."""
    before, after = Counter(texts[k - 1].split()), Counter(texts[k].split())
    return after - before, before - after


def first_changed_step(original: DomTrace, variant: DomTrace) -> int:
    """The first step whose change of visible words (gained and lost), or whose being
    performed, differs between the two replays; 0 when none does."""
    for k in range(1, max(len(original.texts), len(variant.texts))):
        if k >= len(original.texts) or k >= len(variant.texts) or original.performed[k - 1] != variant.performed[k - 1]:
            return k
        if _change(original.texts, k) != _change(variant.texts, k):
            return k
    return 0


def first_pixel_difference(original: DomTrace, variant: DomTrace, again: DomTrace | None = None) -> int | None:
    """The first state whose settled screenshot differs (None: pixel-identical throughout).
    With `again` (a second replay of the original), states where the original's own two
    screenshots differ (a caret, a hover, a transition caught mid-way) are not compared."""
    n = min(len(original.shots), len(variant.shots))
    for k in range(n):
        if again is not None and (k >= len(again.shots) or again.shots[k] != original.shots[k]):
            continue
        if original.shots[k] != variant.shots[k]:
            return k
    return None if len(original.shots) == len(variant.shots) else n


async def probe_app(browser: Any, spec: DemoSpec, app_dir: Path | None = None,
                    actions: list[DemoAction] | None = None, options: RecordOptions = PROBE_OPTIONS,
                    label: str = "", coverage: Collection[str] | None = None) -> DomTrace:
    """Replay `actions` (default: the demo's) on `app_dir` (default: the demo's folder);
    with `coverage` (app-relative files), also which of their code ran (`DomTrace.covered`).

    An action that cannot be performed (target gone, click refused, nothing scrolled) is
    recorded as not performed and the replay goes on. A page that does not load gives a
    trace with no state and the reason in `load_errors`.
    """
    actions = spec.actions if actions is None else actions
    label = label or spec.id
    trace = DomTrace()
    errors: list[str] = []
    root = Path(app_dir or spec.app_dir)
    with serve_directory(root) as site:
        context, page = await new_recording_page(browser, spec, site, options)
        cov = CodeCoverage(page, root, site.base_url, coverage) if coverage is not None else None
        try:
            if cov is not None:
                await cov.start()
            page.on("pageerror", lambda exc: errors.append(f"{getattr(exc, 'name', '') or 'Error'}: {exc}"))
            film = _TimeFilm(options.fps, (0.0, 0.0))  # keeps the demo's page time, draws nothing
            driver = _Driver(page, spec, film, options, label, PageClock(page, 1000 / options.fps))
            try:
                shot = await _open_app(driver, site)
            except RecordError as e:  # the page never loaded (a script that loops forever)
                trace.load_errors = [*errors, f"not loaded: {e}"]
                return trace
            trace.load_errors = list(errors)
            await _add_state(trace, driver, shot)
            await driver.hold(options.intro)
            for k, act in enumerate(actions, start=1):
                trace.target_problems.append(await _target_problem(page, act))
                try:
                    await driver.perform(k, act)
                    trace.performed.append(True)
                    trace.failures.append(None)
                except RecordError as e:
                    trace.performed.append(False)
                    trace.failures.append(str(e))
                settle_from = film.time
                shot = await driver.settle()
                await _add_state(trace, driver, shot)
                # as the recorder: settling and holding the state last `after_action` together
                await driver.hold(max(1 / film.fps, options.after_action - (film.time - settle_from)))
            trace.errors = errors[len(trace.load_errors):]
            if cov is not None:
                trace.covered = await cov.collect()
        finally:
            await context.close()
        trace.missing = [p for p in site.not_found if not p.endswith("favicon.ico")]
    return trace


async def _add_state(trace: DomTrace, driver: _Driver, shot: bytes) -> None:
    trace.texts.append(await _visible_text(driver))
    trace.page_texts.append(await driver.page.evaluate("() => document.body.innerText"))
    trace.shots.append(hashlib.sha256(shot).hexdigest())


async def _target_problem(page: Any, act: DemoAction) -> str | None:
    if not act.target:
        return None
    try:
        problem = await page.evaluate(TARGET_PROBLEM_JS, act.target)
    except Exception as e:  # noqa: BLE001 - a selector the browser refuses
        return f"invalid selector: {str(e).splitlines()[0]}"
    return f"{act.target!r} {problem}" if problem else None
