"""Grids of similar elements on a page: the rows and columns of groups of candidates that share
their shape (tag, role, type) and size, e.g. the cards of a memory game, the tiles of a
board, the days of a calendar or the identical buttons of product cards. A description's
grid position ('row 2, column 3', 'top-left', 'the third cell of the second row') is matched
against these, which makes position evidence for elements that carry no text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from .description import GridPosition
from .dom_types import DomCandidate

SIZE_TOLERANCE = 0.2  # cells of one grid share their size; 20% absorbs borders, rounding, a selected state
ALIGN_FRACTION = 0.5  # centres within half a cell's extent are on the same row (column)
GRID_MIN_MEMBERS = 3  # fewer similar elements are a pair, not a grid
GRID_MIN_FILL = 0.5  # a grid is mostly filled; look-alikes scattered over the page are not a grid


@dataclass(frozen=True)
class GridCell:
    """Where one candidate sits in its group: 1-based row and column, the group's extent,
    whether it is the last of its row / column, and the group's id and size."""

    group: int
    row: int
    col: int
    rows: int
    cols: int
    last_in_row: bool
    last_in_col: bool
    members: int
    rank_in_row: int = 0  # 1-based place among the members of its own row, left to right
    rank_in_col: int = 0  # ... of its own column, top to bottom


def _similar(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(abs(x - y) <= SIZE_TOLERANCE * max(x, y) + 1 for x, y in ((a[2], b[2]), (a[3], b[3])))


def _bands(values: list[tuple[float, int]], extent: float) -> dict[int, int]:
    """Cluster (centre, member) pairs into bands along one axis; member -> 0-based band."""
    out: dict[int, int] = {}
    band, start = -1, None
    for v, m in sorted(values):
        if start is None or v - start > ALIGN_FRACTION * extent:
            band, start = band + 1, v
        out[m] = band
    return out


def _groups(candidates: Sequence[DomCandidate]) -> list[list[int]]:
    """Indices of candidates grouped by shape and similar size (greedy, in DOM order)."""
    groups: list[list[int]] = []
    by_key: dict[tuple[str, str, str], list[list[int]]] = {}
    for i, c in enumerate(candidates):
        key = (c["tag"], c["role"], c["type"])
        for g in by_key.setdefault(key, []):
            if _similar(candidates[g[0]]["box"], c["box"]):
                g.append(i)
                break
        else:
            g = [i]
            by_key[key].append(g)
            groups.append(g)
    return [g for g in groups if len(g) >= GRID_MIN_MEMBERS]


def grid_cells(candidates: Sequence[DomCandidate]) -> list[GridCell | None]:
    """For each candidate, its cell in a grid of similar elements (None: not in a grid)."""
    out: list[GridCell | None] = [None] * len(candidates)
    for gid, members in enumerate(_groups(candidates)):
        boxes = {m: candidates[m]["box"] for m in members}
        h = median(b[3] for b in boxes.values())
        w = median(b[2] for b in boxes.values())
        row_of = _bands([(b[1] + b[3] / 2, m) for m, b in boxes.items()], h)
        col_of = _bands([(b[0] + b[2] / 2, m) for m, b in boxes.items()], w)
        rows, cols = max(row_of.values()) + 1, max(col_of.values()) + 1
        if len({(row_of[m], col_of[m]) for m in members}) < len(members) or len(members) < GRID_MIN_FILL * rows * cols:
            continue  # overlapping or scattered: not a grid
        last_col = {r: max(col_of[m] for m in members if row_of[m] == r) for r in set(row_of.values())}
        last_row = {c: max(row_of[m] for m in members if col_of[m] == c) for c in set(col_of.values())}
        for m in members:
            r, c = row_of[m], col_of[m]
            rank_r = 1 + sum(1 for o in members if row_of[o] == r and col_of[o] < c)
            rank_c = 1 + sum(1 for o in members if col_of[o] == c and row_of[o] < r)
            out[m] = GridCell(gid, r + 1, c + 1, rows, cols, c == last_col[r], r == last_row[c], len(members), rank_r, rank_c)
    return out


def at_position(cell: GridCell | None, pos: GridPosition) -> bool:
    """True when the cell is at the described place. A row needs a grid of at least two rows,
    a column one of at least two columns (the nav bar is not 'row 1' of a board); 'last'
    is the last of the cell's own row (column) when the other coordinate is also given."""
    if cell is None:
        return False
    if pos.rank_in_row and pos.row is not None and pos.col is not None:
        # "the third button of the top row": its rank among that row's members, not a board column
        if cell.rows < 2 or not _at(cell.row, cell.rows, pos.row):
            return False
        return cell.last_in_row if pos.col == -1 else cell.rank_in_row == pos.col
    if pos.rank_in_col and pos.row is not None and pos.col is not None:
        if cell.cols < 2 or not _at(cell.col, cell.cols, pos.col):
            return False
        return cell.last_in_col if pos.row == -1 else cell.rank_in_col == pos.row
    if pos.row is not None:
        if cell.rows < 2:
            return False
        ok = (cell.last_in_col if pos.col is not None else cell.row == cell.rows) if pos.row == -1 else cell.row == pos.row
        if not ok:
            return False
    if pos.col is not None:
        if cell.cols < 2:
            return False
        if pos.col == -1:
            return cell.last_in_row if pos.row is not None else cell.col == cell.cols
        return cell.col == pos.col
    return True


def _at(index: int, extent: int, wanted: int) -> bool:
    """`index` (1-based, of `extent`) is the wanted one; -1 = the last."""
    return index == extent if wanted == -1 else index == wanted
