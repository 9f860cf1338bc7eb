"""Grounding: resolve an action's description to an element (or point) of the live page.

- `DomGrounder` (default, offline, deterministic): one injected JS function collects the
  visible, hit-testable interactive elements of the viewport (`dom_candidates.js`); Python
  scores each against the description: quoted strings (weigh most), remaining content words
  (own text vs container text), element-kind words, ordinals, absolute and relative spatial
  words, the pointer hint, and the look (`LookCue`: when the task recorded the target's box
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
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from rapidfuzz import fuzz

from ..task import Action, ActionType, Box, Point
from .description import (  # noqa: F401 - re-exported: the grounder's public parsing names
    ABSOLUTE_SPATIAL, GRID_MEMBER_KIND, KIND_WORDS, ORDINALS, STOPWORDS, VERBS, GridPosition, ParsedDescription,
    parse_description, strip_quotes,
)
from .description import norm as _norm
from .description import tokens as _tokens
from .grid import GridCell, at_position, grid_cells
from .types import Grounding

JS_DIR = Path(__file__).parent


@lru_cache(maxsize=None)
def load_js(name: str) -> str:
    """The source of a JS asset next to this module."""
    return (JS_DIR / name).read_text()


def __getattr__(name: str) -> Any:
    """`LLMGrounder` lives in `llm_grounding` (imported lazily: it pulls in the LLM gateway)."""
    if name == "LLMGrounder":
        from .llm_grounding import LLMGrounder

        return LLMGrounder
    raise AttributeError(name)


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

    async def ground(self, page: Any, action: Action, step: int, hint: Point | None, reference: Path | None,
                     look: LookCue | None = None) -> Grounding: ...


# ---------------------------------------------------------------------------------------
# Candidate scoring

TEXT_FIELDS = ("text", "aria", "label", "placeholder", "title", "alt", "value", "name")
FIELD_TYPES = {"", "text", "search", "email", "password", "number", "tel", "url", "date", "time", "datetime-local", "month", "week"}


def _has_words(c: dict[str, Any]) -> bool:
    """True when the candidate's own text or name holds a word (not only symbols or digits)."""
    return any(t.isalpha() and len(t) >= 2 for f in TEXT_FIELDS if c[f] for t in _tokens(c[f]))


def candidate_kinds(c: dict[str, Any], cell: GridCell | None = None) -> set[str]:
    """The element kinds a candidate counts as (button, link, field, checkbox, ...); a member
    of a grid of similar elements with no words of its own is the grid's unit (a card, tile,
    cell, square), whatever its tag."""
    tag, role, typ = c["tag"], c["role"], c["type"]
    k: set[str] = set()
    if tag == "button" or role == "button" or tag == "summary" or (tag == "input" and typ in {"button", "submit", "reset", "image"}):
        k.add("button")
    if tag == "a" or role == "link":
        k.add("link")
    if (tag == "input" and typ in FIELD_TYPES) or tag == "textarea" or c.get("editable") or role in {"textbox", "searchbox"}:
        k.add("field")
    if (tag == "input" and typ == "checkbox") or role in {"checkbox", "menuitemcheckbox"}:
        k.update({"checkbox", "switch"})
    if (tag == "input" and typ == "radio") or role in {"radio", "menuitemradio"}:
        k.add("radio")
    if role == "switch":
        k.update({"switch", "checkbox"})
    if role == "tab":
        k.add("tab")
    if tag == "select" or role in {"combobox", "listbox"} or c.get("haspopup"):
        k.add("select")
    if tag == "option" or role == "option":
        k.add("option")
    if role.startswith("menuitem") or c.get("haspopup"):
        k.add("menu")
    if (tag == "input" and typ == "range") or role == "slider":
        k.add("slider")
    if tag not in {"input", "select", "textarea", "label"} and (c.get("icon") or (c.get("img") and len(c["text"]) <= 2)):
        k.add("icon")
    if c.get("img") or tag == "img":
        k.add("image")
    _, _, w, h = c["box"]
    if c["reason"] in {"pointer", "onclick", "tabindex", "role"} and w >= 120 and h >= 80 and len(c["text"].split()) >= 3:
        k.add("card")
    if tag == "label":
        k.add("label")
    if cell is not None and not _has_words(c):
        k.add(GRID_MEMBER_KIND)
    return k


