"""Static checks of a generated page that the repair step is told about.

Small models write scripts that look up elements the markup never defines
(`document.getElementById('display')` with no `id="display"`): the handler then throws at
the first click. The self-test sees the step fail; this check names the cause.
"""

from __future__ import annotations

import re

_ID_ATTR = re.compile(r"""\bid\s*=\s*["']?([\w:.-]+)""", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_BY_ID = re.compile(r"""getElementById\(\s*["']([\w:.-]+)["']\s*\)""")
_BY_SELECTOR = re.compile(r"""(?:querySelector(?:All)?|\$)\(\s*["']#([\w-]+)["']\s*\)""")
_SET_ID = re.compile(r"""\.id\s*=\s*["']([\w:.-]+)["']|setAttribute\(\s*["']id["']\s*,\s*["']([\w:.-]+)["']""")
_ASSET_REF = re.compile(r"""assets/([\w.%-]+)""")
MAX_NOTES = 5


def defined_ids(html: str) -> set[str]:
    """Ids in the markup, plus ids the scripts assign to elements they create."""
    ids = set(_ID_ATTR.findall(_SCRIPT.sub("", html)))
    for script in _SCRIPT.findall(html):
        for a, b in _SET_ID.findall(script):
            ids.add(a or b)
    return ids


def missing_ids(html: str) -> list[str]:
    """Ids the page's scripts look up that no element has, in order of first use."""
    scripts = "\n".join(_SCRIPT.findall(html))
    wanted = [m.group(1) for m in sorted([*_BY_ID.finditer(scripts), *_BY_SELECTOR.finditer(scripts)], key=lambda m: m.start())]
    have = defined_ids(html)
    return [i for i in dict.fromkeys(wanted) if i not in have]


def missing_id_notes(html: str) -> list[str]:
    """One line per missing id, for the repair prompt."""
    return [f'the script looks up #{i} but no element has id="{i}" (add the element or fix the script)'
            for i in missing_ids(html)[:MAX_NOTES]]


def missing_assets(html: str, available: list[str]) -> list[str]:
    """`assets/<name>` references to files the task does not have (small models invent 001.png ...)."""
    have = set(available)
    return [n for n in dict.fromkeys(_ASSET_REF.findall(html)) if n not in have]


def page_notes(html: str, available_assets: list[str]) -> list[str]:
    """What the repair is told about the page itself: missing ids, then invented asset files."""
    notes = missing_id_notes(html)
    invented = missing_assets(html, available_assets)
    if invented:
        shown = ", ".join(f"assets/{n}" for n in invented[:MAX_NOTES]) + (" ..." if len(invented) > MAX_NOTES else "")
        notes.append(f"the page uses {shown}, which do not exist; the only asset files are: "
                     + (", ".join(available_assets) or "none"))
    return notes
