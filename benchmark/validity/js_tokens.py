"""A small JavaScript tokenizer for source-level mutation (not a parser).

It knows enough of the lexical grammar to never mistake the inside of a string, template
literal, comment or regular-expression literal for code: that is all a mutator needs, and
it keeps working on syntax a Python JS parser may not know (ES2020+ operators, private
fields, top-level await). Template literals are split into their text parts and the code
of their `${...}` holes, which is tokenized as code.

Regular expressions are told from division by the previous significant token: after an
operand (a name, number, string, `)` or `]`) a `/` divides; elsewhere (after another
punctuator, `}` or a keyword such as `return`) it starts a regex literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ...core.errors import IwrError

Kind = Literal["name", "number", "string", "template", "regex", "comment", "punct"]

# longest first: maximal munch
_PUNCTUATORS = sorted(
    """>>>= ... === !== **= <<= >>= >>> &&= ||= ??= => == != <= >= && || ?? ?. ++ -- += -= *= /= %= &= |= ^= ** << >>
    { } ( ) [ ] ; , < > + - * / % & | ^ ! ~ ? : = . @""".split(),
    key=len,
    reverse=True,
)
# keywords after which a `/` starts a regex literal (they end no expression)
_REGEX_AFTER = frozenset(
    "return typeof instanceof in of new delete void throw case do else yield await extends".split()
)
_NAME_START = re.compile(r"[A-Za-z_$#\u0080-\uffff]")
_NAME = re.compile(r"#?[\w$\u0080-\uffff]+")
_NUMBER = re.compile(
    r"0[xX][0-9a-fA-F_]+n?|0[oO][0-7_]+n?|0[bB][01_]+n?|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?"
)


class TokenizeError(IwrError, ValueError):
    """The source ends inside a string, comment, template or regex literal."""


@dataclass(frozen=True)
class Token:
    """One token: its kind and its span `[start, end)` in the source."""

    kind: Kind
    start: int
    end: int
    text: str


def _string_end(src: str, i: int) -> int:
    quote, i = src[i], i + 1
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == quote:
            return i + 1
        if c == "\n":
            break
        i += 1
    raise TokenizeError(f"unterminated string at {i}")


def _template_part_end(src: str, i: int) -> tuple[int, bool]:
    """From inside a template's text: the end of this text part, and whether a `${` hole opened."""
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
        elif c == "`":
            return i + 1, False
        elif c == "$" and src.startswith("${", i):
            return i + 2, True
        else:
            i += 1
    raise TokenizeError("unterminated template literal")


def _regex_end(src: str, i: int) -> int:
    i, in_class = i + 1, False
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "\n":
            break
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            i += 1
            while i < len(src) and (src[i].isalnum() or src[i] == "_"):
                i += 1
            return i
        i += 1
    raise TokenizeError(f"unterminated regex literal at {i}")


def _regex_allowed(prev: Token | None) -> bool:
    if prev is None:
        return True
    if prev.kind == "punct":
        return prev.text not in (")", "]")
    if prev.kind == "name":
        return prev.text in _REGEX_AFTER
    return False  # number, string, template, regex: an operand ends here


def tokenize(src: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Every token of `src[start:end]`, spans relative to `src` (comments included)."""
    end = len(src) if end is None else end
    out: list[Token] = []
    braces: list[bool] = []  # per open `{`: True when it is a template `${` hole
    prev: Token | None = None  # last significant token
    i = start

    def add(kind: Kind, a: int, b: int) -> None:
        nonlocal prev
        tok = Token(kind, a, b, src[a:b])
        out.append(tok)
        if kind != "comment":
            prev = tok

    while i < end:
        c = src[i]
        if c.isspace():
            i += 1
        elif src.startswith("//", i) or src.startswith("<!--", i):
            j = src.find("\n", i)
            j = end if j < 0 else j
            add("comment", i, j)
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            if j < 0:
                raise TokenizeError(f"unterminated comment at {i}")
            add("comment", i, j + 2)
            i = j + 2
        elif c in "'\"":
            j = _string_end(src, i)
            add("string", i, j)
            i = j
        elif c == "`" or (c == "}" and braces and braces[-1]):
            if c == "}":
                braces.pop()
            j, hole = _template_part_end(src, i + 1)
            if hole:
                braces.append(True)
            add("template", i, j)
            i = j
        elif c == "/" and _regex_allowed(prev):
            j = _regex_end(src, i)
            add("regex", i, j)
            i = j
        elif c.isdigit() or (c == "." and i + 1 < end and src[i + 1].isdigit()):
            m = _NUMBER.match(src, i)
            assert m is not None
            add("number", i, m.end())
            i = m.end()
        elif _NAME_START.match(c):
            m = _NAME.match(src, i)
            assert m is not None
            add("name", i, m.end())
            i = m.end()
        else:
            p = next((p for p in _PUNCTUATORS if src.startswith(p, i)), c)
            if p == "?." and i + 2 < end and src[i + 2].isdigit():
                p = "?"  # `a ?.5 : b` is a conditional
            if p == "{":
                braces.append(False)
            elif p == "}" and braces:
                braces.pop()
            add("punct", i, i + len(p))
            i += len(p)
    if braces and braces[-1]:
        raise TokenizeError("unterminated template literal hole")
    return out


_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_JS_TYPES = {"", "module", "text/javascript", "application/javascript", "text/ecmascript", "application/ecmascript"}


def inline_scripts(html: str) -> list[tuple[int, int]]:
    """Spans `[start, end)` of the inline JavaScript blocks of an HTML document."""
    spans = []
    for m in _SCRIPT.finditer(html):
        attrs = m.group(1)
        if re.search(r"\bsrc\s*=", attrs, re.IGNORECASE):
            continue
        kind = re.search(r"\btype\s*=\s*[\"']?([^\"'\s>]*)", attrs, re.IGNORECASE)
        if kind is None or kind.group(1).lower() in _JS_TYPES:
            spans.append((m.start(2), m.end(2)))
    return spans


def significant(tokens: list[Token]) -> list[Token]:
    """The tokens without comments."""
    return [t for t in tokens if t.kind != "comment"]
