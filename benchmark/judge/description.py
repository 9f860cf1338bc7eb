"""Parsing of action descriptions for the DOM grounder: quoted strings, content words, element
kinds, the ordinal of the target, its grid position (row, column, corner), absolute spatial
words and relations to anchors.

Ordinals bind to their noun: in "the second row" the ordinal is a row of a grid, in "the
second 'Add to cart' button" it is the target's rank among equals, and in "the third cell
of the second row" the target's rank fills the missing coordinate (column 3 of row 2).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

_QUOTE_RE = re.compile(
    r"\"([^\"]+)\"|“([^”]+)”|‘([^’]+)’|«([^»]+)»|(?:(?<=^)|(?<=[\s(\[:,/]))'([^']+?)'(?=$|[\s.,;:!?)\]/])"
)
# letters and digits split apart ("I4" -> "i", "4"; "7d" -> "7", "d") so grid labels match
_WORD_RE = re.compile(r"[a-z]+(?:['’][a-z]+)?|[0-9]+(?:[.,][0-9]+)*|[^\sa-z0-9]", re.I)

GRID_MEMBER_KIND = "card"  # the repeated unit of a grid: card, tile, cell, square, swatch, seat
KIND_WORDS: dict[str, str] = {
    "button": "button", "buttons": "button", "btn": "button",
    "link": "link", "links": "link", "hyperlink": "link",
    "field": "field", "input": "field", "textbox": "field", "textarea": "field", "textfield": "field",
    "box": "field", "bar": "field", "searchbox": "field",
    "tab": "tab", "tabs": "tab",
    "checkbox": "checkbox", "checkboxes": "checkbox", "tickbox": "checkbox",
    "radio": "radio",
    "toggle": "switch", "switch": "switch",
    "icon": "icon", "glyph": "icon",
    "image": "image", "picture": "image", "photo": "image", "thumbnail": "image", "img": "image", "logo": "image",
    "card": GRID_MEMBER_KIND, "cards": GRID_MEMBER_KIND, "tile": GRID_MEMBER_KIND, "tiles": GRID_MEMBER_KIND,
    "cell": GRID_MEMBER_KIND, "cells": GRID_MEMBER_KIND, "square": GRID_MEMBER_KIND, "squares": GRID_MEMBER_KIND,
    "swatch": GRID_MEMBER_KIND, "swatches": GRID_MEMBER_KIND, "seat": GRID_MEMBER_KIND, "seats": GRID_MEMBER_KIND,
    "menu": "menu", "menuitem": "menu",
    "dropdown": "select", "drop-down": "select", "select": "select", "combobox": "select", "selector": "select",
    "option": "option",
    "slider": "slider",
}
ORDINALS: dict[str, int] = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "last": -1,
}
NUMBER_WORDS: dict[str, int] = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                                "eight": 8, "nine": 9, "ten": 10}
ABSOLUTE_SPATIAL = {"top", "upper", "bottom", "lower", "left", "right", "leftmost", "rightmost", "topmost",
                    "bottommost", "middle", "center", "centre", "corner", "header", "footer"}
GRID_WORDS = {"row", "rows", "column", "columns", "grid", "board"}  # a corner of these is a grid position
_RELATIONS: list[tuple[str, str]] = [
    (r"to the left of|left of", "left_of"), (r"to the right of|right of", "right_of"),
    (r"below|under|underneath|beneath", "below"), (r"above|over", "above"),
    (r"next to|beside|besides|near|adjacent to|by", "near"),
]
_REL_RE = re.compile(r"\b(" + "|".join(p for p, _ in _RELATIONS)
                     + r")\s+(?:the\s+)?(.+?)(?=\s*(?:,|;|\.|\(|\band\b|\bthen\b|\bin\b|\bon\b|\bof\b|$))", re.I)
STOPWORDS = set(
    "a an the this that these those to of in on at for with from into onto by via and or then it its is are be "
    "which who where when while page screen area section part element item one ones currently shown displayed "
    "visible labeled labelled named called titled says saying reading text word words that's there here "
    "user you your his her their our my please".split()
)
VERBS = set("click clicks clicking tap taps press presses hit type types typing enter enters input fill select "
            "choose pick toggle check uncheck scroll scrolls open close hover focus double right-click".split())

_ORD = r"(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|\d+(?:st|nd|rd|th))"
_NUM = r"(\d+|" + "|".join(NUMBER_WORDS) + r")"
_AXIS = r"(rows?|columns?|cols?)"
_ORD_AXIS_RE = re.compile(rf"\b{_ORD}[\s-]+{_AXIS}\b", re.I)  # "second row", "last column"
_AXIS_NUM_RE = re.compile(rf"\b{_AXIS}\s*(?:#|no\.?\s*|number\s+)?{_NUM}\b", re.I)  # "row 2", "column three"
_EDGE_ROW_RE = re.compile(r"\b(top|upper|bottom|lower)(?:[\s-]?most)?[\s-]+row\b", re.I)
_EDGE_COL_RE = re.compile(r"\b(left|right)(?:[\s-]?most|[\s-]?hand)?[\s-]+column\b", re.I)
_CORNER_RE = re.compile(r"\b(top|upper|bottom|lower)[\s-]*(left|right)\b", re.I)
_ITEM_ORD_RE = re.compile(rf"\b{_ORD}\b", re.I)
_SUPERLATIVE_RE = re.compile(r"\b(left|right|top|bottom)most\b", re.I)
# "... of the Product performance table": a phrase that says where the target is
_CONTAINER_RE = re.compile(r"\b(?:of|in|on|inside|within|for|from)\s+(?:the\s+|a\s+|an\s+)?([^,;.()]+)", re.I)


def norm(s: str) -> str:
    s = s.lower().replace("’", "'").replace("−", "-").replace("×", "x")
    return re.sub(r"\s+", " ", s).strip(" .,:;!?")


def tokens(s: str) -> list[str]:
    """Lower-case word and symbol tokens; possessive 's dropped, look-alike symbols unified."""
    return list(_tokens_cached(s))


