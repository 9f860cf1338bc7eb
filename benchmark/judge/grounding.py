"""Grounding: resolve an action's description to an element (or point) of the live page.

- `DomGrounder` (default, offline, deterministic): one injected JS function collects the
  visible, hit-testable interactive elements of the viewport (`dom_candidates.js`); Python
  scores each against the description (`candidate_scoring.py`, parsing in `description.py`):
  quoted strings (weigh most), remaining content words (own text vs its own card vs container
  text), element-kind words, ordinals, the row/column/corner of a grid of similar elements
  (`grid.py`: the only evidence a textless card or tile offers), absolute and relative
  spatial words, the pointer hint, and the look (`LookCue`: when the task recorded the target's box
  in the reference image of the state before the step, each on-screen candidate's region of
  the current screenshot is compared with that region, `tools.image_metrics.crop_similarity`;
  one weighted signal among the others, recorded in `Grounding.evidence`). Ties within
  `ambiguity_margin` are reported as ambiguous.
- `LLMGrounder` (in `llm_grounding.py`): the official approach through the LLM gateway.

Every grounder answers `Grounding` (benchmark/judge/types.py); for Press it needs no element,
for Scroll it returns the point over which to wheel (scroll container or window).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..task import Action, ActionType, Box, Point
from .candidate_scoring import GroundingWeights, Scored, _apply_ordinal, candidate_kinds, score_candidates
from .description import (  # noqa: F401 - re-exported: the grounder's public parsing names
    ABSOLUTE_SPATIAL,
    GRID_MEMBER_KIND,
    KIND_WORDS,
    ORDINALS,
    STOPWORDS,
    VERBS,
    GridPosition,
    ParsedDescription,
    parse_description,
    strip_quotes,
)
from .dom_types import DomCandidate, DomSnapshot
from .grid import GridCell, at_position, grid_cells  # noqa: F401 - re-exported
from .types import Grounding

if TYPE_CHECKING:
    from playwright.async_api import Page

JS_DIR = Path(__file__).parent


@cache
def load_js(name: str) -> str:
    """The source of a JS asset next to this module."""
    return (JS_DIR / name).read_text()


@dataclass(frozen=True)
class LookCue:
    """What the target looked like: the reference image of the state before the action, the
    recorded target box in it, and the current state's screenshot (decoded BGR, from the
    replay; None = the grounder takes one)."""

    reference: Path
    box: Box
    current: Any = None  # numpy.ndarray, an awaitable resolving to one, or None


class Grounder(Protocol):
    """Resolves one action to a target on the live page (`look` is optional evidence)."""

    name: str

    async def ground(self, page: Page, action: Action, step: int, hint: Point | None, reference: Path | None,
                     look: LookCue | None = None) -> Grounding: ...


MAX_LOOK_CANDIDATES = 600


def look_scores(candidates: list[DomCandidate], current: Any, cue: LookCue) -> dict[int, float] | None:
    """Candidate `i` -> similarity of its region in `current` to the recorded target's region
    in the reference image (`tools.image_metrics.crop_similarity`); off-screen candidates and
    regions outside the image are left out. None when the template is unusable."""
    from ...tools.image_metrics import crop_similarity, load_image

    if current is None or not Path(cue.reference).is_file():
        return None
    ref = load_image(cue.reference)
    b = cue.box
    target = (b.x, b.y, b.width, b.height)
    out: dict[int, float] = {}
    for c in candidates[:MAX_LOOK_CANDIDATES]:
        if c.get("off"):
            continue
        x, y, w, h = c["box"]
        sim = crop_similarity(ref, target, current, (x, y, w, h))
        if sim is not None:
            out[c["i"]] = sim
    return out or None


def _look_evidence(best: Scored, runner: Scored | None) -> dict[str, Any]:
    ev: dict[str, Any] = {"look": round(best.parts.get("look", 0.0), 4)}
    if runner is not None:
        ev["look_runner_up"] = round(runner.parts.get("look", 0.0), 4)
    return ev


def describe_candidate(c: DomCandidate) -> str:
    """A short human-readable label of a candidate: `<tag[role][type]> name`."""
    name = next((c[f] for f in ("aria", "text", "label", "placeholder", "title", "alt", "value") if c[f]), "")
    role = f"[role={c['role']}]" if c["role"] else ""
    typ = f"[type={c['type']}]" if c["type"] else ""
    return f"<{c['tag']}{role}{typ}> {name[:60]}".strip()







def scroll_direction(action: Action) -> str:
    """'down' (default), 'up', 'left' or 'right' from the parameters or the description."""
    raw = (action.parameters.direction or "").lower().strip()
    if raw in {"up", "down", "left", "right"}:
        return raw
    d = action.description.lower()
    for word in ("up", "left", "right"):
        if re.search(rf"\b{word}(ward|wards)?\b", d):
            return word
    return "down"


async def ground_point(page: Page, point: Point) -> Grounding:
    """The element at an explicit point (method "point")."""
    info = await page.evaluate(load_js("element_at.js"), [point.x, point.y])
    if info is None:
        return Grounding(method="point", found=False, point=point, error="no element at point")
    x, y, w, h = info["box"]
    return Grounding(method="point", found=True, point=point, box=Box(x=x, y=y, width=w, height=h), element=info["desc"],
                     candidates=1)


_PAGE_SCROLL_RE = re.compile(r"\bscroll(?:s|ing)?\s+(?:(?:up|down|left|right|back)\s+)?(?:the\s+|this\s+)?(?:\w+\s+)?"
                             r"(page|window|screen|site)\b", re.I)


def names_the_page(action: Action) -> bool:
    """True when a Scroll's description scrolls the page itself ('Scroll the page down')."""
    return bool(_PAGE_SCROLL_RE.search(action.description))


