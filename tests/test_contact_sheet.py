"""Contact sheets: tiles fit their images, labels are legible file names, several sheets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from iwr.tools.contact_sheet import SheetLayout, make_contact_sheets


def make_images(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        size = (600, 150) if i % 3 == 0 else (16, 16) if i % 3 == 1 else (200, 400)
        path = folder / f"asset_{i + 1:03d}.png"
        Image.new("RGBA", size, (20 * i % 255, 40, 200, 255)).save(path)
        paths.append(path)
    (folder / "asset_099.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return [*paths, folder / "asset_099.svg"]


def test_sheets_split_fit_and_label(tmp_path: Path) -> None:
    images = make_images(tmp_path / "assets", 19)  # 20 files incl. an SVG placeholder
    layout = SheetLayout(columns=4, rows=4)
    sheets = make_contact_sheets(images, tmp_path / "stitched", layout)
    assert [p.name for p in sheets] == ["stitched_image_1.png", "stitched_image_2.png"]
    first = np.asarray(Image.open(sheets[0]).convert("RGB"))
    cell_w = layout.tile_width + layout.gap
    cell_h = layout.tile_height + layout.label_height + layout.gap
    assert first.shape[1] == 4 * cell_w + layout.gap and first.shape[0] == 4 * cell_h + layout.gap
    second = Image.open(sheets[1])
    assert second.size == (4 * cell_w + layout.gap, cell_h + layout.gap)  # 4 left: one row

    # tile 1 (600x150) is fit to the tile width, centred vertically
    tile = first[layout.gap : layout.gap + layout.tile_height, layout.gap : layout.gap + layout.tile_width]
    coloured = np.argwhere((np.abs(tile.astype(int) - (0, 40, 200)) < 8).all(axis=2))
    assert coloured[:, 1].min() <= 1 and coloured[:, 1].max() >= layout.tile_width - 2
    expected_h = round(150 * layout.tile_width / 600)
    assert abs((coloured[:, 0].max() - coloured[:, 0].min() + 1) - expected_h) <= 1
    # tile 2 (16x16) is enlarged at most 4x
    tile2 = first[layout.gap : layout.gap + layout.tile_height, layout.gap + cell_w : layout.gap + cell_w + layout.tile_width]
    enlarged = np.argwhere((np.abs(tile2.astype(int) - (20, 40, 200)) < 8).all(axis=2))
    assert enlarged[:, 0].max() - enlarged[:, 0].min() + 1 == 64


def test_each_tile_has_its_own_centred_label(tmp_path: Path) -> None:
    images = make_images(tmp_path / "assets", 3)
    sheet = make_contact_sheets(images, tmp_path / "stitched")[0]
    layout = SheetLayout()
    pixels = np.asarray(Image.open(sheet).convert("L"))
    top = layout.gap + layout.tile_height
    labels = []
    for c in range(4):
        x0 = layout.gap + c * (layout.tile_width + layout.gap)
        strip = pixels[top : top + layout.label_height, x0 : x0 + layout.tile_width]
        ink = np.argwhere(strip < 100)
        assert len(ink) > 50, f"tile {c} has no label"
        centre = (ink[:, 1].min() + ink[:, 1].max()) / 2
        assert abs(centre - layout.tile_width / 2) < 6
        labels.append(strip < 100)
    assert not np.array_equal(labels[0], labels[1])  # asset_001.png vs asset_002.png