NAME_FIELDS = ("aria", "label", "placeholder", "title")


def _nested_counts(cands: list[dict[str, Any]]) -> list[int]:
    """For each candidate, how many other candidates lie inside its box (it is a container)."""
    boxes = [c["box"] for c in cands]
    out = []
    for i, (x, y, w, h) in enumerate(boxes):
        n = 0
        for j, (x2, y2, w2, h2) in enumerate(boxes):
            if i != j and w2 * h2 < w * h * 0.9 and x2 >= x - 1 and y2 >= y - 1 and x2 + w2 <= x + w + 1 and y2 + h2 <= y + h + 1:
                n += 1
        out.append(n)
    return out


@lru_cache(maxsize=8192)
def _padded(s: str) -> str:
    """Space-padded token string, so whole-token containment is a substring test."""
    return " " + " ".join(_tokens(s)) + " "


def _phrase_score(q: str, f: str) -> float:
    """How well field text `f` matches quoted phrase `q` (both normalised), in [0, 1]."""
    if not f or not q:
        return 0.0
    if f == q:
        return 1.0
    qt, ft = _padded(q), _padded(f)
    if qt in ft:
        return 0.5 + 0.45 * len(q) / len(f)
    if len(f) >= 2 and ft in qt:
        return 0.55 * len(f) / len(q)
    r = fuzz.ratio(q, f) / 100.0
    if r >= 0.8:
        return 0.85 * r
    pr = fuzz.partial_ratio(q, f) / 100.0 if len(q) >= 4 else 0.0
    return 0.5 * pr if pr >= 0.85 else 0.0


def _word_in(word: str, tokens: set[str]) -> bool:
    if word in tokens:
        return True
    if len(word) >= 4:
        return any(len(t) >= 4 and (t.startswith(word[:-1]) or word.startswith(t[:-1]) or fuzz.ratio(word, t) >= 85) for t in tokens)
    return False


def _name_in_description(own: list[str], desc_norm: str) -> float:
    """1.0 when one of the element's own names appears verbatim (as whole tokens) in the
    description, e.g. 'Click the About link' for a link named 'About', or '+' for a '+' button."""
    for f in own:
        toks = _tokens(f)
        if not toks or len(toks) > 8:
            continue
        if len(toks) == 1 and (toks[0] in STOPWORDS or toks[0] in VERBS or (toks[0].isalnum() and len(toks[0]) < 2)):
            continue
        if " " + " ".join(toks) + " " in desc_norm:
            return 1.0
    return 0.0


@dataclass
class Scored:
    cand: dict[str, Any]
    total: float
    text: float  # textual evidence in [0, 1]
    parts: dict[str, float] = field(default_factory=dict)


@dataclass
class GroundingWeights:
    """Weights of the DOM grounder's score components."""

    quote: float = 3.0
    words: float = 1.5
    kind: float = 1.0
    hint: float = 1.5
    absolute: float = 0.6
    relation: float = 1.5
    named: float = 1.5
    offscreen_penalty: float = 0.75
    field_for_type: float = 1.0
    disabled_penalty: float = 0.5
    look: float = 1.0  # similarity of the candidate's region to the recorded target's (one signal of many)
    grid: float = 1.5  # at the described row/column of a grid, for a candidate with no text to match
    # the same for a candidate with text: enough to decide between identical controls (more than the
    # ambiguity margin), less than the words of a named product (a reconstruction may lay a grid out anew)
    grid_text: float = 0.3


def _box_gap(a: list[float], b: list[float]) -> float:
    dx = max(0.0, max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2]))
    dy = max(0.0, max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3]))
    return math.hypot(dx, dy)


