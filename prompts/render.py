"""Render the prompt templates of this folder: `render("draft", width=1280, ...)`.

Templates are Markdown files with `$name` placeholders (`string.Template`; `$$` is a literal
dollar). Every placeholder must be given a value, else `PromptError`; extra values are
ignored, so callers may pass one shared dict to several templates.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from ..core.errors import IwrError

PROMPTS_DIR = Path(__file__).resolve().parent


class PromptError(IwrError, KeyError):
    """A template that does not exist, or a placeholder left without a value."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "prompt error"


def template_names() -> list[str]:
    """Names of all templates (file stems)."""
    return sorted(p.stem for p in PROMPTS_DIR.glob("*.md") if p.stem.upper() != "README")


@cache
def _template(name: str) -> string.Template:
    path = PROMPTS_DIR / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"no prompt template {name!r} (known: {', '.join(template_names())})")
    return string.Template(path.read_text(encoding="utf-8"))


def placeholders(name: str) -> set[str]:
    """The placeholder names a template needs."""
    tmpl = _template(name)
    return {m.group("named") or m.group("braced") for m in tmpl.pattern.finditer(tmpl.template) if m.group("named") or m.group("braced")}


def render(name: str, **values: object) -> str:
    """The template `name` with every `$placeholder` replaced by `str(value)`."""
    missing = placeholders(name) - set(values)
    if missing:
        raise PromptError(f"prompt {name!r} is missing values for: {', '.join(sorted(missing))}")
    return _template(name).substitute({k: str(v) for k, v in values.items()})
