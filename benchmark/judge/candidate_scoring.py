"""Scoring of the DOM grounder's candidates against a parsed description: quoted strings
(weigh most), content words (own text, own card, container text; words of the phrase that
places the target count as context), element kinds, the grid position of textless members of
a grid, absolute and relative spatial words, the pointer hint and the look; the ordinal of
the target among the top scorers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from ..task import Action, ActionType, Point
from .description import (
    GRID_MEMBER_KIND,
    KIND_WORDS,
    STOPWORDS,
    ParsedDescription,
    parse_description,
    strip_quotes,
    without_instruction,
)
from .description import norm as _norm
from .description import tokens as _tokens
from .dom_types import DomCandidate, DomSnapshot, TextField
from .grid import GridCell, at_position, grid_cells

TEXT_FIELDS: tuple[TextField, ...] = ("text", "aria", "label", "placeholder", "title", "alt", "value", "name")
FORM_TAGS = frozenset({"input", "select", "textarea", "label"})  # never an icon, however small
FIELD_TYPES = {"", "text", "search", "email", "password", "number", "tel", "url", "date", "time", "datetime-local",
               "month", "week"}


def _has_words(c: DomCandidate) -> bool:
    """True when the candidate's own text or name holds a word (not only symbols or digits)."""
    return any(t.isalpha() and len(t) >= 2 for f in TEXT_FIELDS if c[f] for t in _tokens(c[f]))


def candidate_kinds(c: DomCandidate, cell: GridCell | None = None) -> set[str]:
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
    if tag not in FORM_TAGS and (c.get("icon") or (c.get("img") and len(c["text"]) <= 2)):
        k.add("icon")
    if c.get("img") or tag == "img":
        k.add("image")
    _, _, w, h = c["box"]
    if c["reason"] in {"pointer", "onclick", "tabindex", "role", "draggable",
                       "listener"} and w >= 120 and h >= 80 and len(c["text"].split()) >= 3:
        k.add("card")
    if tag == "label":
        k.add("label")
    if cell is not None and not _has_words(c):
        k.add(GRID_MEMBER_KIND)
    return k


NAME_FIELDS: tuple[TextField, ...] = ("aria", "label", "placeholder", "title")


def _nested_counts(cands: list[DomCandidate]) -> list[int]:
    """For each candidate, how many other candidates lie inside its box (it is a container)."""
    boxes = [c["box"] for c in cands]
    return [sum(1 for j, inner in enumerate(boxes) if j != i and _inside(inner, outer, 0.9)) for i, outer in enumerate(boxes)]


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
        if len(toks) == 1 and (toks[0] in STOPWORDS or (toks[0].isalnum() and len(toks[0]) < 2)):
            continue
        if " " + " ".join(toks) + " " in desc_norm:
            return 1.0
    return 0.0


@dataclass
class Scored:
    cand: DomCandidate
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


def _find_anchor(phrase: str, snapshot: DomSnapshot) -> list[float] | None:
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


def _kinds_named(text: str) -> set[str]:
    """The element kinds a phrase names ("the Value box" -> field)."""
    return {KIND_WORDS[t] for t in _tokens(strip_quotes(text)) if t in KIND_WORDS}


def _content(text: str) -> set[str]:
    """The content words of a text (no stop words, kind words or symbols)."""
    return {t for t in _tokens(text) if t.isalnum() and t not in STOPWORDS and t not in KIND_WORDS}


def _inside(inner: list[float], outer: list[float], max_area: float = 1.0) -> bool:
    """True when box `inner` lies within box `outer` (a pixel of slack) and covers less than
    `max_area` of it."""
    x, y, w, h = outer
    x2, y2, w2, h2 = inner
    return w2 * h2 < w * h * max_area and x2 >= x - 1 and y2 >= y - 1 and x2 + w2 <= x + w + 1 and y2 + h2 <= y + h + 1


def _reading_key(c: DomCandidate) -> tuple[float, float]:
    x, y, _w, h = c["box"]
    return (round((y + h / 2) / max(12.0, h * 0.6)), x)


