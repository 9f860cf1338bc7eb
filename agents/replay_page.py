"""The `trajectory-replay` page: the recorded states as DOM, hot spots that step through them.

Built from perception output and the video only. The perceived events, in time order,
become transitions; state k is what the video shows between event k-1 and event k (state 0
before the first event, the last after the last one), pictured as the median of three of its
frames with the resting pointer painted out, and rebuilt as positioned DOM (OCR text as real
text, matched assets as images). Event k is the only way out of state k:

- click: a real `<button>` at the click point whose content is the recorded text under it
  (so its accessible name is what the user clicked), or an empty one at the changed region
  when there is no text; it sits in a row container with the other texts of its row (its
  context, and no more of the page than that);
- typing: an `<input>` at the field, its caption as `<label>` and the recorded text inside
  the field as placeholder; the state changes once typing pauses;
- key press or scroll: any key press or any scroll of the page (the document is made
  scrollable both ways) moves on; perception cannot always tell a scroll from a key press
  or a click, so a scroll also takes a click's way out.
"""

from __future__ import annotations

import html as html_lib
import json
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from iwr.benchmark.task import Box, Point, Resolution
from iwr.graphs import AssetSighting, EventSummary, KeyframeRef

from .frames import FrameRecipe
from .layout import STATE_CSS, StateLayout, TextItem, text_blocks

TriggerKind = Literal["click", "type", "key"]

MERGE_GAP = 0.5  # seconds: key/scroll events closer than this are one gesture
FRAME_BACK = 0.07  # seconds before an event's start: the last frame of the state it leaves
SETTLE_AFTER = 0.15  # seconds after an event's end: the state it led to has settled
SETTLE_BEFORE = 1.5  # seconds of the first state looked at before the first event
TEXT_MARGIN = 8.0  # px around a text line that still counts as clicking it
SMALL_REGION = (360.0, 120.0)  # a changed region at most this big can be a control's box
POINTER_BOX = (14, 8, 30, 36)  # px left, above, right, below a pointer's hot spot that it may cover
POINTER_APART = 48.0  # px: the pointer leaves a spot when the next event is farther than this
POINTER_GONE = 0.35  # seconds into the next event: the pointer has left, the page not yet changed
TYPING_PAUSE_MS = 250  # typing has ended after this long without input

HOT_CSS = """
.state { position: fixed; }
.state .hot { position: absolute; background: transparent; border: 0; margin: 0; padding: 0;
  cursor: pointer; z-index: 5; font: inherit; color: inherit; text-align: left; overflow: visible; }
.state .hot > .t { position: absolute; }
.state input.hot { cursor: text; outline: none; padding: 0 6px; box-sizing: border-box;
  font-family: 'DejaVu Sans', Arial, sans-serif; }
.state .row { display: contents; }
"""

SCRIPT = """
const next = %(next)s, start = %(start)d;
let current = 0, baseY = start, scrollLock = null, typingTimer = null;
function go(to) {
  const from = document.getElementById('state-' + current), dest = document.getElementById('state-' + to);
  if (!dest) return;
  if (from) from.style.display = 'none';
  dest.style.display = 'block';
  current = to;
}
function leave(kind) {
  const t = next[current];
  if (t && t.kind === kind) { go(t.to); return true; }
  return false;
}
document.addEventListener('click', (e) => {
  const hot = e.target.closest && e.target.closest('button.hot');
  if (hot && hot.closest('.state') === document.getElementById('state-' + current)) leave('click');
});
document.addEventListener('input', (e) => {
  if (!(e.target.matches && e.target.matches('input.hot'))) return;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { typingTimer = null; leave('type'); }, %(pause)d);
});
const MODIFIERS = new Set(['Shift', 'Control', 'Alt', 'Meta', 'CapsLock', 'Fn']);
document.addEventListener('keydown', (e) => {
  if (MODIFIERS.has(e.key)) return;
  const field = e.target.matches && e.target.matches('input.hot') ? e.target.closest('.state') : null;
  if (field && field === document.getElementById('state-' + current)) return;  // typing into the field
  if (leave('key')) e.preventDefault();
});
window.scrollTo(0, start);
window.addEventListener('scroll', () => {
  if (Math.abs(window.scrollY - baseY) < 5) return;
  baseY = window.scrollY;
  const fresh = scrollLock === null;
  clearTimeout(scrollLock);
  scrollLock = setTimeout(() => { scrollLock = null; }, 150);
  const t = next[current];
  if (fresh && t && t.scroll) go(t.to);
});
"""


