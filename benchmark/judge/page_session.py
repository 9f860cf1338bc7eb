"""The pages a replay drives: each candidate page opened in its own sandboxed context with its
page clock started (`PageOpener`), and the one driven now (`Pages`), which a key trial may
replace with a fresh page that has the steps before replayed (`key_trial`)."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from ...tools.sandbox import BrowserHandle, SandboxSite, open_sandboxed_page
from ..page_clock import PageClockPolicy
from ..page_traffic import PageTraffic
from ..task import Resolution
from .grounding import load_js
from .page_ops import PageOps, PageTimeline
from .replay_types import SettleConfig
from .types import Trajectory


@dataclass
class PageSession:
    """One sandboxed page of a replay, its page time, and what closes it."""

    run: PageOps
    timeline: PageTimeline | None
    stack: AsyncExitStack

    async def close(self) -> None:
        await self.stack.aclose()


@dataclass
class PageOpener:
    """Opens the candidate afresh in its own sandboxed context, its clock started."""

    browser: BrowserHandle | Any
    site: SandboxSite
    resolution: Resolution
    trajectory: Trajectory
    settle: SettleConfig
    clock: PageClockPolicy | None
    action_timeout: float
    load_timeout: float

    async def open(self) -> PageSession:
        own = [load_js("quiet.js"), load_js("listeners.js")]  # the settle tracker; pointer listeners for the grounder
        clock = self.clock
        stack = AsyncExitStack()
        try:
            sp = await stack.enter_async_context(open_sandboxed_page(
                self.browser, self.site, self.resolution.width, self.resolution.height,
                init_scripts=clock.init_steps(before_clock=own) if clock is not None else own,
                load_timeout=self.load_timeout, close_timeout=5.0,
                context_options=clock.context_options() if clock is not None else None,
            ))
            traffic = PageTraffic(sp.page)  # before the page loads: every request it sends is seen
            timeline = PageTimeline(sp.page, clock, self.trajectory.page_times, len(self.trajectory.actions)) \
                if clock is not None else None
            if timeline is not None:
                await asyncio.wait_for(timeline.clock.start(), self.action_timeout)
        except BaseException:
            await stack.aclose()
            raise
        return PageSession(PageOps(sp, self.action_timeout, self.settle, timeline, traffic), timeline, stack)


@dataclass
class Pages:
    """The page a replay drives now; a key trial may replace it with a fresh one."""

    opener: PageOpener
    session: PageSession

    @property
    def run(self) -> PageOps:
        return self.session.run

    async def adopt(self, session: PageSession) -> None:
        """Drive `session` from now on (the old page is closed)."""
        old, self.session = self.session, session
        await old.close()
