"""Image and text similarity: identity, sensitivity, changed regions, DINO opt-in errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from iwr.tools.image_metrics import (
    DinoScorer,
    change_overlap,
    changed_fraction,
    changed_regions,
    structural_similarity,
    text_similarity,
)


def _page(path: Path, title: str = "Shop", colour: tuple[int, int, int] = (30, 60, 120), box_at: int | None = None) -> Path:
    im = Image.new("RGB", (640, 360), "white")
    d = ImageDraw.Draw(im)
    d.rectangle([0, 0, 640, 50], fill=colour)
    d.text((20, 15), title, fill="white")
    for i in range(3):
        d.rectangle([20 + 200 * i, 80, 190 + 200 * i, 300], outline=(120, 120, 120), width=2)
        d.text((30 + 200 * i, 90), f"Item {i}", fill="black")
    if box_at is not None:
        d.rectangle([box_at, 320, box_at + 60, 350], fill=(200, 30, 30))
    im.save(path)
    return path


def test_text_similarity_is_paper_formula() -> None:
    assert text_similarity("Hello", "hello") == 1.0
    assert text_similarity("abcd", "abXd") == pytest.approx(0.75)
    assert text_similarity("", "") == 1.0
    assert text_similarity("", "abc") == 0.0


def test_structural_similarity_identity_and_ordering(tmp_path: Path) -> None:
    a = _page(tmp_path / "a.png")
    small_change = _page(tmp_path / "b.png", box_at=300)
    recoloured = _page(tmp_path / "c.png", colour=(200, 160, 0))
    blank = tmp_path / "blank.png"
    Image.new("RGB", (640, 360), "white").save(blank)
    assert structural_similarity(a, a) == pytest.approx(1.0)
    s_small = structural_similarity(small_change, a)
    s_colour = structural_similarity(recoloured, a)
    s_blank = structural_similarity(blank, a)
    assert 1.0 > s_small > s_colour
    assert s_small > s_blank
    for s in (s_small, s_colour, s_blank):
        assert 0.0 <= s <= 1.0


def test_structural_similarity_handles_different_sizes(tmp_path: Path) -> None:
    a = _page(tmp_path / "a.png")
    Image.open(a).resize((1280, 720)).save(tmp_path / "big.png")
    assert structural_similarity(tmp_path / "big.png", a) > 0.9


def test_changed_regions_finds_the_changed_box(tmp_path: Path) -> None:
    a = _page(tmp_path / "a.png")
    b = _page(tmp_path / "b.png", box_at=300)
    regions = changed_regions(a, b)
    assert len(regions) == 1
    r = regions[0]
    assert abs(r.x - 300) <= 8 and abs(r.y - 320) <= 8 and 55 <= r.width <= 75
    assert changed_fraction(a, a) == 0.0
    assert 0.005 < changed_fraction(a, b) < 0.02


def test_change_overlap(tmp_path: Path) -> None:
    a = _page(tmp_path / "a.png")
    b = _page(tmp_path / "b.png", box_at=300)
    elsewhere = _page(tmp_path / "e.png", box_at=20)
    assert change_overlap(a, b, a, b) == pytest.approx(1.0)
    assert change_overlap(a, b, a, elsewhere) == pytest.approx(0.0)
    assert change_overlap(a, a, a, b) is None


def test_dino_needs_existing_weights(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        DinoScorer(tmp_path / "nope")
    (tmp_path / "w").mkdir()
    with pytest.raises((RuntimeError, OSError, ValueError)):
        DinoScorer(tmp_path / "w")  # no torch here, or an empty folder: a clear error, no download


def test_crop_similarity_prefers_the_same_look_and_rejects_regions_off_the_image() -> None:
    from iwr.tools.image_metrics import crop_similarity

    img = np.full((200, 400, 3), 255, np.uint8)
    img[20:60, 20:120] = (40, 40, 200)  # red button (BGR)
    img[20:60, 220:320] = (200, 90, 30)  # blue button, same size
    img[30:50, 40:100] = 255  # a white label on each
    img[30:50, 240:300] = 255
    red, blue = (20, 20, 100, 40), (220, 20, 100, 40)
    same = crop_similarity(img, red, img, red)
    other = crop_similarity(img, red, img, blue)
    assert same is not None and other is not None
    assert same > 0.99 and other < same - 0.2
    assert crop_similarity(img, red, img, (380, 20, 100, 40)) is None  # mostly outside
