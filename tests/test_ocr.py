"""Real rapidocr on rendered text; the content-hash cache and the pool never OCR twice."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import cv2
import pytest
from PIL import Image, ImageDraw, ImageFont

from iwr.core.geometry import PixelBox
from iwr.tools.image_metrics import text_similarity
from iwr.tools.ocr import OcrCache, OcrPool, OcrResult, ocr_text

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _text_image(path: Path, lines: list[str]) -> Path:
    im = Image.new("RGB", (560, 40 + 44 * len(lines)), "white")
    d = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, 22) if Path(FONT).exists() else ImageFont.load_default()
    for i, line in enumerate(lines):
        d.text((20, 20 + 44 * i), line, fill="black", font=font)
    im.save(path)
    return path


LINES = ["Order summary", "Subtotal $45.00", "Add to cart"]


def test_ocr_reads_rendered_text_and_caches_by_content(tmp_path: Path) -> None:
    img = _text_image(tmp_path / "a.png", LINES)
    cache = OcrCache(tmp_path / "cache")
    first = ocr_text(img, cache)
    assert not first.cached
    assert text_similarity(first.text, " ".join(LINES)) >= 0.9
    assert len(first.lines) == 3
    b = first.lines[1].box
    x, y, w = b.x, b.y, b.width
    assert 10 <= x <= 40 and 50 <= y <= 80 and w > 100
    # same bytes under another name: served from the cache, no OCR
    copy = tmp_path / "copy.png"
    shutil.copy(img, copy)
    t = time.perf_counter()
    again = ocr_text(copy, OcrCache(tmp_path / "cache"))
    assert again.cached and again.text == first.text
    assert time.perf_counter() - t < 0.2


def test_blank_image_gives_empty_text(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 100), "white").save(blank)
    assert ocr_text(blank).text == ""


def test_pool_dedupes_identical_images(tmp_path: Path) -> None:
    a = _text_image(tmp_path / "a.png", ["Cart (2)"])
    b = tmp_path / "b.png"
    shutil.copy(a, b)
    c = _text_image(tmp_path / "c.png", ["Checkout"])
    with OcrPool(OcrCache(tmp_path / "cache"), workers=2) as pool:
        jobs = [pool.submit(p) for p in (a, b, c, a)]
        texts = [j.result(timeout=60).text for j in jobs]
        assert pool.computed == 2
    assert texts[0] == texts[1] == texts[3]
    assert "checkout" in texts[2].lower()
    # a new pool on the same cache computes nothing
    with OcrPool(OcrCache(tmp_path / "cache")) as pool:
        assert pool.submit(c).result(timeout=60).cached
        assert pool.computed == 0


@pytest.mark.parametrize("missing", ["nope.png"])
def test_missing_file_raises(tmp_path: Path, missing: str) -> None:
    with pytest.raises(FileNotFoundError):
        ocr_text(tmp_path / missing)


def test_pool_release_drops_queued_jobs_nobody_holds(tmp_path: Path) -> None:
    a = _text_image(tmp_path / "a.png", ["Dropped"])
    b = _text_image(tmp_path / "b.png", ["Kept"])
    busy = _text_image(tmp_path / "busy.png", [f"Line {i} of a long page" for i in range(14)])
    with OcrPool(None, workers=1) as pool:
        pool.warm_up().result(timeout=60)
        first = pool.submit(busy)  # occupies the only worker while the next jobs queue
        dropped = pool.submit(a)
        kept = pool.submit(b)
        again = pool.submit(b)  # a second holder of the same job
        pool.release(dropped)
        pool.release(kept)
        assert dropped.cancelled() and pool.released == 1
        assert again is kept and not kept.cancelled()
        assert "kept" in kept.result(timeout=60).text.lower()
        assert first.result(timeout=60).text and pool.computed == 2
        assert "dropped" in pool.submit(a).result(timeout=60).text.lower()  # resubmitted: computed anew


def test_an_array_reads_as_its_png_file_and_a_region_as_its_crop(tmp_path: Path) -> None:
    img = _text_image(tmp_path / "a.png", LINES)
    pixels = cv2.imread(str(img))
    from_file = ocr_text(img)
    from_array = ocr_text(pixels)
    assert from_array.text == from_file.text and [line.box for line in from_array.lines] == [line.box for line in from_file.lines]
    b = from_file.lines[1].box
    x, y, w, h = int(b.x), int(b.y), int(b.width), int(b.height)
    region = PixelBox(x=x - 10, y=y - 10, width=w + 20, height=h + 20)
    crop = ocr_text(img, region=region)
    assert crop.text == from_file.lines[1].text
    box = crop.lines[0].box
    assert abs(box.x - x) <= 3 and abs(box.y - y) <= 3  # in the whole image's pixels
    assert ocr_text(pixels, region=region).text == crop.text
    assert ocr_text(pixels, region=PixelBox(x=600, y=0, width=50, height=50)).text == ""  # outside the image


def test_arrays_are_cached_by_content(tmp_path: Path) -> None:
    pixels = cv2.imread(str(_text_image(tmp_path / "a.png", ["Checkout"])))
    cache = OcrCache(tmp_path / "cache")
    first = ocr_text(pixels, cache)
    again = ocr_text(pixels.copy(), OcrCache(tmp_path / "cache"))
    assert not first.cached and again.cached and again.text == first.text


def test_results_cached_with_tuple_boxes_still_read(tmp_path: Path) -> None:
    """Cache rows written when a line's box was an (x, y, w, h) list read back as boxes."""
    cache = OcrCache(tmp_path)
    cache._store.put("old", '{"text": "Total", "lines": [{"text": "Total", "score": 0.9, "box": [10, 20, 30, 8]}]}')
    result = cache.get("old")
    assert isinstance(result, OcrResult) and result.cached
    box = result.lines[0].box
    assert (box.x, box.y, box.right, box.bottom) == (10, 20, 40, 28)