class Transition(BaseModel):
    """How the page leaves one recorded state: the perceived event, simplified.
    `by_scroll`: a scroll also leaves (perception can take a scroll for a click or a key)."""

    trigger: TriggerKind
    start: float
    end: float
    point: Point | None = None
    regions: list[Box] = Field(default_factory=list)
    by_scroll: bool = False


def transitions_of(events: list[EventSummary]) -> list[Transition]:
    """Events in time order as transitions; key/scroll events of one gesture merged."""
    out: list[Transition] = []
    for e in sorted(events, key=lambda e: (e.start, e.index)):
        if e.kind == "typing" and (e.typed_text or e.click):
            trigger: TriggerKind = "type"
        elif e.kind == "typing" and e.point is not None:
            trigger = "click"  # a change at the pointer with no click and no text read
        elif e.kind == "click" or (e.kind == "unknown" and e.click):
            trigger = "click"
        else:
            trigger = "key"
        point = e.point if e.point is not None else (e.regions[0].center if e.regions and trigger != "key" else None)
        if trigger == "key" and out and out[-1].trigger == "key" and e.start - out[-1].end < MERGE_GAP:
            out[-1].end = max(out[-1].end, e.end)
            continue
        out.append(Transition(trigger=trigger, start=e.start, end=e.end, point=point, regions=list(e.regions),
                              by_scroll=trigger != "type"))
    return out


def _pointer_patch(p: Point, scale: float, when: float) -> tuple[int, int, int, int, float]:
    """The box a mouse pointer resting at `p` covers (in video pixels), to copy from time `when`."""
    x, y = p.x * scale, p.y * scale
    return (int(x - POINTER_BOX[0]), int(y - POINTER_BOX[1]), int(x + POINTER_BOX[2]), int(y + POINTER_BOX[3]), when)


def state_recipes(transitions: list[Transition], duration: float, scale: float = 1.0) -> list[FrameRecipe]:
    """How to picture each recorded state: the median of three frames from the end of the
    event that led to it to just before the next one starts. The pointer rests where the
    last event happened all that time; once the next event has begun it has left for the
    next target (the page has not changed yet), so that spot is taken from then.
    `scale`: video pixels per page pixel."""
    last = max(0.0, duration - 0.05)
    starts = [t.start for t in transitions] + [duration]
    ends = [max(0.0, starts[0] - SETTLE_BEFORE)] + [t.end + SETTLE_AFTER for t in transitions]
    before: list[Transition | None] = [None, *transitions]
    after: list[Transition | None] = [*transitions, None]
    recipes = []
    for a, nxt, prev_t, next_t in zip(ends, starts, before, after, strict=True):
        b = min(last, max(nxt - FRAME_BACK, 0.0))
        a = min(a, b)
        patches = []
        p_prev = prev_t.point if prev_t is not None else None
        p_next = next_t.point if next_t is not None else None
        if p_prev is not None and next_t is not None and (p_next is None or _far(p_prev, p_next)):
            left = next_t.start + min(POINTER_GONE, 0.4 * (next_t.end - next_t.start))
            patches.append(_pointer_patch(p_prev, scale, min(left, last)))
        recipes.append(FrameRecipe(times=[a, (a + b) / 2, b], patches=patches))
    return recipes


def _far(p: Point, q: Point) -> bool:
    return float(np.hypot(p.x - q.x, p.y - q.y)) > POINTER_APART


