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


def _overlaps(a: PerceivedEvent, b: PerceivedEvent) -> bool:
    return any(r.box.overlaps(q.box) for r in a.regions for q in b.regions)


def results_visible(events: list[PerceivedEvent], state: int) -> set[int]:
    """Events whose result is still intact in `state`: no later event up to it changed
    a region overlapping theirs."""
    out = set()
    for k, e in enumerate(events):
        if e.after_keyframe > state:
            continue
        later = [f for f in events if e.after_keyframe < f.after_keyframe <= state]
        if not any(_overlaps(e, f) for f in later):
            out.add(k)
    return out


def choose_states(n_states: int, events: list[PerceivedEvent], cap: int, frame_area: int) -> list[int]:
    """Indices of the states to keep (sorted); event k leads from state k to k+1.

    Over the cap, states are added greedily by how many events' results they show that
    no kept state shows yet (a later state shows an earlier result when nothing changed
    that region since); ties go to the larger, surer change.
    """
    if n_states <= cap:
        return list(range(n_states))
    keep = {0, n_states - 1}
    weight = {}
    for e in events:
        area = sum(r.box.area for r in e.regions) / max(1, frame_area)
        weight[e.after_keyframe] = e.confidence * (0.05 + min(1.0, area)) + (0.5 if e.kind != "unknown" else 0.0)
    shows = {s: results_visible(events, s) for s in range(n_states)}
    covered = set().union(*(shows[s] for s in keep))
    while len(keep) < cap:
        best = max((s for s in range(n_states) if s not in keep), key=lambda s: (len(shows[s] - covered), weight.get(s, 0.0)),
                   default=None)
        if best is None:
            break
        keep.add(best)
        covered |= shows[best]
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
