"""The floors hold: no module imports a floor above its own, and no two modules import each other.

Every `.py` of the package folders is read with `ast` (imports inside functions and under
`TYPE_CHECKING` included), `from . import` is resolved against the module's package and
`iwr.*` names against the folders setup.py maps them from. Floors (ARCHITECTURE.md):
iwr/ 5 > agents/ 4 > graphs/ 3 > benchmark/ 2 > tools/ 1, prompts/ 1 > core/ 0.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from iwr.core.sources import module_file, module_imports

REPO = Path(__file__).resolve().parent.parent

# package -> (folder, floor); "iwr" is the application floor, every other package sits below it
PACKAGES: dict[str, tuple[str, int]] = {
    "iwr": ("iwr", 5),
    "iwr.agents": ("agents", 4),
    "iwr.graphs": ("graphs", 3),
    "iwr.benchmark": ("benchmark", 2),
    "iwr.tools": ("tools", 1),
    "iwr.prompts": ("prompts", 1),
    "iwr.core": ("core", 0),
}
# the folders are never imported as top-level packages (the names collide with other distributions)
FOLDER_NAMES = {folder for folder, _ in PACKAGES.values() if folder != "iwr"}


@dataclass(frozen=True)
class Import:
    """One import statement of a module, resolved to a module of the package."""

    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({module_path(self.source)}:{self.line})"


def module_files() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its `__init__.py`)."""
    found: dict[str, Path] = {}
    for package, (folder, _) in PACKAGES.items():
        root = REPO / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            if "__pycache__" in rel.parts:
                continue
            parts = [p for p in rel.parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


MODULES = module_files()


def module_path(name: str) -> str:
    return str(MODULES[name].relative_to(REPO))


def floor(name: str) -> int:
    """The floor of a module: that of the longest mapped package holding it."""
    best = max((p for p in PACKAGES if name == p or name.startswith(p + ".")), key=len)
    return PACKAGES[best][1]


def imports() -> list[Import]:
    """Every import between modules of the package, wherever it stands in the file (read by
    `iwr.core.sources`, which also keys the recorder's and perception's caches)."""
    return [Import(name, i.target, i.line) for name in MODULES for i in module_imports(name)]


def top_level_folder_imports() -> list[str]:
    """Imports of a mapped folder under its bare name (`import tools`, `from agents.x import y`)."""
    bad: list[str] = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
            bad.extend(f"{module_path(name)}:{node.lineno} imports {n}" for n in names if n.split(".")[0] in FOLDER_NAMES)
    return bad


def cycles(edges: list[Import]) -> list[list[str]]:
    """Groups of modules that import each other (strongly connected components of two or more)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for e in edges:
        graph[e.source].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm; the graph is a few hundred modules deep at most
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_the_reader_sees_the_package() -> None:
    assert {"iwr.cli", "iwr.tools.ocr", "iwr.benchmark.judge.judge", "iwr.agents", "iwr.graphs", "iwr.prompts"} <= set(MODULES)
    assert all(module_file(name) == path for name, path in MODULES.items())  # the installed package is this checkout
    found = {(e.source, e.target) for e in imports()}
    # a relative import, an absolute iwr.* import and an import inside a function are all read
    assert ("iwr.benchmark.judge.judge", "iwr.benchmark.judge.scoring") in found
    assert any(s.startswith("iwr.") and t.startswith("iwr.tools") for s, t in found)


def test_no_module_imports_a_floor_above_its_own() -> None:
    upward = [str(e) for e in imports() if floor(e.target) > floor(e.source)]
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycle_between_modules() -> None:
    edges = imports()
    groups = cycles(edges)
    lines = []
    for group in groups:
        members = set(group)
        lines.append("cycle: " + ", ".join(group))
        lines.extend(f"  {e}" for e in edges if e.source in members and e.target in members)
    assert not groups, "\n".join(lines)


def test_the_folders_are_imported_through_iwr_only() -> None:
    bad = top_level_folder_imports()
    assert not bad, "\n".join(bad)
