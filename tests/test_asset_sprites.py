"""Sprite sheets: cells of one file shown one at a time (CSS background-position) are found
as sightings of the sheet at the cell's box, in the right colour, also when cut by the frame."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from iwr.tools.perception.asset_load import load_asset
from iwr.tools.perception.asset_sprites import SpriteFinder, sheet_cells
from iwr.tools.perception.assets import match_assets
from iwr.tools.perception.types import PBox

CELL = 16
PAGE = (236, 236, 236)


def _glyph(k: int) -> np.ndarray:
    """Opacity (0..255) of icon k in a 16x16 cell: distinct small shapes."""
    a = np.zeros((CELL, CELL), np.uint8)
    if k == 0:
        cv2.fillPoly(a, [np.array([[4, 11], [8, 4], [12, 11]])], 255)  # triangle up
    elif k == 1:
        cv2.rectangle(a, (4, 4), (11, 11), 255, 2)  # square ring
    elif k == 2:
        cv2.line(a, (4, 4), (11, 11), 255, 2)
        cv2.line(a, (11, 4), (4, 11), 255, 2)  # cross
    elif k == 3:
        cv2.rectangle(a, (4, 7), (11, 8), 255, -1)  # minus
    elif k == 4:
        cv2.circle(a, (8, 8), 4, 255, 2)  # ring
    elif k == 5:
        cv2.rectangle(a, (4, 3), (6, 12), 255, -1)
        cv2.rectangle(a, (4, 10), (11, 12), 255, -1)  # L
    elif k == 6:
        cv2.fillPoly(a, [np.array([[5, 4], [11, 8], [5, 12]])], 255)  # play
    else:
        cv2.rectangle(a, (3, 5), (12, 10), 255, -1)
        cv2.rectangle(a, (6, 7), (9, 8), 0, -1)  # slot
    return a


def _sheet(path: Path, bgr: tuple[int, int, int], cols: int = 4, rows: int = 2) -> np.ndarray:
    img = np.zeros((rows * CELL, cols * CELL, 4), np.uint8)
    img[..., :3] = bgr
    for k in range(rows * cols):
        r, c = divmod(k, cols)
        img[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL, 3] = _glyph(k)
    cv2.imwrite(str(path), img)
    return img


def _draw(frame: np.ndarray, sheet: np.ndarray, k: int, x: int, y: int, cols: int = 4) -> None:
    """Paint cell k of a sheet at (x, y), clipped to the frame."""
    r, c = divmod(k, cols)
    cell = sheet[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL].astype(np.float32)
    H, W = frame.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + CELL), min(H, y + CELL)
    part = cell[y0 - y:y1 - y, x0 - x:x1 - x]
    a = part[..., 3:] / 255.0
    frame[y0:y1, x0:x1] = (a * part[..., :3] + (1 - a) * frame[y0:y1, x0:x1]).astype(np.uint8)


def _boxes(found: list, sheet: str) -> set[tuple[int, int, int, int]]:
    return {m.box.as_tuple() for m in found if m.asset == sheet}


def test_cells_of_two_colour_sheets_are_found_in_their_colour(tmp_path: Path) -> None:
    dark = _sheet(tmp_path / "icons_dark.png", (68, 68, 68))
    red = _sheet(tmp_path / "icons_red.png", (0, 0, 204))
    frame = np.full((200, 400, 3), PAGE, np.uint8)
    for k, x in enumerate(range(20, 260, 30)):
        _draw(frame, dark, k, x, 40)
    _draw(frame, red, 2, 50, 120)
    _draw(frame, red, 6, 300, 120)
    cv2.putText(frame, "Hello, sprites 0123", (20, 180), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (68, 68, 68), 1, cv2.LINE_AA)
    assets = [load_asset(tmp_path / "icons_dark.png"), load_asset(tmp_path / "icons_red.png")]
    finder = SpriteFinder([a for a in assets if not isinstance(a, str)])
    found = finder.find(frame, 0)
    assert _boxes(found, "icons_dark.png") == {(x, 40, CELL, CELL) for x in range(20, 260, 30)}
    assert _boxes(found, "icons_red.png") == {(50, 120, CELL, CELL), (300, 120, CELL, CELL)}
    assert all(m.method == "sprite" and m.scale == 1.0 and m.keyframe == 0 for m in found)


def test_a_cell_cut_by_the_frame_is_found_clipped(tmp_path: Path) -> None:
    dark = _sheet(tmp_path / "icons.png", (68, 68, 68))
    frame = np.full((120, 300, 3), PAGE, np.uint8)
    _draw(frame, dark, 1, 40, -7)  # the top 7 rows above the frame
    _draw(frame, dark, 7, 100, 112)  # 8 rows show at the bottom
    _draw(frame, dark, 4, 160, 50)
    asset = load_asset(tmp_path / "icons.png")
    assert not isinstance(asset, str)
    found = SpriteFinder([asset]).find(frame, 3)
    assert _boxes(found, "icons.png") == {(40, 0, CELL, 9), (100, 112, CELL, 8), (160, 50, CELL, CELL)}
    shown = {m.box.as_tuple(): m.cell.as_tuple() for m in found if m.cell is not None}
    assert shown == {(40, 0, CELL, 9): (CELL, 7, CELL, 9), (100, 112, CELL, 8): (3 * CELL, CELL, CELL, 8),
                     (160, 50, CELL, CELL): (0, CELL, CELL, CELL)}


def test_a_picture_is_no_sheet(tmp_path: Path) -> None:
    logo = np.zeros((40, 60, 4), np.uint8)
    cv2.circle(logo, (20, 20), 15, (30, 120, 200, 255), -1)
    cv2.rectangle(logo, (40, 5), (55, 35), (30, 120, 200, 255), -1)
    cv2.imwrite(str(tmp_path / "logo.png"), logo)
    cv2.imwrite(str(tmp_path / "photo.png"), np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    for name in ("logo.png", "photo.png"):
        asset = load_asset(tmp_path / name)
        assert not isinstance(asset, str)
        assert sheet_cells(asset) == []
        assert not SpriteFinder([asset])


def test_match_assets_reports_sprite_cells(tmp_path: Path) -> None:
    dark = _sheet(tmp_path / "icons.png", (68, 68, 68))
    frame = np.full((160, 320, 3), PAGE, np.uint8)
    _draw(frame, dark, 0, 30, 30)
    _draw(frame, dark, 5, 200, 90)
    reports = match_assets([tmp_path / "icons.png"], [frame], [None], workers=1)
    assert {m.box for m in reports[0].matches} == {PBox(x=30, y=30, width=CELL, height=CELL),
                                                   PBox(x=200, y=90, width=CELL, height=CELL)}
    assert "sprite sheet" in reports[0].summary() and "background-position" in reports[0].summary()
