"""The shape of what `dom_candidates.js` returns: the page's clickable candidates and visible texts.

Boxes are CSS pixels `[left, top, width, height]` in the viewport; `pt` is the point where the
candidate itself is hit (None for one outside the viewport, `off`).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

TextField = Literal["text", "aria", "label", "placeholder", "title", "alt", "value", "name"]


class DomCandidate(TypedDict):
    """One element a pointer or keyboard action could target."""

    i: int  # document order
    off: bool  # outside the viewport
    tag: str
    role: str
    type: str
    text: str  # own visible text
    aria: str
    label: str
    placeholder: str
    title: str
    alt: str
    value: str
    name: str
    ctx: str  # nearest container's text
    ctx2: str  # a larger container's text
    heading: str  # the last heading before it in document order
    box: list[float]
    pt: list[float] | None
    reason: str  # why it counts as clickable
    icon: bool
    img: bool
    checked: bool
    disabled: bool
    editable: bool
    haspopup: bool
    card: NotRequired[str]  # own container's text, for identical controls (each product card's 'Add')


class DomText(TypedDict):
    """A visible text node's text and box."""

    text: str
    box: list[float]


class DomSnapshot(TypedDict):
    """The viewport size, the candidates and texts, and whether the walk was cut short."""

    vw: float
    vh: float
    candidates: list[DomCandidate]
    texts: list[DomText]
    truncated: bool
    millis: float
