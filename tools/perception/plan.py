"""A draft action plan from perceived events (the graph turns it into `Action`s)."""

from __future__ import annotations

from .types import Perception, PlanStep


def draft_plan(perception: Perception) -> list[PlanStep]:
    """One step per event that looks like a user action."""
    steps: list[PlanStep] = []
    for e in perception.events:
        where = f" at ({e.pointer[0]:.0f}, {e.pointer[1]:.0f})" if e.pointer else ""
        region = ""
        if e.regions:
            b = max(e.regions, key=lambda r: r.box.area).box
            region = f"; the page changed around ({b.x}, {b.y}, {b.width}x{b.height})"
        before, after = e.before_keyframe, e.after_keyframe
        kind = "click" if e.pressed_not_typed and e.pointer is not None else e.kind  # the click it was
        if kind == "typing":
            text = e.typed_text or ""
            steps.append(PlanStep(type="Type", point=e.pointer, text=text,
                                  description=f"Type '{text}' into the field{where}", before_keyframe=before,
                                  after_keyframe=after))
        elif kind == "scroll":
            direction = "down" if e.scroll_dy >= 0 else "up"
            steps.append(PlanStep(type="Scroll", point=e.pointer, direction=direction,
                                  description=f"Scroll {direction} by about {abs(e.scroll_dy):.0f} px{where}",
                                  before_keyframe=before, after_keyframe=after))
        elif kind == "key":
            key = e.key or "Enter"
            steps.append(PlanStep(type="Press", key=key, description=f"Press {key}{region}",
                                  before_keyframe=before, after_keyframe=after))
        elif kind == "click" or e.pointer is not None:
            steps.append(PlanStep(type="Click", point=e.pointer, description=f"Click the element{where}{region}",
                                  before_keyframe=before, after_keyframe=after))
    return steps
