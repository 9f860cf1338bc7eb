"""Deterministic mechanical mutants of a web app's own scripts.

A mutant is one find/replace patch (file, character offset, original text, replacement),
applied to a temporary copy of the app. Five operators, each at the token level (see
`js_tokens`), so strings, template text, comments and regex literals are never touched:

- `listener`: an event registration is removed: `.addEventListener(` becomes
  `.removeEventListener(` (same arguments, registers nothing), `el.onclick = f` stores
  the handler under a property the browser never calls, and an inline HTML `onclick=`
  attribute is renamed to a `data-` attribute;
- `comparison`: `<` -> `>=`, `<=` -> `>`, `>` -> `<=`, `>=` -> `<`, `===` <-> `!==`, `==` <-> `!=`;
- `arithmetic`: `+` <-> `-`, `*` <-> `/` (binary only), `%` -> `*`, `+=` <-> `-=`, `*=` <-> `/=`, `++` <-> `--`;
- `constant`: a number n -> n + 1, except 0 -> 1 and 1 -> 0;
- `statement`: a statement ending in `;` and holding no braces is dropped (statements of
  brace-free, semicolon-terminated form only; an `if` whose `else` follows is kept).

Only the app's own scripts are mutated: `.js`/`.mjs` files and inline `<script>` blocks
of `.html` files, but never files under `node_modules`/`vendor`, `*.min.js`, files over
`MAX_SCRIPT_BYTES` or files that look minified (see `looks_minified`): those are libraries.
`select_mutants(app_dir, n, seed)` picks the same mutants for the same files and seed.
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from ...core.errors import IwrError
from .js_tokens import Token, TokenizeError, inline_scripts, significant, tokenize

Operator = Literal["listener", "comparison", "arithmetic", "constant", "statement"]
OPERATORS: tuple[Operator, ...] = ("listener", "comparison", "arithmetic", "constant", "statement")

MAX_SCRIPT_BYTES = 200_000  # an app's own script is rarely larger; bundles and libraries are
MINIFIED_LINE = 500  # characters: hand-written code does not have lines this long
SKIPPED_DIRS = frozenset({"node_modules", "vendor", "vendors", "lib", "libs", "third_party", "__pycache__"})

_FLIP = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "===": "!==", "!==": "===", "==": "!=", "!=": "=="}
_ARITH = {"+": "-", "-": "+", "*": "/", "/": "*", "%": "*", "+=": "-=", "-=": "+=", "*=": "/=", "/=": "*=",
          "++": "--", "--": "++"}
_BINARY_ONLY = {"*", "/", "%"}  # `*` also marks generators (`function*`, `yield*`, `import * as`)
_NO_DROP_START = {"else", "case", "default", "catch", "finally"}
_HTML_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_HTML_HANDLER = re.compile(r"(?<=[\s\"'])on[a-z]+(?=\s*=)")


class MutantError(IwrError, ValueError):
    """A mutant does not fit the file it is applied to (already applied, or another file)."""


class Mutant(BaseModel):
    """One patch of one file of the app: `original` at `offset` becomes `replacement`."""

    id: str
    operator: Operator
    file: str  # app-relative, POSIX
    offset: int  # in characters of the UTF-8 decoded file
    line: int
    original: str
    replacement: str

    @property
    def description(self) -> str:
        def short(s: str) -> str:
            s = " ".join(s.split())
            return s if len(s) <= 60 else s[:57] + "..."

        return f"{self.file}:{self.line} {self.operator}: {short(self.original)!r} -> {short(self.replacement)!r}"


def looks_minified(text: str) -> bool:
    """True when a line is longer than `MINIFIED_LINE` characters (bundlers join lines)."""
    return any(len(line) > MINIFIED_LINE for line in text.splitlines())


def own_scripts(app_dir: Path) -> list[Path]:
    """The app's own script files (and HTML files with inline scripts), sorted."""
    out = []
    for path in sorted(Path(app_dir).rglob("*")):
        rel = path.relative_to(app_dir)
        if not path.is_file() or SKIPPED_DIRS & set(rel.parts[:-1]) or path.name.endswith(".min.js"):
            continue
        if path.suffix.lower() not in (".js", ".mjs", ".html", ".htm") or path.stat().st_size > MAX_SCRIPT_BYTES:
            continue
        if not looks_minified(_read(path)):
            out.append(path)
    return out


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))


