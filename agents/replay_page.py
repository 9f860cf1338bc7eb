"""The `trajectory-replay` page: recorded states as DOM, hot spots that step through them."""

from __future__ import annotations

import html as html_lib
import json

from iwr.benchmark.task import Box, Resolution
from iwr.graphs import EventSummary, PerceptionSummary

from .layout import STATE_CSS, StateLayout, state_div

HOT_CSS = (
    ".hot { position: absolute; background: transparent; border: 0; margin: 0; padding: 0; color: transparent;"
    " cursor: pointer; font-size: 12px; overflow: hidden; z-index: 5; }\n"
    "input.hot { color: inherit; caret-color: auto; outline: none; }\n"
    ".state { position: fixed; }\n"
)

SCRIPT = """
let current = %(first)s;
const keyNext = %(key_next)s;
const scrollNext = %(scroll_next)s;
function go(next) {
  if (next === null || next === undefined) return;
  const from = document.getElementById('state-' + current);
  const to = document.getElementById('state-' + next);
  if (!to) return;
  if (from) from.style.display = 'none';
  to.style.display = 'block';
  current = next;
}
document.addEventListener('click', (e) => {
  const hot = e.target.closest('button.hot');
  if (hot) go(Number(hot.dataset.next));
});
document.addEventListener('input', (e) => {
  const f = e.target;
  if (f.classList.contains('hot') && f.value.length >= Number(f.dataset.len || 1)) go(Number(f.dataset.next));
});
document.addEventListener('keydown', (e) => {
  if (e.target.classList && e.target.classList.contains('hot') && e.key.length === 1) return;
  if (String(current) in keyNext) go(keyNext[String(current)]);
});
window.addEventListener('scroll', () => {
  if (String(current) in scrollNext) go(scrollNext[String(current)]);
});
"""


def _hot_box(event: EventSummary, state: StateLayout, min_w: float, min_h: float) -> tuple[Box, str]:
    """Where to put the hot spot of an event and the visible label under it."""
    p = event.point
    if p is not None:
        for t in state.texts:
            if t.box.contains(p):
                return Box(x=t.box.x - 6, y=t.box.y - 6, width=t.box.width + 12, height=t.box.height + 12), t.text
        return Box(x=p.x - min_w / 2, y=p.y - min_h / 2, width=min_w, height=min_h), ""
    if event.regions:
        return event.regions[0], ""
    return Box(x=0, y=0, width=min_w, height=min_h), ""


def _hot_spot(event: EventSummary, state: StateLayout) -> str:
    style = lambda b: f"left:{b.x:.0f}px;top:{b.y:.0f}px;width:{b.width:.0f}px;height:{b.height:.0f}px"  # noqa: E731
    if event.kind == "typing":
        box, _ = _hot_box(event, state, 240, 36)
        if event.regions and event.point is not None:
            box = next((r for r in event.regions if r.contains(event.point)), box)
        length = len(event.typed_text or "") or 1
        return f'<input class="hot" type="text" data-next="{event.after_keyframe}" data-len="{length}" style="{style(box)}">'
    box, label = _hot_box(event, state, 64, 40)
    return f'<button class="hot" type="button" data-next="{event.after_keyframe}" style="{style(box)}">{html_lib.escape(label)}</button>'


def build_replay_page(states: list[StateLayout], perception: PerceptionSummary, resolution: Resolution) -> str:
    """One page holding every state; events leaving a state become its hot spots."""
    by_keyframe = {s.keyframe: s for s in states}
    hot: dict[int, list[str]] = {s.keyframe: [] for s in states}
    key_next: dict[str, int] = {}
    scroll_next: dict[str, int] = {}
    for event in perception.events:
        before, after = event.before_keyframe, event.after_keyframe
        if before not in by_keyframe or after not in by_keyframe or before == after:
            continue
        kind = event.kind if event.kind != "unknown" else ("click" if event.point else "key")
        if kind == "key":
            key_next.setdefault(str(before), after)
        elif kind == "scroll":
            scroll_next.setdefault(str(before), after)
        else:
            hot[before].append(_hot_spot(event, by_keyframe[before]))
    first = states[0].keyframe
    divs = "\n".join(
        state_div(s, visible=s.keyframe == first, extra="\n" + "\n".join(hot[s.keyframe]) if hot[s.keyframe] else "")
        for s in states
    )
    spacer = f'<div style="height:{resolution.height * 3}px"></div>' if scroll_next else ""
    script = SCRIPT % {"first": first, "key_next": json.dumps(key_next), "scroll_next": json.dumps(scroll_next)}
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Recorded trajectory</title>\n"
        f"<style>\nhtml, body {{ margin: 0; padding: 0; }}\n{STATE_CSS}\n{HOT_CSS}</style>\n</head>\n<body>\n"
        f"{divs}\n{spacer}\n<script>{script}</script>\n</body>\n</html>\n"
    )