def _relation_score(rel: str, c: list[float], a: list[float]) -> float:
    cx, cy = c[0] + c[2] / 2, c[1] + c[3] / 2
    ax, ay = a[0] + a[2] / 2, a[1] + a[3] / 2
    if rel == "below":
        d = c[1] - (a[1] + a[3])
        return math.exp(-max(d, 0) / 150) * math.exp(-abs(cx - ax) / 300) if d >= -6 else 0.0
    if rel == "above":
        d = a[1] - (c[1] + c[3])
        return math.exp(-max(d, 0) / 150) * math.exp(-abs(cx - ax) / 300) if d >= -6 else 0.0
    if rel == "left_of":
        d = a[0] - (c[0] + c[2])
        return math.exp(-max(d, 0) / 150) * math.exp(-abs(cy - ay) / 80) if d >= -6 else 0.0
    if rel == "right_of":
        d = c[0] - (a[0] + a[2])
        return math.exp(-max(d, 0) / 150) * math.exp(-abs(cy - ay) / 80) if d >= -6 else 0.0
    return math.exp(-_box_gap(c, a) / 60)


def _find_anchor(phrase: str, snapshot: dict[str, Any]) -> list[float] | None:
    """Box of the visible text that best matches `phrase` (a text block or a candidate)."""
    p = _norm(re.sub(r"^(the|a|an)\s+", "", phrase.strip(), flags=re.I))
    p_words = [w for w in _tokens(p) if w not in STOPWORDS and w not in KIND_WORDS]
    if not p_words:
        return None
    best, best_box = 0.0, None
    items = [(t["text"], t["box"]) for t in snapshot["texts"]]
    items += [(" ".join(c[f] for f in TEXT_FIELDS if c[f]), c["box"]) for c in snapshot["candidates"]]
    for text, box in items:
        t = _norm(text)
        if not t:
            continue
        s = fuzz.token_set_ratio(" ".join(p_words), t) / 100.0
        s -= 0.002 * max(0, len(t) - 40)  # prefer short, specific texts
        if s > best:
            best, best_box = s, box
    return best_box if best >= 0.6 else None


def _reading_key(c: dict[str, Any]) -> tuple[float, float]:
    x, y, w, h = c["box"]
    return (round((y + h / 2) / max(12.0, h * 0.6)), x)


