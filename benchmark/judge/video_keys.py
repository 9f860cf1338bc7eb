"""Which key a perceived key press pressed, read from the change it made on the recording.

Perception sees that a key was pressed (the screen changed while the pointer stood still) but
rarely which one. The change tells: one character appended to a line (or to a line that moved
in the same step, as a calculator's expression moving up to its history) is that character's
key; an operator's glyph is the key that types it ('÷' is '/'); a press that only took text
away from a large part of the screen (a dialog and its backdrop closed), or that put back the
screen a click had just changed (a lightbox, a menu), is Escape; right after
typing it is Enter; else nothing is pressed (Shift: the page changed by itself). Likewise a
click that left new text in the field it clicked typed that text (`typed_text`): perception
took the typing for a click (the press before it was seen).

A press whose key the change does not show (a slide deck's arrow keys, a wizard's) carries the
keys the replay may press instead when the recorded change does not come (`with_key_trial`,
tried by `key_trial`): the video cannot tell them apart, so any of them that makes the page
change as the recording did is the key.
"""

from __future__ import annotations

from ...core.geometry import Point
from ...tools.perception.types import PerceivedEvent
from ...tools.perception.visible_change import TextChange, VisibleChange
from ..task import Action, ActionParameters, ActionType
from .assertion_change import LARGE_CHANGE
from .assertion_tokens import tokens

GLYPH_KEYS = {"÷": "/", "×": "*", "−": "-", "–": "-", "·": "*"}  # typographic operators and the ASCII key that types them
GUESSED_KEY = "Enter"
NEAREST_MARGIN = 2.0  # the typed line is this many times nearer the pointer's height than any other
IDLE_KEY = "Shift"  # a key that does nothing on a page: the step waits for the recorded change
TRY_KEYS = "try_keys"  # ActionParameters extra: keys to press instead when the recorded change does not come
NAVIGATION_KEYS = ("ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp", "Space", "PageDown", "PageUp", "Home", "End",
                   "Escape", "Enter")  # keys that change a view without typing, in the order they are tried


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _appended(before: str, after: str) -> str | None:
    """The one character `after` adds at the end of `before` (spacing ignored), else None."""
    b, a = _squeezed(before), _squeezed(after)
    return a[-1] if len(a) == len(b) + 1 and a.startswith(b) else None


def typed_key(change: VisibleChange | None) -> str | None:
    """The key a keyboard step most likely pressed: one printable character appended to a
    line, to a line that moved (it disappeared and appeared elsewhere one character longer),
    or a line of one character appearing; None when unclear or ambiguous."""
    if change is None:
        return None
    found: set[str] = set()
    for t in change.texts:
        if t.kind in ("changed", "appeared") and (c := _appended(t.before, t.after)) is not None:
            found.add(c)
    gone = [t.before for t in change.texts if t.kind == "disappeared" and _squeezed(t.before)]
    for t in change.texts:
        if t.kind == "appeared":
            found.update(c for g in gone if (c := _appended(g, t.after)) is not None)
    keys = {GLYPH_KEYS.get(k, k) for k in found}
    keys = {k for k in keys if k.isascii() and k.isprintable() and not k.isspace()}
    return keys.pop() if len(keys) == 1 else None


def closing_press(change: VisibleChange | None) -> bool:
    """The press changed a large part of the screen and the lines that disappeared hold more
    words than those that appeared (lines read differently once a backdrop is gone are not
    counted): a dialog closed."""
    if change is None or change.changed_fraction < LARGE_CHANGE:
        return False
    lost = sum(len(tokens(t.before)) for t in change.texts if t.kind == "disappeared")
    gained = sum(len(tokens(t.after)) for t in change.texts if t.kind == "appeared")
    return lost > gained