def _operand_end(tok: Token | None) -> bool:
    """True when `tok` can end an operand (so a following `*` or `/` is binary)."""
    if tok is None:
        return False
    if tok.kind == "punct":
        return tok.text in (")", "]")
    if tok.kind == "name":
        return tok.text not in ("function", "yield", "import", "export", "return", "typeof", "case", "new", "await")
    return tok.kind in ("number", "string", "regex") or (tok.kind == "template" and tok.text.endswith("`"))


def _number_plus(text: str) -> str | None:
    """The mutated literal: n + 1, 0 -> 1, 1 -> 0; None for forms left alone (bigint)."""
    if text.endswith("n"):
        return None
    plain = text.replace("_", "")
    try:
        value = int(plain, 0) if plain[:2].lower() in ("0x", "0o", "0b") else float(plain)
    except ValueError:
        return None
    if value == 0:
        return "1"
    if value == 1:
        return "0"
    if isinstance(value, int):
        return hex(value + 1) if plain[:2].lower() == "0x" else str(value + 1)
    return str(int(value) + 1) if value.is_integer() and "." not in plain and "e" not in plain.lower() else repr(value + 1)


def _statement_start(toks: list[Token], semi: int) -> int | None:
    """Index of the first token of the brace-free statement ending at `toks[semi]` (a `;`)."""
    depth = 0
    for j in range(semi - 1, -1, -1):
        t = toks[j]
        if t.kind != "punct":
            continue
        if t.text in (")", "]"):
            depth += 1
        elif t.text in ("(", "["):
            if depth == 0:
                return None  # a `for (;;)` header
            depth -= 1
        elif t.text in ("{", "}") and depth == 0:
            return j + 1
        elif t.text in ("{", "}"):
            return None  # braces inside the statement (function body, object literal)
        elif t.text == ";" and depth == 0:
            return j + 1
    return 0


def _enclosing(toks: list[Token]) -> list[str]:
    """Per token, the innermost open bracket around it (`""` at top level)."""
    stack: list[str] = []
    out = []
    for t in toks:
        out.append(stack[-1] if stack else "")
        if t.kind == "punct" and t.text in ("(", "[", "{"):
            stack.append(t.text)
        elif t.kind == "punct" and t.text in (")", "]", "}") and stack:
            stack.pop()
    return out


def _code_sites(src: str, toks: list[Token]) -> Iterator[tuple[Operator, int, str, str]]:
    """(operator, offset, original, replacement) for every mutable site of one script."""
    enclosing = _enclosing(toks)
    for i, t in enumerate(toks):
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.kind == "name" and prev is not None and prev.text in (".", "?."):
            if t.text == "addEventListener":
                yield "listener", t.start, t.text, "removeEventListener"
            elif re.fullmatch(r"on[a-z]+", t.text) and nxt is not None and nxt.text == "=":
                yield "listener", t.start, t.text, f"removed_{t.text}"
        elif t.kind == "punct" and t.text in _FLIP:
            yield "comparison", t.start, t.text, _FLIP[t.text]
        elif t.kind == "punct" and t.text in _ARITH and (t.text not in _BINARY_ONLY or _operand_end(prev)):
            yield "arithmetic", t.start, t.text, _ARITH[t.text]
        elif t.kind == "number" and (new := _number_plus(t.text)) is not None:
            if prev is not None and prev.text == "-" and new == "0":
                continue  # `-1` -> `-0` is mostly the same value
            yield "constant", t.start, t.text, new
        elif t.kind == "punct" and t.text == ";" and enclosing[i] != "(":  # not a `for (;;)` header
            start = _statement_start(toks, i)
            if start is None or start >= i or toks[start].text in _NO_DROP_START:
                continue
            if nxt is not None and nxt.text == "else":
                continue
            yield "statement", toks[start].start, src[toks[start].start : t.end], ""


