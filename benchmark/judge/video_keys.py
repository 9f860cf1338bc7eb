"""Which key a perceived key press pressed, read from the change it made on the recording.

Perception sees that a key was pressed (the screen changed while the pointer stood still) but
rarely which one. The change tells: one character appended to a line (or to a line that moved
in the same step, as a calculator's expression moving up to its history) is that character's
key; an operator's glyph is the key that types it ('÷' is '/'); a press that only took text
away from a large part of the screen (a dialog and its backdrop closed) is Escape; anything
else stays Enter.
"""

from __future__ import annotations

from ...tools.perception.visible_change import VisibleChange
from .assertion_change import LARGE_CHANGE
from .assertion_tokens import tokens

GLYPH_KEYS = {"÷": "/", "×": "*", "−": "-", "–": "-", "·": "*"}  # typographic operators and the ASCII key that types them
GUESSED_KEY = "Enter"


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


def read_key(perceived: str | None, change: VisibleChange | None) -> str:
    """The key to replay for a key press: the typed character its change shows, else the key
    perception named, else Escape for a press that closed something, else Enter."""
    typed = typed_key(change)
    if typed is not None:
        return typed
    if perceived:
        return perceived
    return "Escape" if closing_press(change) else GUESSED_KEY