def read_key(perceived: str | None, change: VisibleChange | None, after_typing: bool = True,
             undid_click: bool = False) -> str:
    """The key to replay for a key press: the typed character its change shows, else the key
    perception named, else Escape for a press that closed something (`closing_press`, or
    `undid_click`: the screen is back to how it was before the click that preceded it), else Enter right after
    typing (submitting it), else `IDLE_KEY`: a change with no input seen and no typing before
    it is most likely the page's own (a toast timing out), and Enter there would press the
    button just clicked again."""
    typed = typed_key(change)
    if typed is not None:
        return typed
    if perceived:
        return perceived
    if undid_click or closing_press(change):
        return "Escape"
    return GUESSED_KEY if after_typing else IDLE_KEY


def _new_text(t: TextChange) -> str | None:
    """What a line's change typed: the whole line when it appeared or replaced a line sharing
    no word with it (a placeholder), the added end when it grew; None when it kept words
    (a label updated, a mark added: not typing)."""
    after = " ".join(t.after.split())
    if t.kind == "appeared":
        return after
    before = " ".join(t.before.split())
    if after.startswith(before) and len(after) > len(before):
        return after[len(before):].lstrip()
    return after if not set(tokens(before)) & set(tokens(after)) else None


def typed_text(x: float, y: float, change: VisibleChange | None) -> str | None:
    """The text a click at (x, y) typed: in the changed region under the pointer, the line
    that appeared or changed as typing does (`_new_text`), starting left of the pointer (a
    field's text starts at its left edge; one clicks into it further right; left-to-right
    scripts), neither its old text nor its new
    one elsewhere on the other side (not a line that moved, as an accordion's header), and the one nearest the pointer's
    height by a clear margin when there are several (an autocomplete's suggestions under
    the field); None otherwise."""
    if change is None:
        return None
    region = next((r for r in change.regions if r.contains(Point(x=x, y=y))), None)
    if region is None or any(t.kind == "disappeared" and t.box.overlaps(region) for t in change.texts):
        return None
    shown_after = {"".join(t.after.split()) for t in change.texts if t.after}
    shown_before = {"".join(t.before.split()) for t in change.texts if t.before}
    typed = [(abs(t.box.y + t.box.height / 2 - y), text) for t in change.texts
             if t.kind in ("appeared", "changed") and t.box.overlaps(region) and t.box.x <= x and (text := _new_text(t))
             and "".join(t.before.split()) not in shown_after and "".join(t.after.split()) not in shown_before]
    typed.sort()
    if not typed or (len(typed) > 1 and typed[1][0] < NEAREST_MARGIN * typed[0][0]):
        return None
    text = typed[0][1]
    return text if len(text) >= 2 and any(c.isalnum() for c in text) else None


def with_key_trial(action: Action, event: PerceivedEvent | None) -> Action:
    """`action` with the keys the replay may try instead (`TRY_KEYS`) when perception saw no
    click (the pointer still) and named no key: a press whose key was read from the change or
    guessed, or a step read as a scroll because the content moved (an arrow key in a slide
    deck moves it so; a wheel leaves no trace on video either). They are pressed only when
    the step's own action does not bring the recorded change."""
    if event is None or event.kind == "click" or (event.key and event.key != GUESSED_KEY):
        return action
    if action.type not in (ActionType.PRESS, ActionType.SCROLL):
        return action
    params = action.parameters.model_copy(update={})
    setattr(params, TRY_KEYS, list(NAVIGATION_KEYS))
    return action.model_copy(update={"parameters": params})


def keys_to_try(action: Action) -> list[str]:
    """The keys a step may be replayed with instead of its own (`with_key_trial`)."""
    keys = (action.parameters.model_extra or {}).get(TRY_KEYS) or []
    return [str(k) for k in keys]


def pressing(action: Action, key: str) -> Action:
    """`action` as the press of `key` (no keys left to try)."""
    params = ActionParameters(description=f"Press {key} (the recording does not show which key)", key=key)
    return action.model_copy(update={"type": ActionType.PRESS, "parameters": params, "point": None})