def score_candidates(
    snapshot: dict[str, Any], action: Action, hint: Point | None, weights: GroundingWeights | None = None,
    look: dict[int, float] | None = None,
) -> tuple[list[Scored], ParsedDescription]:
    """Score every candidate of a snapshot against the action; best first. `look` maps a
    candidate's `i` to its look similarity with the recorded target (see `look_scores`)."""
    w = weights or GroundingWeights()
    typed = action.text if action.type == ActionType.TYPE else None
    desc = parse_description(action.description, exclude_quote=typed)
    quotes = [_norm(q) for q in desc.quotes]
    vw, vh = snapshot["vw"], snapshot["vh"]
    anchors = [(rel, _find_anchor(phrase, snapshot)) for rel, phrase in desc.relations]
    anchors = [(rel, box) for rel, box in anchors if box is not None]
    has_text_terms = bool(quotes or desc.words)
    # unquoted names only: a quoted phrase already counts through `quote`
    desc_norm = " " + " ".join(_tokens(strip_quotes(action.description))) + " "
    scored: list[Scored] = []
    nested = _nested_counts(snapshot["candidates"])
    cells = grid_cells(snapshot["candidates"])
    for c, inner, cell in zip(snapshot["candidates"], nested, cells):
        # a container's text belongs to the controls inside it: it counts as context only
        fields = NAME_FIELDS if inner else TEXT_FIELDS
        own = [_norm(c[f]) for f in fields if c[f]]
        ctx, ctx2, card = _norm(c["ctx"]), _norm(c["ctx2"]), _norm(c.get("card", ""))
        if inner:
            ctx = _norm(c["text"] + " " + c["ctx"])
        parts: dict[str, float] = {}
        text_ev = 0.0
        if quotes:
            qs = []
            for q in quotes:
                own_s = max((_phrase_score(q, f) for f in own), default=0.0)
                ctx_s = 0.45 if q in card else 0.4 if q in ctx else (0.3 if q in ctx2 else 0.0)
                qs.append(max(own_s, ctx_s))
            parts["quote"] = sum(qs) / len(qs)
        if desc.words:
            own_toks = set(_tokens(" ".join(own)))
            ctx_toks, ctx2_toks, card_toks = set(_tokens(ctx)), set(_tokens(ctx2)), set(_tokens(card))
            per = []
            for word in desc.words:
                if _word_in(word, own_toks):
                    # a word of the container's phrase is no more the target's own name than context
                    per.append(0.8 if word in desc.context_words else 1.0)
                elif _word_in(word, card_toks):
                    per.append(0.9)  # the control's own card: more its own than a shared container
                elif _word_in(word, ctx_toks):
                    per.append(0.8)
                elif _word_in(word, ctx2_toks):
                    per.append(0.5)
                else:
                    per.append(0.0)
            recall = sum(per) / len(per)
            own_content = [t for t in own_toks if t not in STOPWORDS]
            target_words = [x for x in desc.words if x not in desc.context_words]
            precision = (sum(1 for t in own_content if any(_word_in(t, {x}) for x in target_words)) / len(own_content)) if own_content else 0.0
            parts["words"] = 0.75 * recall + 0.25 * precision
        named = _name_in_description(own, desc_norm)
        if named:
            parts["named"] = named
        if quotes and desc.words:
            text_ev = 0.7 * parts["quote"] + 0.3 * parts["words"]
        else:
            text_ev = parts.get("quote", parts.get("words", 0.0))
        text_ev = max(text_ev, named)
        kinds = candidate_kinds(c, cell)
        if desc.kinds:
            if kinds & desc.kinds:
                parts["kind"] = 1.0
            elif c["tag"] == "label" and desc.kinds & {"button", "icon", "link"}:
                parts["kind"] = 0.0  # a label is a field's caption: never a button/icon/link
            elif "button" in desc.kinds and (c["reason"] in {"pointer", "onclick", "tabindex"} or "link" in kinds):
                parts["kind"] = 0.6
            elif "icon" in desc.kinds and ("image" in kinds or c.get("icon")):
                parts["kind"] = 0.7
            elif "link" in desc.kinds and "button" in kinds:
                parts["kind"] = 0.4
            else:
                parts["kind"] = 0.0
        if action.type == ActionType.TYPE:
            parts["field"] = 1.0 if "field" in kinds else 0.0
        if hint is not None:
            parts["hint"] = math.exp(-_box_gap(c["box"], [hint.x, hint.y, 0, 0]) / 80.0)
        if desc.absolute:
            x, y, bw, bh = c["box"]
            cx, cy = (x + bw / 2) / vw, (y + bh / 2) / vh
            s = []
            for a in desc.absolute:
                if a in {"top", "upper", "topmost", "header"}:
                    s.append(1 - cy)
                elif a in {"bottom", "lower", "bottommost", "footer"}:
                    s.append(cy)
                elif a in {"left", "leftmost"}:
                    s.append(1 - cx)
                elif a in {"right", "rightmost"}:
                    s.append(cx)
                elif a in {"middle", "center", "centre"}:
                    s.append(1 - min(1.0, math.hypot(cx - 0.5, cy - 0.5) * 2))
            if s:
                parts["absolute"] = sum(s) / len(s)
        if anchors:
            rs = [_relation_score(rel, c["box"], box) if c["box"] != box else 0.0 for rel, box in anchors]
            parts["relation"] = sum(rs) / len(rs)
        if look:
            parts["look"] = look.get(c["i"], 0.0)
        if desc.grid is not None:
            parts["grid"] = 1.0 if at_position(cell, desc.grid) else 0.0
        w_grid = w.grid_text if (_has_words(c) or card) else w.grid
        total = (
            w.quote * parts.get("quote", 0.0)
            + w.words * parts.get("words", 0.0)
            + w.named * parts.get("named", 0.0)
            + w.kind * parts.get("kind", 0.0)
            + w.field_for_type * parts.get("field", 0.0)
            + w.hint * parts.get("hint", 0.0)
            + w.absolute * parts.get("absolute", 0.0)
            + w.relation * parts.get("relation", 0.0)
            + w.look * parts.get("look", 0.0)
            + w_grid * parts.get("grid", 0.0)
            - (w.disabled_penalty if c.get("disabled") else 0.0)
            - (w.offscreen_penalty if c.get("off") else 0.0)
        )
        scored.append(Scored(c, total, text_ev if has_text_terms else 1.0, parts))
    scored.sort(key=lambda s: (-s.total, s.cand["i"]))
    return scored, desc