def _html_handler_sites(html: str, scripts: list[tuple[int, int]]) -> Iterator[tuple[Operator, int, str, str]]:
    inside = lambda pos: any(a <= pos < b for a, b in scripts)  # noqa: E731
    for tag in _HTML_TAG.finditer(html):
        if inside(tag.start()):
            continue
        for m in _HTML_HANDLER.finditer(tag.group(0)):
            yield "listener", tag.start() + m.start(), m.group(0), f"data-removed-{m.group(0)}"


def file_mutants(app_dir: Path, path: Path) -> list[Mutant]:
    """Every mutant of one file (empty when it cannot be tokenized)."""
    src = _read(path)
    rel = path.relative_to(app_dir).as_posix()
    is_html = path.suffix.lower() in (".html", ".htm")
    spans = inline_scripts(src) if is_html else [(0, len(src))]
    sites: list[tuple[Operator, int, str, str]] = []
    try:
        for a, b in spans:
            sites.extend(_code_sites(src, significant(tokenize(src, a, b))))
    except TokenizeError:
        return []
    if is_html:
        sites.extend(_html_handler_sites(src, spans))
    out = []
    for op, offset, original, replacement in sorted(sites, key=lambda s: (s[1], s[0])):
        line = src.count("\n", 0, offset) + 1
        out.append(Mutant(id=f"{op}@{rel}:{line}:{offset}", operator=op, file=rel, offset=offset, line=line,
                          original=original, replacement=replacement))
    return out


def all_mutants(app_dir: Path) -> list[Mutant]:
    """Every mutant of the app's own scripts, in file and offset order."""
    app_dir = Path(app_dir)
    return [m for path in own_scripts(app_dir) for m in file_mutants(app_dir, path)]


def select_mutants(app_dir: Path, n: int, seed: int, ran: Callable[[str, int], bool] | None = None) -> list[Mutant]:
    """`n` mutants picked by `random.Random(seed)`, the operators taking turns (so each
    class is represented), in pick order. With `ran(file, offset)`, only sites where it is
    true (code the demo runs: see `coverage.CoveredCode.covers`)."""
    rng = random.Random(seed)
    pools: dict[Operator, list[Mutant]] = {op: [] for op in OPERATORS}
    for m in all_mutants(app_dir):
        if ran is None or ran(m.file, m.offset):
            pools[m.operator].append(m)
    for op in OPERATORS:
        rng.shuffle(pools[op])
    picked: list[Mutant] = []
    while len(picked) < n and any(pools.values()):
        for op in OPERATORS:
            if pools[op] and len(picked) < n:
                picked.append(pools[op].pop())
    return picked


def apply_mutant(root: Path, mutant: Mutant) -> None:
    """Patch `root/mutant.file` in place; MutantError when the original text is not there."""
    _swap(Path(root) / mutant.file, mutant.offset, mutant.original, mutant.replacement, mutant.id)


def unapply_mutant(root: Path, mutant: Mutant) -> None:
    """Undo `apply_mutant`."""
    _swap(Path(root) / mutant.file, mutant.offset, mutant.replacement, mutant.original, mutant.id)


def _swap(path: Path, offset: int, old: str, new: str, what: str) -> None:
    text = _read(path)
    if text[offset : offset + len(old)] != old:
        raise MutantError(f"{what}: {path.name} has no {old!r} at offset {offset}")
    _write(path, text[:offset] + new + text[offset + len(old) :])


def mutated_copy(app_dir: Path, mutant: Mutant, dest: Path) -> Path:
    """A copy of the app at `dest` (must not exist) with the mutant applied."""
    shutil.copytree(app_dir, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    apply_mutant(dest, mutant)
    return dest