_HYPHEN_RE = re.compile(r"(?<=[a-z])-(?=[a-z])", re.I)  # "bottom-right", "face-down": one compound, no '-' token


@lru_cache(maxsize=16384)
def _tokens_cached(s: str) -> tuple[str, ...]:
    s = s.lower().replace("’", "'").replace("−", "-").replace("–", "-").replace("×", "x")
    s = _HYPHEN_RE.sub(" ", s)
    return tuple(t[:-2] if t.endswith("'s") else t for t in _WORD_RE.findall(s))


def strip_quotes(description: str) -> str:
    """The description with its quoted strings blanked out."""
    return _QUOTE_RE.sub(" ", description)


@dataclass(frozen=True)
class GridPosition:
    """A place in a grid of similar elements: 1-based row and column, -1 = the last; None =
    not given. `corner` when it came from corner words ('top-left')."""

    row: int | None = None
    col: int | None = None
    corner: bool = False
    rank_in_row: bool = False  # the column is a rank within the row ("the third cell of the second row")
    rank_in_col: bool = False  # the row is a rank within the column


@dataclass
class ParsedDescription:
    quotes: list[str]
    words: list[str]  # content words outside quotes
    kinds: set[str]
    ordinal: int | None  # the target's rank among equals (reading order), -1 = the last
    absolute: set[str]
    relations: list[tuple[str, str]]  # (relation, anchor phrase)
    grid: GridPosition | None = None
    context_words: set[str] = field(default_factory=set)  # words that name the target's container
    name_text: str = ""  # the unquoted text outside those phrases: where the target's own name may appear
    anchor_words: set[str] = field(default_factory=set)  # content words of the relations' anchors
    anchor_phrases: list[str] = field(default_factory=list)  # each relation's whole anchor phrase, quotes included
    context_quotes: list[str] = field(default_factory=list)  # quoted names of the target's container


def _ordinal_value(word: str) -> int:
    w = word.lower()
    if w in ORDINALS:
        return ORDINALS[w]
    digits = re.match(r"\d+", w)
    if digits is None:
        raise ValueError(f"not an ordinal: {word!r}")
    return int(digits.group())