def _apply_ordinal(scored: list[Scored], desc: ParsedDescription, margin: float) -> Scored | None:
    """The n-th (reading order) of the candidates scoring near the top, when an ordinal is given."""
    if desc.ordinal is None or not scored:
        return None
    top = scored[0].total
    group = [s for s in scored if s.total >= top - max(margin, 0.25 * abs(top))]
    group.sort(key=lambda s: _reading_key(s.cand))
    n = desc.ordinal
    if n == -1:
        return group[-1]
    return group[n - 1] if 0 < n <= len(group) else None


MAX_LOOK_CANDIDATES = 600


def look_scores(candidates: list[dict[str, Any]], current: Any, cue: LookCue) -> dict[int, float] | None:
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
        sim = crop_similarity(ref, target, current, tuple(c["box"]))
        if sim is not None:
            out[c["i"]] = sim
    return out or None


def _look_evidence(best: Scored, runner: Scored | None) -> dict[str, Any]:
    ev: dict[str, Any] = {"look": round(best.parts.get("look", 0.0), 4)}
    if runner is not None:
        ev["look_runner_up"] = round(runner.parts.get("look", 0.0), 4)
    return ev


def describe_candidate(c: dict[str, Any]) -> str:
    """A short human-readable label of a candidate: `<tag[role][type]> name`."""
    name = next((c[f] for f in ("aria", "text", "label", "placeholder", "title", "alt", "value") if c[f]), "")
    role = f"[role={c['role']}]" if c["role"] else ""
    typ = f"[type={c['type']}]" if c["type"] else ""
    return f"<{c['tag']}{role}{typ}> {name[:60]}".strip()


