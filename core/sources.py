"""The source files a module runs: itself and every module of the package it imports, also
inside functions. Read with `ast` (nothing is imported but the packages' own names), so a
cache key built from them follows the code instead of a hand-kept list of files."""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

PACKAGES = ("iwr", "iwr.core", "iwr.tools", "iwr.prompts", "iwr.benchmark", "iwr.graphs", "iwr.agents")


@dataclass(frozen=True)
class ModuleImport:
    """One import of a package module by another: the imported module and the line."""

    target: str
    line: int


@cache
def _roots() -> dict[str, Path]:
    """The folder of each mapped package (as the install maps it)."""
    roots: dict[str, Path] = {}
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            roots[name] = Path(next(iter(spec.submodule_search_locations)))
    return roots


def module_file(name: str) -> Path | None:
    """The file of package module `name` (a package's `__init__.py`), None when there is none."""
    roots = _roots()
    package = max((p for p in roots if name == p or name.startswith(p + ".")), key=len, default=None)
    if package is None:
        return None
    base = roots[package].joinpath(*name[len(package) + 1:].split(".")) if name != package else roots[package]
    for path in (base / "__init__.py", base.with_name(base.name + ".py")):
        if path.is_file():
            return path
    return None


def _nearest(name: str) -> str | None:
    """`name` when it is a package module, else the nearest module holding it."""
    while name:
        if module_file(name) is not None:
            return name
        name = name.rpartition(".")[0]
    return None


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names if a.name == "iwr" or a.name.startswith("iwr.")]
        return [t for t in map(_nearest, names) if t]
    if node.level:
        base = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        base = f"{base}.{node.module}" if node.module else base
    elif node.module and (node.module == "iwr" or node.module.startswith("iwr.")):
        base = node.module
    else:
        return []
    # `from pkg import sub` loads the sub-module; `from mod import name` the module
    found = [f"{base}.{a.name}" if module_file(f"{base}.{a.name}") else _nearest(base) for a in node.names]
    return [t for t in found if t]


def module_imports(name: str) -> list[ModuleImport]:
    """The package modules that module `name` imports, wherever the import stands (sorted)."""
    path = module_file(name)
    if path is None:
        raise ValueError(f"not a module of the package: {name}")
    found: set[ModuleImport] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.update(ModuleImport(t, node.lineno) for t in _targets(name, path.name == "__init__.py", node) if t != name)
    return sorted(found, key=lambda i: (i.target, i.line))


def module_sources(*names: str) -> list[Path]:
    """The files of `names` and of every package module they import, transitively (sorted)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(i.target for i in module_imports(name))
    return sorted(p for p in map(module_file, seen) if p is not None)


class Hasher(Protocol):
    """What a cache key is fed through (a `hashlib` object)."""

    def update(self, data: bytes, /) -> None: ...


def hash_sources(h: Hasher, paths: Iterable[Path]) -> None:
    """Feed each source file to `h`, named by its folder and file name: the code's part of a
    cache key, so that changed code never reuses a result it did not make."""
    for source in paths:
        h.update(f"{source.parent.name}/{source.name}".encode() + b"\0" + source.read_bytes())
