"""Keyframe choice: one per distinct stable state, first and last always, with a cap.

When there are more states than the cap, the states that show an event's result are
ranked by how much of the page the event changed (times its confidence) and the
largest changes are kept.
"""

from __future__ import annotations

from .types import PerceivedEvent


def keyframe_cap(duration: float) -> int:
    """At most a third of what 1-fps sampling would send (at least first and last)."""
    return max(2, (int(max(duration, 0.0)) + 1) // 3)


def choose_states(n_states: int, events: list[PerceivedEvent], cap: int, frame_area: int) -> list[int]:
    """Indices of the states to keep (sorted); event k leads from state k to k+1."""
    if n_states <= cap:
        return list(range(n_states))
    keep = {0, n_states - 1}
    weight = {}
    for e in events:
        area = sum(r.box.area for r in e.regions) / max(1, frame_area)
        weight[e.after_keyframe] = e.confidence * (0.05 + min(1.0, area)) + (0.5 if e.kind != "unknown" else 0.0)
    for idx in sorted(weight, key=lambda i: -weight[i]):
        if len(keep) >= cap:
            break
        keep.add(idx)
    return sorted(keep)


def remap_events(events: list[PerceivedEvent], kept: list[int]) -> list[PerceivedEvent]:
    """Point events at kept keyframe numbers (the nearest kept state before/after)."""
    position = {state: i for i, state in enumerate(kept)}
    out = []
    for e in events:
        before = max((s for s in kept if s <= e.before_keyframe), default=kept[0])
        after = min((s for s in kept if s >= e.after_keyframe), default=kept[-1])
        out.append(e.model_copy(update={"before_keyframe": position[before], "after_keyframe": position[after]}))
    return out