def state_sightings(
    times: list[float], frames: list[np.ndarray], keyframes: list[KeyframeRef], key_images: dict[int, np.ndarray],
    sightings: list[AssetSighting], page_width: int, max_diff: float = 16.0,
) -> list[list[AssetSighting]]:
    """The assets of each state: the sightings of the latest keyframe at or before the state's
    time whose pixels the state still shows in the same place."""
    out: list[list[AssetSighting]] = []
    ordered = sorted(keyframes, key=lambda k: k.time)
    for when, frame in zip(times, frames, strict=True):  # one frame per state time
        before = [k for k in ordered if k.time <= when + 0.1] or ordered[:1]
        keep: list[AssetSighting] = []
        if before:
            kf = before[-1]
            ref = key_images.get(kf.index)
            scale = frame.shape[1] / page_width
            for s in sightings:
                if s.keyframe != kf.index or ref is None or ref.shape != frame.shape:
                    continue
                x0, y0 = max(0, int(s.box.x * scale)), max(0, int(s.box.y * scale))
                x1, y1 = int((s.box.x + s.box.width) * scale), int((s.box.y + s.box.height) * scale)
                a, b = frame[y0:y1, x0:x1].astype(np.int16), ref[y0:y1, x0:x1].astype(np.int16)
                if a.size and float(np.abs(a - b).mean()) <= max_diff:
                    keep.append(s)
        out.append(keep)
    return out


# ---------------------------------------------------------------------------------------
# Hot spots


def _around(p: Point, w: float, h: float) -> Box:
    return Box(x=p.x - w / 2, y=p.y - h / 2, width=w, height=h)


def _small(b: Box) -> bool:
    return b.width <= SMALL_REGION[0] and b.height <= SMALL_REGION[1]


def _smallest(boxes: list[Box]) -> Box | None:
    return min(boxes, key=lambda b: b.width * b.height) if boxes else None


def _gap(b: Box, p: Point) -> float:
    dx = max(b.x - p.x, 0.0, p.x - b.x - b.width)
    dy = max(b.y - p.y, 0.0, p.y - b.y - b.height)
    return float(np.hypot(dx, dy))


def click_box(t: Transition, texts: list[TextItem]) -> Box:
    """The hot spot of a click: the text block under the point (a wrapped label is one
    control), else the small changed region holding it, else a square around it."""
    p = t.point
    if p is None:
        return Box(x=0, y=0, width=40, height=40)
    under = [i for i, x in enumerate(texts) if x.box.grown(TEXT_MARGIN).contains(p)]
    if under:
        line = min(under, key=lambda i: texts[i].box.width * texts[i].box.height)
        block = next(b for b in text_blocks(texts) if line in b)
        box = texts[line].box
        for i in block:
            box = box.union(texts[i].box)
        return box.grown(4).union(_around(p, 12, 12))
    region = _smallest([r for r in t.regions if r.contains(p) and _small(r)])
    return region if region is not None else _around(p, 36, 36)


def field_box(t: Transition, texts: list[TextItem]) -> Box:
    """The input of a typing event: the changed region at (or next to) the pointer."""
    p = t.point
    near = [r for r in t.regions if r.height <= SMALL_REGION[1] and (p is None or _gap(r, p) <= 60)]
    region = _smallest([r for r in near if p is not None and r.contains(p)]) or _smallest(near)
    if region is not None:
        box = region.union(_around(p, 8, 8)) if p is not None else region
    elif p is not None:
        under = _smallest([x.box for x in texts if x.box.grown(TEXT_MARGIN).contains(p)])
        box = under.grown(6).union(_around(p, 8, 8)) if under is not None else _around(p, 240, 36)
    else:
        box = Box(x=0, y=0, width=240, height=36)
    return Box(x=box.x, y=box.y, width=max(box.width, 60.0), height=max(box.height, 24.0))


def _inside(t: TextItem, box: Box) -> bool:
    return box.contains(t.box.center)


def _caption(texts: list[TextItem], field: Box) -> int | None:
    """Index of the text that captions a field: just left of it on its row, or just above it."""
    best, best_gap = None, 1e9
    for i, t in enumerate(texts):
        b = t.box
        same_row = b.y < field.y + field.height and field.y < b.y + b.height
        if same_row and b.x + b.width <= field.x + 2 and field.x - (b.x + b.width) <= 160:
            gap = field.x - (b.x + b.width)
        elif b.y + b.height <= field.y + 2 and field.y - (b.y + b.height) <= 40 and b.x < field.x + field.width and field.x < b.x + b.width:
            gap = field.y - (b.y + b.height)
        else:
            continue
        if gap < best_gap:
            best, best_gap = i, gap
    return best


# ---------------------------------------------------------------------------------------
# HTML