async def ground_scroll(page: Page, action: Action, hint: Point | None, method: str) -> Grounding:
    """Where to wheel for a Scroll: the window when the description names the page, else
    the scroll container under the hint, else the window."""
    hint_xy = [action.point.x, action.point.y] if action.point else ([hint.x, hint.y] if hint else None)
    info = await page.evaluate(load_js("scroll_target.js"), {"direction": scroll_direction(action), "hint": hint_xy,
                                                  "page": names_the_page(action)})
    x, y, w, h = info["box"]
    return Grounding(
        method=method, found=True, point=Point(x=info["point"][0], y=info["point"][1]),
        box=Box(x=x, y=y, width=w, height=h), element=info["desc"], candidates=1,
    )


@dataclass
class DomGrounder:
    """Offline, deterministic grounding on the live DOM (see module docstring)."""

    name: str = "dom"
    ambiguity_margin: float = 0.15
    min_text_evidence: float = 0.25
    weights: GroundingWeights = field(default_factory=GroundingWeights)
    max_nodes: int = 40000
    max_millis: int = 400

    async def snapshot(self, page: Page) -> DomSnapshot:
        """The candidates and text blocks of the current viewport."""
        raw = await page.evaluate(load_js("dom_candidates.js"), {"maxNodes": self.max_nodes, "maxMillis": self.max_millis})
        return json.loads(raw)

    async def ground(self, page: Page, action: Action, step: int, hint: Point | None, reference: Path | None,
                     look: LookCue | None = None) -> Grounding:
        if action.type == ActionType.PRESS and action.point is None:
            return Grounding(method="keyboard", found=True, element="focused element")
        if action.point is not None and action.type != ActionType.SCROLL:
            return await ground_point(page, action.point)
        if action.type == ActionType.SCROLL:
            return await ground_scroll(page, action, hint, self.name)
        snap = await self.snapshot(page)
        g, cand = self._pick(snap, action, hint)
        if look is not None and self._look_can_matter(g):
            looks = await self._looks(page, snap, look)
            if looks:
                g, cand = self._pick(snap, action, hint, looks)
        if g.found and cand is not None and cand.get("off"):
            return await self._reveal(page, g, snap["candidates"].index(cand))
        return g

    async def _reveal(self, page: Page, g: Grounding, index: int) -> Grounding:
        """Scroll an off-screen choice into view (as a click by locator would) and re-aim."""
        info = await page.evaluate(load_js("reveal.js"), index)
        if not info:
            return g.model_copy(update={"found": False, "error": "target could not be scrolled into view"})
        x, y, w, h = info["box"]
        return g.model_copy(update={"point": Point(x=info["pt"][0], y=info["pt"][1]), "box": Box(x=x, y=y, width=w, height=h)})

    def choose(self, snap: DomSnapshot, action: Action, hint: Point | None,
               looks: dict[int, float] | None = None) -> Grounding:
        """Pick the best candidate of a snapshot (pure; used by `ground`)."""
        return self._pick(snap, action, hint, looks)[0]

    def _look_can_matter(self, g: Grounding) -> bool:
        """True when adding the look (at most `weights.look`) could change the choice or its
        ambiguity: the runner-up is within that much of the best."""
        if self.weights.look <= 0 or g.score is None or g.runner_up is None:
            return False
        return g.score - g.runner_up <= self.weights.look + self.ambiguity_margin

    async def _looks(self, page: Page, snap: DomSnapshot, cue: LookCue) -> dict[int, float] | None:
        """Look similarity of the on-screen candidates to the recorded target (None when the
        reference or the target's region is not usable)."""
        import asyncio
        import inspect

        current = cue.current
        if inspect.isawaitable(current):
            current = await current
        if current is None:
            from ...tools.image_metrics import decode_png

            current = decode_png(await page.screenshot(type="png", animations="disabled", caret="hide", scale="css"))
        return await asyncio.to_thread(look_scores, snap["candidates"], current, cue)

    def _pick(self, snap: DomSnapshot, action: Action, hint: Point | None,
              looks: dict[int, float] | None = None) -> tuple[Grounding, DomCandidate | None]:
        scored, desc = score_candidates(snap, action, hint, self.weights, looks)
        if not scored:
            return Grounding(method=self.name, found=False, error="no visible interactive element", candidates=0), None
        best = _apply_ordinal(scored, desc, self.ambiguity_margin)
        by_ordinal = best is not None
        if best is None:
            best = scored[0]
        others = [s for s in scored if s is not best]
        runner = others[0].total if others else None
        has_terms = bool(desc.quotes or desc.context_quotes or desc.words)
        evidence_ok = best.text >= self.min_text_evidence
        kind_and_hint = best.parts.get("kind", 0.0) >= 0.6 and best.parts.get("hint", 0.0) >= 0.5
        # a textless target at the described place of a grid: its position is its evidence
        positional = (best.parts.get("grid", 0.0) >= 1.0 and not desc.quotes
                      and (not desc.kinds or best.parts.get("kind", 0.0) >= 0.6))
        # described by its look and place ("the arrow in the bottom-right corner", "the empty box
        # under the 'Autocomplete' heading"): no name on the page to match, so the place decides
        # when it singles the best out
        placed = (best.parts.get("hint", 0.0) >= 0.5 or best.parts.get("relation", 0.0) >= 0.5
                  or best.parts.get("absolute", 0.0) >= 0.75)
        by_place = placed and not desc.quotes and (runner is None or best.total - runner >= self.ambiguity_margin)
        found = evidence_ok or kind_and_hint or positional or by_place or (
            not has_terms and (bool(desc.kinds) or "hint" in best.parts or by_ordinal or bool(desc.absolute) or bool(desc.relations)))
        if action.type == ActionType.TYPE and not found and "field" in candidate_kinds(best.cand) and not desc.quotes:
            found = True  # "Type 'x'" with no field words: the best field
        ambiguous = (not by_ordinal) and runner is not None and best.total - runner < self.ambiguity_margin
        c = best.cand
        x, y, w, h = c["box"]
        pt = c["pt"] or [x + w / 2, y + h / 2]
        return Grounding(
            method=self.name,
            found=found,
            point=Point(x=pt[0], y=pt[1]),
            box=Box(x=x, y=y, width=w, height=h),
            element=describe_candidate(c),
            score=round(best.total, 4),
            runner_up=round(runner, 4) if runner is not None else None,
            ambiguous=ambiguous,
            candidates=len(scored),
            error=None if found else f"no element matches the description (best text evidence {best.text:.2f})",
            evidence=_look_evidence(best, others[0] if others else None) if looks else {},
        ), c
