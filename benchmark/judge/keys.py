"""Key names: what a Press action asks for, as Playwright names it."""

from __future__ import annotations

import re

from ..task import Action

_KEY_NAMES = {
    "enter": "Enter", "return": "Enter", "esc": "Escape", "escape": "Escape", "space": "Space", "spacebar": "Space",
    "tab": "Tab", "backspace": "Backspace", "delete": "Delete", "del": "Delete", "home": "Home", "end": "End",
    "pageup": "PageUp", "pagedown": "PageDown", "up": "ArrowUp", "down": "ArrowDown", "left": "ArrowLeft",
    "right": "ArrowRight", "arrowup": "ArrowUp", "arrowdown": "ArrowDown", "arrowleft": "ArrowLeft",
    "arrowright": "ArrowRight", "uparrow": "ArrowUp", "downarrow": "ArrowDown", "leftarrow": "ArrowLeft",
    "rightarrow": "ArrowRight", "ctrl": "Control", "control": "Control", "cmd": "Meta", "command": "Meta",
    "meta": "Meta", "alt": "Alt", "option": "Alt", "shift": "Shift", "insert": "Insert",
}


def normalise_key(raw: str) -> str:
    """A Playwright key name for names like 'Enter', 'Esc', 'arrow left', 'ctrl+a', 'F5', 'a'."""
    parts = [p.strip() for p in re.split(r"\s*\+\s*", raw.strip()) if p.strip()] or [raw]
    out = []
    for p in parts:
        k = re.sub(r"[\s_-]+", "", p).lower()
        if k in _KEY_NAMES:
            out.append(_KEY_NAMES[k])
        elif re.fullmatch(r"f\d{1,2}", k):
            out.append(k.upper())
        elif len(p) == 1:
            out.append(p)
        else:
            out.append(p[:1].upper() + p[1:])
    return "+".join(out)


def key_of(action: Action) -> str | None:
    """The key to press: `parameters.key`, else a quoted or named key in the description."""
    if action.parameters.key:
        return normalise_key(action.parameters.key)
    d = action.description
    m = re.search(r"[\"'“‘]([^\"'”’]{1,24})[\"'”’]", d)
    if m:
        return normalise_key(m.group(1))
    words = re.findall(r"[A-Za-z0-9]+", d)
    for i, w in enumerate(words):
        lw = w.lower()
        if lw == "arrow" and i + 1 < len(words) and words[i + 1].lower() in {"up", "down", "left", "right"}:
            return normalise_key("arrow" + words[i + 1])
        if lw in {"up", "down", "left", "right"} and i + 1 < len(words) and words[i + 1].lower() == "arrow":
            return normalise_key("arrow" + lw)
        if lw in _KEY_NAMES and lw not in {"up", "down", "left", "right", "option", "control", "delete", "end", "home", "tab"}:
            return normalise_key(lw)
    for lw in ("enter", "escape", "tab", "delete", "home", "end"):
        if re.search(rf"\b{lw}\b", d, re.I):
            return normalise_key(lw)
    return None