def _pos(b: Box) -> str:
    return f"left:{b.x:.0f}px;top:{b.y:.0f}px;width:{b.width:.0f}px;height:{b.height:.0f}px"


def _text_html(t: TextItem, origin: Box | None = None, tag: str = "div", attrs: str = "") -> str:
    x, y = (t.box.x - origin.x, t.box.y - origin.y) if origin is not None else (t.box.x, t.box.y)
    return (
        f'<{tag} class="t"{attrs} style="left:{x:.0f}px;top:{y:.0f}px;color:{t.color};font-size:{t.font_px:.0f}px">'
        f"{html_lib.escape(t.text)}</{tag}>"
    )


def _img_html(state: StateLayout) -> list[str]:
    return [f'<img src="assets/{html_lib.escape(i.asset)}" alt="" style="{_pos(i.box)}">' for i in state.images]


def _click_items(state: StateLayout, t: Transition, k: int) -> list[str]:
    """The state's texts with the click's hot spot: a button holding the texts under it,
    inside a row container (a `<section>`, a context boundary) with the other texts of its
    row, so the rest of the page does not count as the button's context."""
    box = click_box(t, state.texts)
    inside = [x for x in state.texts if _inside(x, box)]
    rest = [x for x in state.texts if not _inside(x, box)]
    button = (
        f'<button class="hot" type="button" id="hot-{k}" style="{_pos(box)}">'
        + "".join(_text_html(x, box, "span") for x in inside)
        + "</button>"
    )
    row = [x for x in rest if x.box.y < box.y + box.height + 6 and box.y - 6 < x.box.y + x.box.height]
    others = [x for x in rest if x not in row]
    return [_text_html(x) for x in others] + ['<section class="row">' + "".join(_text_html(x) for x in row) + button + "</section>"]


def _type_items(state: StateLayout, t: Transition, k: int) -> list[str]:
    box = field_box(t, state.texts)
    inside = [x for x in state.texts if _inside(x, box)]
    rest = [x for x in state.texts if not _inside(x, box)]
    caption = _caption(rest, box)
    placeholder = " ".join(x.text for x in inside)
    size = max(11.0, min(box.height * 0.55, 20.0))
    field = (
        f'<input class="hot" type="text" id="field-{k}" placeholder="{html_lib.escape(placeholder)}" autocomplete="off"'
        f' style="{_pos(box)};font-size:{size:.0f}px">'
    )
    items = [
        _text_html(x, tag="label", attrs=f' for="field-{k}"') if i == caption else _text_html(x)
        for i, x in enumerate(rest)
    ]
    return [*items, field]


def state_html(state: StateLayout, transition: Transition | None, visible: bool) -> str:
    """One state as a fixed, full-viewport `<div class="state">` with its way out."""
    k = state.keyframe
    if transition is not None and transition.trigger == "click":
        items = _click_items(state, transition, k)
    elif transition is not None and transition.trigger == "type":
        items = _type_items(state, transition, k)
    else:
        items = [_text_html(x) for x in state.texts]
    style = f"display:{'block' if visible else 'none'};width:{state.width}px;height:{state.height}px;background:{state.background}"
    return f'<div class="state" id="state-{k}" style="{style}">\n' + "\n".join(_img_html(state) + items) + "\n</div>"


def build_replay_page(states: list[StateLayout], transitions: list[Transition], resolution: Resolution) -> str:
    """One page holding every state (ids 0..n-1); transition k leads from state k to k+1."""
    divs = "\n".join(
        state_html(s, transitions[i] if i < len(transitions) else None, visible=i == 0) for i, s in enumerate(states)
    )
    nxt = {str(i): {"kind": t.trigger, "to": i + 1, "scroll": t.by_scroll}
           for i, t in enumerate(transitions) if i + 1 < len(states)}
    start = resolution.height * 3
    script = SCRIPT % {"next": json.dumps(nxt), "start": start, "pause": TYPING_PAUSE_MS}
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Recorded trajectory</title>\n"
        f"<style>\nhtml, body {{ margin: 0; padding: 0; }}\n{STATE_CSS}\n{HOT_CSS}</style>\n</head>\n<body>\n"
        f"{divs}\n<div style=\"height:{resolution.height * 8}px\"></div>\n<script>{script}</script>\n</body>\n</html>\n"
    )