def _parse_grid(text: str, kinds: set[str], toks: list[str]) -> tuple[GridPosition | None, int | None, str]:
    """The grid position, the target's own ordinal and the text left for content words."""
    row: int | None = None
    col: int | None = None

    def put(axis: str, value: int) -> None:
        nonlocal row, col
        if axis.lower().startswith("row"):
            row = value if row is None else row
        else:
            col = value if col is None else col

    def consume(pattern: re.Pattern[str], fn: Callable[[re.Match[str]], None]) -> None:
        nonlocal text
        for m in pattern.finditer(text):
            fn(m)
        text = pattern.sub(" ", text)

    consume(_ORD_AXIS_RE, lambda m: put(m.group(2), _ordinal_value(m.group(1))))
    consume(_AXIS_NUM_RE, lambda m: put(m.group(1), NUMBER_WORDS.get(m.group(2).lower()) or int(m.group(2))))
    consume(_EDGE_ROW_RE, lambda m: put("row", 1 if m.group(1).lower() in {"top", "upper"} else -1))
    consume(_EDGE_COL_RE, lambda m: put("col", 1 if m.group(1).lower() == "left" else -1))
    corner = False
    grid_context = row is not None or col is not None or bool(GRID_WORDS & set(toks)) or GRID_MEMBER_KIND in kinds
    m = _CORNER_RE.search(text)
    if m and grid_context and row is None and col is None:
        row = 1 if m.group(1).lower() in {"top", "upper"} else -1
        col = 1 if m.group(2).lower() == "left" else -1
        corner = True
        text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    om = _ITEM_ORD_RE.search(text)
    ordinal = _ordinal_value(om.group(1)) if om else None
    sm = _SUPERLATIVE_RE.search(text)
    if ordinal is None and sm is not None and (row is None) != (col is None):
        # "the rightmost button of the top row": its rank within that row
        edge = sm.group(1).lower()
        if row is not None and edge in ("left", "right"):
            ordinal = 1 if edge == "left" else -1
        elif col is not None and edge in ("top", "bottom"):
            ordinal = 1 if edge == "top" else -1
        if ordinal is not None:
            text = text[:sm.start()] + " " * (sm.end() - sm.start()) + text[sm.end():]
    rank_in_row = rank_in_col = False
    if ordinal is not None and (row is None) != (col is None):
        # "the third cell of the second row": the rank within the row is the column
        rank_in_row, rank_in_col = col is None, row is None
        row, col, ordinal = (row, ordinal, None) if col is None else (ordinal, col, None)
    grid = GridPosition(row, col, corner, rank_in_row, rank_in_col) if row is not None or col is not None else None
    return grid, ordinal, _ITEM_ORD_RE.sub(" ", text)


def parse_description(description: str, exclude_quote: str | None = None) -> ParsedDescription:
    """Split a description into quoted strings, content words and spatial/kind/ordinal/grid cues."""
    # an aside in parentheses ("(a bar and a left-pointing triangle)") describes the look: its
    # words are context, not the target's name
    asides = [m.span() for m in _ASIDE_RE.finditer(description)]
    relations, spans = _parse_relations(description, asides)
    containers = _container_spans(description)
    quotes: list[str] = []
    context_quotes: list[str] = []
    for m in _QUOTE_RE.finditer(description):
        q = next(g for g in m.groups() if g is not None).strip()
        in_anchor = any(a <= m.start() < b for a, b in spans)  # "under the 'Autocomplete' heading": the anchor's
        if not q or in_anchor or (exclude_quote is not None and q == exclude_quote):
            continue
        # "the 'Try it out' button of the 'GET /pets' section": the section's name, not the button's
        (context_quotes if any(a <= m.start() < b for a, b in containers) else quotes).append(q)
    # "left-most" -> "leftmost"; "first-move" -> "first move" (no ordinal leaves a '-' behind)
    rest = _HYPHEN_RE.sub(" ", _MOST_RE.sub(r"\1most", strip_quotes(description)))
    toks = without_instruction(tokens(rest))
    # kind words of an anchor ("under the Value box") or of an aside name something else than the target
    outside = strip_quotes(_blank(description, spans + asides))
    kinds = {KIND_WORDS[t] for t in without_instruction(tokens(outside)) if t in KIND_WORDS}
    if "check" in toks and "box" in toks:
        kinds.add("checkbox")
    _, _, left = _parse_grid(rest, kinds, toks)
    # where the target is: not from a place word that is part of a name or a look ("the
    # last-move button", "a right-pointing triangle"); an aside may still give a place ("(row 2, column 3)")
    place = _blank_name_compounds(_MOST_RE.sub(r"\1most", strip_quotes(description)))
    place = _HYPHEN_RE.sub(" ", place)
    grid, ordinal, place_left = _parse_grid(place, kinds, without_instruction(tokens(place)))
    # the words of a grid position ("the leftmost button of the top row") place it in the grid, not on the screen
    absolute = {t for t in without_instruction(tokens(place_left)) if t in ABSOLUTE_SPATIAL}
    word_toks = without_instruction(tokens(left))
    # relation anchors stay content words: they usually also name the target's container
    words = [
        t for t in word_toks
        if t not in STOPWORDS and t not in KIND_WORDS and t not in ORDINALS and t not in ABSOLUTE_SPATIAL
        and (re.fullmatch(r"[a-z0-9]+(?:'[a-z]+)?|[0-9]+(?:[.,][0-9]+)+", t) or t in "+-<>*/=%#@&$€£")
        and not re.fullmatch(r"left|right|of|next|beside|below|under|above|near", t)
    ]
    context, name_text = _context_phrases(outside, words)
    anchor_words = {t for a, b in spans for t in tokens(description[a:b]) if t in words}
    aside_words = {t for a, b in asides for t in tokens(description[a:b]) if t in words}
    return ParsedDescription(quotes, words, kinds, ordinal, absolute, relations, grid, context | anchor_words | aside_words,
                             name_text,
                             anchor_words, [description[a:b] for a, b in spans], context_quotes)