SCROLL_TARGET_JS = r"""
(args) => {
  const dir = args.direction, vw = innerWidth, vh = innerHeight;
  const canScroll = (el) => {
    const s = getComputedStyle(el);
    if (dir === 'left' || dir === 'right') {
      return /(auto|scroll|overlay)/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 2 &&
        (dir === 'right' ? el.scrollLeft + el.clientWidth < el.scrollWidth - 2 : el.scrollLeft > 0);
    }
    return /(auto|scroll|overlay)/.test(s.overflowY) && el.scrollHeight > el.clientHeight + 2 &&
      (dir === 'down' ? el.scrollTop + el.clientHeight < el.scrollHeight - 2 : el.scrollTop > 0);
  };
  const se = document.scrollingElement || document.documentElement;
  const winCan = (dir === 'down') ? (innerHeight + scrollY < se.scrollHeight - 2) : (dir === 'up') ? scrollY > 0
    : (dir === 'right') ? (innerWidth + scrollX < se.scrollWidth - 2) : scrollX > 0;
  const describe = (el) => '<' + el.tagName.toLowerCase() + '> ' + (el.getAttribute('aria-label') || (el.innerText || '').trim().slice(0, 40));
  const boxOf = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
  const inner = (x, y) => {
    let el = document.elementFromPoint(x, y);
    while (el && el !== document.body && el !== document.documentElement) {
      if (canScroll(el)) return el;
      el = el.parentElement;
    }
    return null;
  };
  if (args.page && winCan) {
    // the description names the page itself: wheel where no inner scroller catches the wheel
    const pts = args.hint ? [args.hint] : [];
    for (const fy of [0.5, 0.25, 0.75, 0.1, 0.9]) for (const fx of [0.5, 0.1, 0.9, 0.3, 0.7]) pts.push([vw * fx, vh * fy]);
    for (const pt of pts) if (!inner(pt[0], pt[1])) return { kind: 'window', point: pt, box: [0, 0, vw, vh], desc: 'window' };
  }
  if (args.hint) {
    const el = inner(args.hint[0], args.hint[1]);
    if (el) return { kind: 'element', point: args.hint, box: boxOf(el), desc: describe(el) };
    if (winCan) return { kind: 'window', point: args.hint, box: [0, 0, vw, vh], desc: 'window' };
  }
  if (winCan) return { kind: 'window', point: [vw / 2, vh / 2], box: [0, 0, vw, vh], desc: 'window' };
  let best = null, area = 0;
  const all = document.body ? document.body.getElementsByTagName('*') : [];
  for (let i = 0; i < all.length && i < 20000; i++) {
    const el = all[i];
    if (el.scrollHeight <= el.clientHeight + 2 && el.scrollWidth <= el.clientWidth + 2) continue;
    const r = el.getBoundingClientRect();
    const w = Math.min(r.right, vw) - Math.max(r.left, 0), h = Math.min(r.bottom, vh) - Math.max(r.top, 0);
    if (w <= 0 || h <= 0 || !canScroll(el)) continue;
    if (w * h > area) { area = w * h; best = el; }
  }
  if (best) {
    const b = boxOf(best);
    const x = Math.max(0, b[0]) + Math.min(b[2], vw) / 2, y = Math.max(0, b[1]) + Math.min(b[3], vh) / 2;
    return { kind: 'element', point: [Math.min(x, vw - 1), Math.min(y, vh - 1)], box: b, desc: describe(best) };
  }
  return { kind: 'window', point: [vw / 2, vh / 2], box: [0, 0, vw, vh], desc: 'window (nothing scrollable)' };
}
"""

POINT_JS = r"""
(p) => {
  const el = document.elementFromPoint(p[0], p[1]);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  const name = el.getAttribute('aria-label') || (el.innerText || el.value || '').trim().slice(0, 60);
  return { box: [r.left, r.top, r.width, r.height], desc: '<' + el.tagName.toLowerCase() + '> ' + name };
}
"""


REVEAL_JS = r"""
(i) => {
  const el = (window[Symbol.for('iwr.candidates')] || [])[i];
  if (!el || !el.isConnected) return null;
  el.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
  const r = el.getBoundingClientRect();
  const xs = [0.5, 0.25, 0.75], vw = innerWidth, vh = innerHeight;
  for (const fx of xs) for (const fy of xs) {
    const x = r.left + r.width * fx, y = r.top + r.height * fy;
    if (x < 0 || y < 0 || x >= vw || y >= vh) continue;
    const h = Document.prototype.elementFromPoint.call(document, x, y);
    if (h && (h === el || el.contains(h) || (h.tagName === 'LABEL' && h.control === el))) {
      return { box: [r.left, r.top, r.width, r.height], pt: [Math.round(x), Math.round(y)] };
    }
  }
  return null;
}
"""


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


async def ground_point(page: Any, point: Point) -> Grounding:
    """The element at an explicit point (method "point")."""
    info = await page.evaluate(POINT_JS, [point.x, point.y])
    if info is None:
        return Grounding(method="point", found=False, point=point, error="no element at point")
    x, y, w, h = info["box"]
    return Grounding(method="point", found=True, point=point, box=Box(x=x, y=y, width=w, height=h), element=info["desc"], candidates=1)


