"""Asset matching details: flat icons by shape and colour, tiled backgrounds, trimmed margins."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from iwr.tools.perception.assets import _merge_tiles, match_assets
from iwr.tools.perception.types import AssetMatch, PBox


def _dot(path: Path, colour: tuple[int, int, int]) -> None:
    img = np.zeros((24, 24, 4), np.uint8)
    cv2.circle(img, (12, 12), 9, (*colour, 255), -1, cv2.LINE_AA)  # transparent margins around a flat disc
    cv2.imwrite(str(path), img)


def test_flat_icons_are_told_apart_by_colour_and_boxed_with_their_margins(tmp_path: Path) -> None:
    _dot(tmp_path / "green.png", (90, 180, 20))
    _dot(tmp_path / "red.png", (40, 40, 220))
    frame = np.full((200, 320, 3), (250, 235, 235), np.uint8)
    for name, (x, y) in {"green.png": (40, 50), "red.png": (200, 120)}.items():
        icon = cv2.imread(str(tmp_path / name), cv2.IMREAD_UNCHANGED)
        icon = cv2.resize(icon, (12, 12), interpolation=cv2.INTER_AREA)  # displayed at half size
        a = icon[..., 3:4] / 255.0
        frame[y:y + 12, x:x + 12] = (icon[..., :3] * a + frame[y:y + 12, x:x + 12] * (1 - a)).astype(np.uint8)
    reports = {r.asset: r for r in match_assets(sorted(tmp_path.glob("*.png")), [frame], [None])}
    green = [m.box.as_tuple() for m in reports["green.png"].matches]
    red = [m.box.as_tuple() for m in reports["red.png"].matches]
    assert len(green) == 1 and len(red) == 1
    gx, gy, gw, gh = green[0]
    assert abs(gx - 40) <= 2 and abs(gy - 50) <= 2 and abs(gw - 12) <= 2 and abs(gh - 12) <= 2
    assert abs(red[0][0] - 200) <= 2 and abs(red[0][1] - 120) <= 2


def test_adjacent_tiles_merge_into_one_background_box() -> None:
    tiles = [AssetMatch(asset="tile.png", keyframe=0, box=PBox(x=48 * i, y=48 * j, width=48, height=48), scale=1.0, confidence=0.9)
             for i in range(3) for j in range(2)]
    lone = AssetMatch(asset="tile.png", keyframe=0, box=PBox(x=500, y=500, width=48, height=48), scale=1.0, confidence=0.9)
    merged = _merge_tiles([*tiles, lone])
    assert sorted(m.box.as_tuple() for m in merged) == [(0, 0, 144, 96), (500, 500, 48, 48)]