_MOST_RE = re.compile(r"\b(left|right|top|bottom)[\s-]most\b", re.I)
_ASIDE_RE = re.compile(r"\([^()]*\)")
_COMPOUND_RE = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b", re.I)
_PLACE_PARTS = ABSOLUTE_SPATIAL | set(ORDINALS) | {"row", "rows", "column", "columns", "col", "cols", "most", "hand", "side"}


def _blank_name_compounds(text: str) -> str:
    """`text` with every hyphenated compound blanked that joins a place word to another word
    ("last-move", "right-pointing", "top-level"): a name or a look, not a place. Compounds
    of place words only ("bottom-right", "second-row", "left-hand") stay."""
    def blank(m: re.Match[str]) -> str:
        parts = {w.lower() for w in m.group().split("-")}
        return " " * len(m.group()) if parts & _PLACE_PARTS and not parts <= _PLACE_PARTS else m.group()

    return _COMPOUND_RE.sub(blank, text)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the character spans blanked out (positions kept)."""
    for a, b in spans:
        text = text[:a] + " " * (b - a) + text[b:]
    return text


def _parse_relations(description: str, asides: list[tuple[int, int]]) -> tuple[list[tuple[str, str]], list[tuple[int, int]]]:
    """(relation, anchor phrase) pairs and the spans of their anchors. A quoted string in the
    anchor is the anchor's name ("under the 'Autocomplete' heading" -> 'Autocomplete'). A
    relation inside an aside ("(a small box followed by '4')") describes the look, not where
    the target is."""
    masked = _QUOTE_RE.sub(lambda m: "Q" * len(m.group()), description)  # quotes kept whole, same positions
    relations: list[tuple[str, str]] = []
    spans: list[tuple[int, int]] = []
    for m in _REL_RE.finditer(masked):
        if any(a <= m.start() < b for a, b in asides):
            continue
        rel = next(name for pat, name in _RELATIONS if re.fullmatch(pat, m.group(1).lower()))
        start, end = m.span(2)
        raw = description[start:end].strip()
        if rel == "near" and m.group(1).lower() == "by" and len(raw.split()) > 4:
            continue
        quoted = [next(g for g in q.groups() if g is not None) for q in _QUOTE_RE.finditer(raw)]
        anchor = quoted[0].strip() if quoted else raw
        if anchor:
            relations.append((rel, anchor))
            spans.append((start, end))
    return relations, spans


LEAD_FILLERS = frozenset({"now", "next", "then", "please", "just", "and"})


def without_instruction(toks: list[str]) -> list[str]:
    """The tokens after the leading instruction ('Click', 'Now double click', 'Then tap'): only
    that verb tells what to do; a verb later in the description names something ('the Close
    button', 'Open')."""
    i = 0
    while i < len(toks) and (toks[i] in LEAD_FILLERS or toks[i] in VERBS):
        i += 1
    return toks[i:] if any(t in VERBS for t in toks[:i]) else toks


def _container_matches(text: str) -> list[re.Match[str]]:
    """The phrases that place the target in a container ('of the Product performance table',
    'on the Sun Cap card'), not a phrase right after the leading verb ('Click on Settings')."""
    lead = re.match(r"\s*[a-z-]+\s+", text, re.I)
    return [m for m in _CONTAINER_RE.finditer(text)
            if not (lead and m.start() <= lead.end() and lead.group().strip().lower() in VERBS)]


def _container_spans(description: str) -> list[tuple[int, int]]:
    """Where the container phrases' objects are (quotes kept whole)."""
    masked = _QUOTE_RE.sub(lambda m: "Q" * len(m.group()), description)
    return [m.span(1) for m in _container_matches(masked)]


def _context_phrases(text: str, words: list[str]) -> tuple[set[str], str]:
    """The content words of the container phrases, and the text without those phrases."""
    matches = _container_matches(text)
    out = {t for m in matches for t in tokens(m.group(1)) if t in words}
    return out, _blank(text, [m.span() for m in matches])
