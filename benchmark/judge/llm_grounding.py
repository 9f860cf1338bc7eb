"""LLM grounding, the official approach: the model gets an indexed list of the page's
interactive elements plus the flattened accessibility tree and answers an index as JSON;
when it finds none, a vision call on the screenshot answers a point.

Errors are never scores: a failed call or an unparseable answer raises `ModelError`, which
the replay records as a model error (neither pass nor fail). Press needs no element and
Scroll uses the same container search as the DOM grounder (no model call).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...tools.llm.parsing import extract_json
from ...tools.llm.types import ImagePart, Message, ModelError, TextPart
from ..task import Action, ActionType, Box, Point
from .dom_types import DomCandidate
from .grounding import DomGrounder, describe_candidate, ground_point, ground_scroll
from .types import Grounding

if TYPE_CHECKING:
    from playwright.async_api import Page

MAX_ELEMENTS = 300
MAX_AX_LINES = 300

SYSTEM = (
    "You locate the target of a user action on a web page. Answer with JSON only, no prose."
)


def element_lines(cands: list[DomCandidate]) -> list[str]:
    """`[i] <tag role type> name | placeholder | context` lines of the candidate list."""
    lines = []
    for i, c in enumerate(cands[:MAX_ELEMENTS]):
        kind = c["tag"] + (f" role={c['role']}" if c["role"] else "") + (f" type={c['type']}" if c["type"] else "")
        name = c["aria"] or c["text"] or c["label"] or c["title"] or c["alt"] or c["value"]
        extra = []
        if c["placeholder"]:
            extra.append(f"placeholder={c['placeholder']!r}")
        if c["label"] and c["label"] != name:
            extra.append(f"label={c['label'][:60]!r}")
        if c.get("off"):
            extra.append("offscreen")
        if c["ctx"]:
            extra.append(f"in: {c['ctx'][:80]!r}")
        lines.append(f"[{i}] <{kind}> {name[:80]!r} " + " ".join(extra))
    return lines


async def accessibility_lines(page: Page) -> list[str]:
    """The flattened accessibility tree (role + name), via CDP; empty when unavailable."""
    with contextlib.suppress(Exception):
        cdp = await page.context.new_cdp_session(page)
        try:
            tree = await cdp.send("Accessibility.getFullAXTree")
        finally:
            await cdp.detach()
        out = []
        for node in tree.get("nodes", []):
            if node.get("ignored"):
                continue
            role = (node.get("role") or {}).get("value", "")
            name = (node.get("name") or {}).get("value", "")
            if name and role not in {"InlineTextBox", "StaticText", "LineBreak"}:
                out.append(f"{role}: {str(name)[:80]}")
            if len(out) >= MAX_AX_LINES:
                break
        return out
    return []


def _index_of(answer: Any, n: int, purpose: str) -> int | None:
    if isinstance(answer, dict) and "index" in answer:
        idx = answer["index"]
        if idx is None:
            return None
        if isinstance(idx, str) and idx.strip().lstrip("-").isdigit():
            idx = int(idx)
        if isinstance(idx, int) and 0 <= idx < n:
            return idx
        if isinstance(idx, int) and idx < 0:
            return None
    raise ModelError(f"grounding answer has no valid index: {str(answer)[:120]}", kind="unparseable", purpose=purpose)


class LLMGrounder:
    """Grounding through `LLMGateway.complete` (purpose "ground"); see the module docstring."""

    name = "llm"

    def __init__(self, gateway: Any, *, vision_fallback: bool = True, purpose: str = "ground") -> None:
        self.gateway = gateway
        self.vision_fallback = vision_fallback
        self.purpose = purpose
        self._dom = DomGrounder(name="llm")

    async def ground(self, page: Page, action: Action, step: int, hint: Point | None, reference: Path | None,
                     look: Any = None) -> Grounding:
        if action.type == ActionType.PRESS and action.point is None:
            return Grounding(method="keyboard", found=True, element="focused element")
        if action.point is not None and action.type != ActionType.SCROLL:
            return await ground_point(page, action.point)
        if action.type == ActionType.SCROLL:
            return await ground_scroll(page, action, hint, "llm")
        snap = await self._dom.snapshot(page)
        cands = snap["candidates"][:MAX_ELEMENTS]
        ax = await accessibility_lines(page)
        prompt = (
            f"Action: {action.type.value}\nDescription: {action.description}\n"
            + (f"Text to type: {action.text!r}\n" if action.type == ActionType.TYPE and action.text else "")
            + "\nInteractive elements:\n" + "\n".join(element_lines(cands))
            + ("\n\nAccessibility tree:\n" + "\n".join(ax) if ax else "")
            + '\n\nWhich element is the target? Answer {"index": <number>} or {"index": null} if none fits.'
        )
        resp = await self.gateway.complete(
            [Message(role="system", content=[TextPart(text=SYSTEM)]), Message(role="user", content=[TextPart(text=prompt)])],
            purpose=self.purpose,
        )
        idx = _index_of(extract_json(resp.text, self.purpose), len(cands), self.purpose)
        if idx is not None:
            c = cands[idx]
            x, y, w, h = c["box"]
            pt = c["pt"] or [x + w / 2, y + h / 2]
            g = Grounding(
                method="llm", found=True, point=Point(x=pt[0], y=pt[1]), box=Box(x=x, y=y, width=w, height=h),
                element=describe_candidate(c), candidates=len(cands),
            )
            if c.get("off"):
                g = await self._dom._reveal(page, g, snap["candidates"].index(c))
            return g
        if not self.vision_fallback:
            return Grounding(method="llm", found=False, candidates=len(cands), error="the model found no matching element")
        return await self._vision(page, action, len(cands))

    async def _vision(self, page: Page, action: Action, n: int) -> Grounding:
        shot = await page.screenshot(type="png")
        vp = page.viewport_size or {"width": 0, "height": 0}
        prompt = (
            f"The screenshot shows a web page of {vp['width']}x{vp['height']} CSS pixels.\n"
            f"Action: {action.type.value}\nDescription: {action.description}\n"
            'Where should the action happen? Answer {"x": <px>, "y": <px>} or {"x": null, "y": null} if the target is not visible.'
        )
        resp = await self.gateway.complete(
            [Message(role="system", content=[TextPart(text=SYSTEM)]),
             Message(role="user", content=[TextPart(text=prompt), ImagePart(data=shot)])],
            purpose=self.purpose,
        )
        ans = extract_json(resp.text, self.purpose)
        if not isinstance(ans, dict) or "x" not in ans or "y" not in ans:
            raise ModelError(f"vision grounding answer has no point: {resp.text[:120]}", kind="unparseable", purpose=self.purpose)
        if ans["x"] is None or ans["y"] is None:
            return Grounding(method="vision", found=False, candidates=n, error="the model found no target on the screenshot")
        try:
            p = Point(x=float(ans["x"]), y=float(ans["y"]))
        except (TypeError, ValueError):
            raise ModelError(f"vision grounding point is not numeric: {resp.text[:120]}", kind="unparseable",
                             purpose=self.purpose) from None
        if not (0 <= p.x < vp["width"] and 0 <= p.y < vp["height"]):
            return Grounding(method="vision", found=False, point=p, candidates=n,
                             error="the model's point is outside the viewport")
        g = await ground_point(page, p)
        return g.model_copy(update={"method": "vision", "candidates": n})