def score_candidates(
    snapshot: DomSnapshot, action: Action, hint: Point | None, weights: GroundingWeights | None = None,
    look: dict[int, float] | None = None,
) -> tuple[list[Scored], ParsedDescription]:
    """Score every candidate of a snapshot against the action; best first. `look` maps a
    candidate's `i` to its look similarity with the recorded target (see `look_scores`)."""
    w = weights or GroundingWeights()
    typed = action.text if action.type == ActionType.TYPE else None
    desc = parse_description(action.description, exclude_quote=typed)
    quotes = [_norm(q) for q in desc.quotes]
    context_quotes = [_norm(q) for q in desc.context_quotes]
    vw, vh = snapshot["vw"], snapshot["vh"]
    found = [(rel, _find_anchor(phrase, snapshot), _content(phrase), _kinds_named(raw))
             for (rel, phrase), raw in zip(desc.relations, desc.anchor_phrases, strict=True)]
    anchors = [(rel, box, words, kinds) for rel, box, words, kinds in found if box is not None]
    has_text_terms = bool(quotes or context_quotes or desc.words)
    # unquoted names only: a quoted phrase already counts through `quote`
    # ... and outside the phrases that name the target's container ('of the Product table')
    desc_norm = " " + " ".join(without_instruction(_tokens(desc.name_text))) + " "
    scored: list[Scored] = []
    nested = _nested_counts(snapshot["candidates"])
    cells = grid_cells(snapshot["candidates"])
    for c, inner, cell in zip(snapshot["candidates"], nested, cells, strict=True):
        if c["reason"] == "listener" and inner:
            continue  # a delegated listener: the controls inside it are the targets
        # a container's text belongs to the controls inside it: it counts as context only
        fields = NAME_FIELDS if inner else TEXT_FIELDS
        own = [_norm(c[f]) for f in fields if c[f]]
        ctx, ctx2, card = _norm(c["ctx"]), _norm(c["ctx2"]), _norm(c.get("card", ""))
        heading = _norm(c.get("heading", ""))  # its section's title: context like its container's text
        if inner:
            ctx = _norm(c["text"] + " " + c["ctx"])
        parts: dict[str, float] = {}
        text_ev = 0.0
        if quotes or context_quotes:
            qs = []
            for q, named_own in [(q, True) for q in quotes] + [(q, False) for q in context_quotes]:
                own_s = max((_phrase_score(q, f) for f in own), default=0.0) if named_own else 0.0
                ctx_s = 0.45 if q in card else 0.4 if (q in ctx or q in heading) else (0.3 if q in ctx2 else 0.0)
                qs.append(max(own_s, ctx_s))
            parts["quote"] = sum(qs) / len(qs)
        if desc.words:
            own_toks = set(_tokens(" ".join(own)))
            ctx_toks, ctx2_toks, card_toks = set(_tokens(ctx + " " + heading)), set(_tokens(ctx2)), set(_tokens(card))
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
            precision = (sum(1 for t in own_content if any(_word_in(t,
                                                                    {x}) for x in target_words)) / len(own_content)) if own_content else 0.0
            parts["words"] = 0.75 * recall + 0.25 * precision
        named = _name_in_description(own, desc_norm)
        if named:
            parts["named"] = named
        text_ev = (0.7 * parts["quote"] + 0.3 * parts["words"] if (quotes or context_quotes) and desc.words
                   else parts.get("quote", parts.get("words", 0.0)))
        text_ev = max(text_ev, named)
        kinds = candidate_kinds(c, cell)
        if desc.kinds:
            if kinds & desc.kinds:
                parts["kind"] = 1.0
            elif c["tag"] == "label" and desc.kinds & {"button", "icon", "link"}:
                parts["kind"] = 0.0  # a label is a field's caption: never a button/icon/link
            elif "button" in desc.kinds and (c["reason"] in {"pointer", "onclick", "tabindex", "listener"} or "link" in kinds):
                parts["kind"] = 0.6
            elif "icon" in desc.kinds and ("image" in kinds or (c.get("icon") and c["tag"] not in FORM_TAGS)):
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
            # the viewport, clamped: an off-screen control is at the edge it lies beyond, not 7 screens down
            cx, cy = min(1.0, max(0.0, (x + bw / 2) / vw)), min(1.0, max(0.0, (y + bh / 2) / vh))
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
                # a corner is near both of its edges; other spatial words count on average
                parts["absolute"] = min(s) if "corner" in desc.absolute else sum(s) / len(s)
        if anchors:
            # the anchor itself is not the target: the box the phrase names, or a control its words
            # name when the phrase names its kind or it is not of the target's kind ("the 'Authorize'
            # button under the Value box": the Value field; "the checkbox left of the 'Milk' task":
            # not the checkbox labelled 'Milk')
            own_words = _content(" ".join(own))
            rs = [0.0 if c["box"] == box or (own_words and own_words <= words and (bool(a_kinds & kinds) or not desc.kinds & kinds))
                  else _relation_score(rel, c["box"], box) for rel, box, words, a_kinds in anchors]
            parts["relation"] = sum(rs) / len(rs)
        if look:
            parts["look"] = look.get(c["i"], 0.0)
        if desc.grid is not None:
            # a place in a grid of other things ("the leftmost button of the top row" is not a board point)
            fits = not desc.kinds or parts.get("kind", 0.0) >= 1.0
            parts["grid"] = 1.0 if fits and at_position(cell, desc.grid) else 0.0
        # a control whose text the description does not name has only its place to go by
        w_grid = w.grid_text if (_has_words(c) or card) and text_ev > 0 else w.grid
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
    # a container of other members (a board with a delegated listener) is not one of the equals
    group = [s for s in group if not any(o is not s and _inside(o.cand["box"], s.cand["box"]) for o in group)] or group
    group.sort(key=lambda s: _reading_key(s.cand))
    n = desc.ordinal
    if n == -1:
        return group[-1]
    return group[n - 1] if 0 < n <= len(group) else None
