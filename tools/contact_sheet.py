"""Contact sheets of image assets, like IWR-Bench's `stitched_image_<n>.png`.

A grid of equal tiles; each image is fit into its tile (aspect kept, small images
enlarged at most `max_upscale` times) over a checkerboard (so transparency shows) and
labelled with its file name. Many images give several sheets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_PATHS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
              "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")


@dataclass(frozen=True)
class SheetLayout:
    """Grid geometry of a contact sheet."""

    columns: int = 4
    rows: int = 4
    tile_width: int = 300
    tile_height: int = 220
    label_height: int = 26
    gap: int = 8
    max_upscale: float = 4.0

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _checkerboard(size: tuple[int, int], cell: int = 10) -> Image.Image:
    board = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(board)
    for y in range(0, size[1], cell):
        for x in range((y // cell) % 2 * cell, size[0], 2 * cell):
            draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=(232, 232, 232))
    return board


def _load(path: Path) -> Image.Image | None:
    try:
        with Image.open(path) as img:
            img.seek(0)
            return img.convert("RGBA")
    except Exception:  # noqa: BLE001 - unreadable formats (e.g. SVG) get a placeholder tile
        return None


def _tile(path: Path, layout: SheetLayout, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> Image.Image:
    w, h = layout.tile_width, layout.tile_height
    tile = Image.new("RGB", (w, h + layout.label_height), (255, 255, 255))
    area = _checkerboard((w, h))
    img = _load(path)
    if img is None:
        ImageDraw.Draw(area).text((10, h // 2 - 8), f"({path.suffix.lstrip('.') or 'file'}: no preview)", fill=(90, 90, 90),
                                  font=font)
    else:
        scale = min(w / img.width, h / img.height, layout.max_upscale)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        resample = Image.Resampling.NEAREST if scale >= 2 else Image.Resampling.LANCZOS
        fitted = img.resize(size, resample)
        area.paste(fitted, ((w - size[0]) // 2, (h - size[1]) // 2), fitted)
    tile.paste(area, (0, 0))
    draw = ImageDraw.Draw(tile)
    draw.rectangle([0, 0, w - 1, h - 1], outline=(200, 200, 200))
    label = path.name
    while draw.textlength(label, font=font) > w - 8 and len(label) > 4:
        label = label[:-4] + "..."
    tw = draw.textlength(label, font=font)
    draw.text(((w - tw) / 2, h + 4), label, fill=(0, 0, 0), font=font)
    return tile


def make_contact_sheets(images: list[Path], out_dir: Path, layout: SheetLayout = SheetLayout(),
                        prefix: str = "stitched_image") -> list[Path]:
    """Write `<prefix>_<n>.png` (n from 1) sheets of `images`, in order; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    font = _font(max(10, layout.label_height - 10))
    sheets: list[Path] = []
    for start in range(0, len(images), layout.per_sheet):
        batch = images[start : start + layout.per_sheet]
        cols = min(layout.columns, len(batch))
        rows = -(-len(batch) // layout.columns)
        cell_w, cell_h = layout.tile_width + layout.gap, layout.tile_height + layout.label_height + layout.gap
        sheet = Image.new("RGB", (cols * cell_w + layout.gap, rows * cell_h + layout.gap), (245, 245, 245))
        for i, path in enumerate(batch):
            r, c = divmod(i, layout.columns)
            sheet.paste(_tile(path, layout, font), (layout.gap + c * cell_w, layout.gap + r * cell_h))
        out = out_dir / f"{prefix}_{len(sheets) + 1}.png"
        sheet.save(out, optimize=False)
        sheets.append(out)
    return sheets