_PAGE_SCROLL_RE = re.compile(r"\bscroll(?:s|ing)?\s+(?:(?:up|down|left|right|back)\s+)?(?:the\s+|this\s+)?(?:\w+\s+)?(page|window|screen|site)\b", re.I)


def names_the_page(action: Action) -> bool:
    """True when a Scroll's description scrolls the page itself ('Scroll the page down')."""
    return bool(_PAGE_SCROLL_RE.search(action.description))


async def ground_scroll(page: Any, action: Action, hint: Point | None, method: str) -> Grounding:
    """Where to wheel for a Scroll: the window when the description names the page, else
    the scroll container under the hint, else the window."""
    hint_xy = [action.point.x, action.point.y] if action.point else ([hint.x, hint.y] if hint else None)
    info = await page.evaluate(SCROLL_TARGET_JS, {"direction": scroll_direction(action), "hint": hint_xy,
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

    async def snapshot(self, page: Any) -> dict[str, Any]:
        """The candidates and text blocks of the current viewport."""
        raw = await page.evaluate(load_js("dom_candidates.js"), {"maxNodes": self.max_nodes, "maxMillis": self.max_millis})
        return json.loads(raw)

    async def ground(self, page: Any, action: Action, step: int, hint: Point | None, reference: Path | None,
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

    async def _reveal(self, page: Any, g: Grounding, index: int) -> Grounding:
        """Scroll an off-screen choice into view (as a click by locator would) and re-aim."""
        info = await page.evaluate(REVEAL_JS, index)
        if not info:
            return g.model_copy(update={"found": False, "error": "target could not be scrolled into view"})
        x, y, w, h = info["box"]
        return g.model_copy(update={"point": Point(x=info["pt"][0], y=info["pt"][1]), "box": Box(x=x, y=y, width=w, height=h)})

    def choose(self, snap: dict[str, Any], action: Action, hint: Point | None,
               looks: dict[int, float] | None = None) -> Grounding:
        """Pick the best candidate of a snapshot (pure; used by `ground`)."""
        return self._pick(snap, action, hint, looks)[0]

    def _look_can_matter(self, g: Grounding) -> bool:
        """True when adding the look (at most `weights.look`) could change the choice or its
        ambiguity: the runner-up is within that much of the best."""
        if self.weights.look <= 0 or g.score is None or g.runner_up is None:
            return False
        return g.score - g.runner_up <= self.weights.look + self.ambiguity_margin

    async def _looks(self, page: Any, snap: dict[str, Any], cue: LookCue) -> dict[int, float] | None:
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

    def _pick(self, snap: dict[str, Any], action: Action, hint: Point | None,
              looks: dict[int, float] | None = None) -> tuple[Grounding, dict[str, Any] | None]:
        scored, desc = score_candidates(snap, action, hint, self.weights, looks)
        if not scored:
            return Grounding(method=self.name, found=False, error="no visible interactive element", candidates=0), None
        best = _apply_ordinal(scored, desc, self.ambiguity_margin)
        by_ordinal = best is not None
        if best is None:
            best = scored[0]
        others = [s for s in scored if s is not best]
        runner = others[0].total if others else None
        has_terms = bool(desc.quotes or desc.words)
        evidence_ok = best.text >= self.min_text_evidence
        kind_and_hint = best.parts.get("kind", 0.0) >= 0.6 and best.parts.get("hint", 0.0) >= 0.5
        # a textless target at the described place of a grid: its position is its evidence
        positional = (best.parts.get("grid", 0.0) >= 1.0 and not desc.quotes
                      and (not desc.kinds or best.parts.get("kind", 0.0) >= 0.6))
        found = evidence_ok or kind_and_hint or positional or (not has_terms and (bool(desc.kinds) or "hint" in best.parts or by_ordinal or bool(desc.absolute) or bool(desc.relations)))
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
