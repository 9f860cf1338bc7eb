"""Asset matching details: flat icons by shape and colour, tiled backgrounds, trimmed margins."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from iwr.tools.perception.asset_sources import Focus, plan_bases
from iwr.tools.perception.asset_tiles import merge_tiles
from iwr.tools.perception.asset_worker import AssetWorker
from iwr.tools.perception.assets import AssetSearch, SearchRegion, match_assets, pyramid
from iwr.tools.perception.types import AssetMatch, PBox


def _b(x: int, y: int, w: int, h: int) -> PBox:
    return PBox(x=x, y=y, width=w, height=h)


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
    tiles = [AssetMatch(asset="tile.png", keyframe=0, box=PBox(x=48 * i, y=48 * j, width=48, height=48), scale=1.0,
                        confidence=0.9)
             for i in range(3) for j in range(2)]
    lone = AssetMatch(asset="tile.png", keyframe=0, box=PBox(x=500, y=500, width=48, height=48), scale=1.0, confidence=0.9)
    merged = merge_tiles([*tiles, lone])
    assert sorted(m.box.as_tuple() for m in merged) == [(0, 0, 144, 96), (500, 500, 48, 48)]


def _ring_icon(path: Path) -> None:
    """A thin-line clock icon on transparency (like an outline UI icon)."""
    img = np.zeros((40, 40, 4), np.uint8)
    cv2.circle(img, (20, 20), 15, (60, 80, 100, 255), 3, cv2.LINE_AA)
    cv2.line(img, (20, 20), (20, 10), (60, 80, 100, 255), 3, cv2.LINE_AA)
    cv2.line(img, (20, 20), (27, 24), (60, 80, 100, 255), 3, cv2.LINE_AA)
    cv2.imwrite(str(path), img)


def test_thin_outline_icon_is_found_when_displayed_small(tmp_path: Path) -> None:
    _ring_icon(tmp_path / "clock.png")
    icon = cv2.imread(str(tmp_path / "clock.png"), cv2.IMREAD_UNCHANGED)
    frame = np.full((240, 400, 3), 250, np.uint8)
    cv2.putText(frame, "History", (60, 110), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (30, 30, 30), 2)
    small = cv2.resize(icon, (20, 20), interpolation=cv2.INTER_AREA)
    a = small[..., 3:4] / 255.0
    frame[93:113, 31:51] = (small[..., :3] * a + frame[93:113, 31:51] * (1 - a)).astype(np.uint8)
    (report,) = match_assets([tmp_path / "clock.png"], [frame], [None])
    boxes = [m.box.as_tuple() for m in report.matches]
    assert len(boxes) == 1, boxes
    x, y, w, h = boxes[0]
    assert abs(x - 31) <= 2 and abs(y - 93) <= 2 and abs(w - 20) <= 2 and abs(h - 20) <= 2


def test_tiles_on_one_lattice_merge_across_hidden_tiles_but_spaced_icons_do_not() -> None:
    def m(name: str, x: int, y: int, size: int) -> AssetMatch:
        return AssetMatch(asset=name, keyframe=0, box=PBox(x=x, y=y, width=size, height=size), scale=1.0, confidence=0.9)

    # a tiled background, the middle tiles hidden behind a panel
    tiles = [m("bg.png", 48 * i, 48 * j, 48) for i in range(6) for j in range(3) if not (1 <= i <= 4 and j == 1)]
    stars = [m("star.png", 300 + 40 * i, 400, 16) for i in range(5)]  # repeated icons with gaps
    merged = merge_tiles(tiles + stars)
    bg = [x.box.as_tuple() for x in merged if x.asset == "bg.png"]
    assert bg == [(0, 0, 288, 144)]
    assert len([x for x in merged if x.asset == "star.png"]) == 5


def test_a_single_row_of_touching_icons_is_not_a_tiled_background() -> None:
    stars = [AssetMatch(asset="star.png", keyframe=0, box=PBox(x=100 + 17 * i, y=80, width=16, height=16), scale=1.0,
                        confidence=0.9) for i in range(5)]
    assert len(merge_tiles(stars)) == 5


def _picture(w: int, h: int, seed: int) -> np.ndarray:
    """A photo-like opaque picture: a gradient, waves and discs."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(40, 210, 3)
    img = np.stack([base[i] + 40 * np.sin(xx / (9 + 4 * i) + yy / 23 + seed) for i in range(3)], -1)
    for _ in range(10):
        cv2.circle(img, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(h // 12, h // 4)),
                   tuple(float(v) for v in rng.uniform(0, 255, 3)), -1)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_picture_cropped_by_css_cover_is_boxed_where_it_shows(tmp_path: Path) -> None:
    pic = _picture(400, 280, 3)
    cv2.imwrite(str(tmp_path / "photo.jpg"), pic, [cv2.IMWRITE_JPEG_QUALITY, 92])
    frame = np.full((540, 960, 3), 246, np.uint8)
    shown = cv2.resize(pic, (440, 308), interpolation=cv2.INTER_AREA)[79:229]  # object-fit: cover in a 440x150 box
    frame[200:350, 100:540] = shown
    (report,) = match_assets([tmp_path / "photo.jpg"], [frame], [None])
    assert len(report.matches) == 1, report.matches
    m = report.matches[0]
    assert m.box.iou(PBox(x=100, y=200, width=440, height=150)) >= 0.8, m.box
    assert abs(m.scale - 1.1) <= 0.05


def test_a_similar_picture_in_other_colours_is_not_a_sighting(tmp_path: Path) -> None:
    pic = _picture(300, 200, 5)
    cv2.imwrite(str(tmp_path / "photo.png"), pic)
    frame = np.full((400, 640, 3), 240, np.uint8)
    frame[100:300, 100:400] = pic[..., ::-1]  # same shapes, channels swapped
    (report,) = match_assets([tmp_path / "photo.png"], [frame], [None])
    assert report.matches == []


def test_an_icon_that_does_not_stand_out_from_the_page_is_no_evidence(tmp_path: Path) -> None:
    img = np.zeros((24, 24, 4), np.uint8)
    cv2.circle(img, (12, 12), 9, (20, 30, 25, 255), -1, cv2.LINE_AA)  # dark disc
    cv2.imwrite(str(tmp_path / "dark.png"), img)
    frame = np.full((200, 320, 3), (22, 32, 27), np.uint8)  # a dark page of about that colour
    cv2.putText(frame, "o O 0", (40, 100), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (200, 200, 200), 1)
    (report,) = match_assets([tmp_path / "dark.png"], [frame], [None])
    assert report.matches == []


def test_a_nearly_uniform_picture_counts_only_as_a_tiled_background(tmp_path: Path) -> None:
    tile = np.full((48, 48, 3), 52, np.uint8)
    tile[:24, :24] = tile[24:, 24:] = 58  # a faint checkerboard tile
    cv2.imwrite(str(tmp_path / "tile.png"), tile)
    flat = np.full((300, 480, 3), 40, np.uint8)
    cv2.rectangle(flat, (100, 100), (300, 200), (200, 200, 200), -1)
    (lone,) = match_assets([tmp_path / "tile.png"], [flat], [None])
    assert lone.matches == []
    tiled = np.tile(tile, (6, 10, 1))
    cv2.rectangle(tiled, (120, 96), (360, 192), (235, 235, 235), -1)  # a panel in front
    (report,) = match_assets([tmp_path / "tile.png"], [tiled], [None])
    assert [m.method for m in report.matches] == ["tiled"]
    assert report.matches[0].box.iou(PBox(x=0, y=0, width=480, height=288)) >= 0.8


def test_the_child_process_split_does_not_change_the_result_even_when_the_child_dies(tmp_path: Path) -> None:
    _dot(tmp_path / "green.png", (90, 180, 20))
    _ring_icon(tmp_path / "clock.png")
    frame = np.full((240, 400, 3), 250, np.uint8)
    icon = cv2.imread(str(tmp_path / "clock.png"), cv2.IMREAD_UNCHANGED)
    a = icon[..., 3:4] / 255.0
    frame[60:100, 60:100] = (icon[..., :3] * a + frame[60:100, 60:100] * (1 - a)).astype(np.uint8)
    files = sorted(tmp_path.glob("*.png"))
    one = match_assets(files, [frame, frame], [None, [_b(300, 150, 40, 40)]], workers=1)
    two = match_assets(files, [frame, frame], [None, [_b(300, 150, 40, 40)]], workers=2)
    assert [r.model_dump() for r in one] == [r.model_dump() for r in two]
    assert any(r.found for r in one)
    dead = AssetWorker()
    dead.close()  # killed before it gets any work: the search runs here instead
    again = match_assets(files, [frame, frame], [None, [_b(300, 150, 40, 40)]], workers=2, worker=dead)
    assert [r.model_dump() for r in again] == [r.model_dump() for r in one]


def _star(path: Path, colour: tuple[int, int, int]) -> None:
    """A 16 px star icon with a 2 px transparent margin (like a rating icon)."""
    img = np.zeros((16, 16, 4), np.uint8)
    pts = np.array([[8, 2], [10, 6], [14, 6], [11, 9], [12, 14], [8, 11], [4, 14], [5, 9], [2, 6], [6, 6]], np.int32)
    cv2.fillPoly(img, [pts], (*colour, 255), cv2.LINE_AA)
    cv2.imwrite(str(path), img)


def _paste(frame: np.ndarray, icon: np.ndarray, x: int, y: int, size: int) -> None:
    small = cv2.resize(icon, (size, size), interpolation=cv2.INTER_AREA)
    a = small[..., 3:4] / 255.0
    frame[y:y + size, x:x + size] = (small[..., :3] * a + frame[y:y + size, x:x + size] * (1 - a)).astype(np.uint8)


def test_a_small_icon_beside_look_alike_text_is_found_once(tmp_path: Path) -> None:
    _star(tmp_path / "star.png", (30, 160, 245))  # amber (BGR)
    frame = np.full((200, 400, 3), 252, np.uint8)
    for x in (40, 200):  # rating lines: "* 4.8" in grey text, the icon displayed at 14 px
        cv2.putText(frame, "* 4.8  x * 25 min", (x - 30, 140), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (110, 110, 110), 1, cv2.LINE_AA)
    _paste(frame, cv2.imread(str(tmp_path / "star.png"), cv2.IMREAD_UNCHANGED), 120, 60, 14)
    (report,) = match_assets([tmp_path / "star.png"], [frame], [None])
    boxes = [m.box.as_tuple() for m in report.matches]
    assert len(boxes) == 1, boxes
    assert report.matches[0].box.iou(PBox(x=120, y=60, width=14, height=14)) >= 0.7, boxes


def test_a_picture_scrolled_to_a_sliver_at_the_viewport_edge_is_boxed_where_it_shows(tmp_path: Path) -> None:
    pic = _picture(300, 200, 7)
    cv2.imwrite(str(tmp_path / "photo.png"), pic)
    rng = np.random.default_rng(1)
    page = np.full((1200, 640, 3), 240, np.uint8)
    for _ in range(40):  # other content, so the scroll can be measured
        x, y = int(rng.integers(0, 600)), int(rng.integers(0, 1180))
        cv2.rectangle(page, (x, y), (x + 30, y + 12), tuple(int(v) for v in rng.integers(0, 200, 3)), -1)
    page[250:450, 170:470] = pic
    first, scrolled = page[:480].copy(), page[420:900].copy()  # the page scrolled by 420 px: 30 px of the photo remain
    (report,) = match_assets([tmp_path / "photo.png"], [first, scrolled], [None, [_b(0, 0, 640, 480)]])
    by_kf = {m.keyframe: m.box for m in report.matches}
    assert by_kf[0].iou(PBox(x=170, y=250, width=300, height=200)) >= 0.9
    assert by_kf[1].iou(PBox(x=170, y=0, width=300, height=30)) >= 0.8, by_kf[1]


def test_a_picture_dimmed_behind_a_modal_backdrop_still_counts(tmp_path: Path) -> None:
    pic = _picture(240, 160, 11)
    cv2.imwrite(str(tmp_path / "photo.png"), pic)
    page = np.full((400, 640, 3), 245, np.uint8)
    page[40:200, 30:270] = pic
    dimmed = (page.astype(np.float32) * 0.45 + 10).astype(np.uint8)  # a translucent dark backdrop
    dimmed[60:360, 320:620] = 255  # the dialog, beside the picture
    (report,) = match_assets([tmp_path / "photo.png"], [page, dimmed], [None, [_b(0, 0, 640, 400)]])
    assert sorted(m.keyframe for m in report.matches) == [0, 1]
    assert all(m.box.iou(PBox(x=30, y=40, width=240, height=160)) >= 0.9 for m in report.matches)


def test_a_dialog_over_a_picture_hides_it(tmp_path: Path) -> None:
    pic = _picture(240, 160, 11)
    cv2.imwrite(str(tmp_path / "photo.png"), pic)
    page = np.full((400, 640, 3), 245, np.uint8)
    page[40:200, 30:270] = pic
    covered = page.copy()
    covered[20:380, 10:300] = 255  # an opaque dialog on top of it
    (report,) = match_assets([tmp_path / "photo.png"], [page, covered], [None, [_b(10, 20, 290, 360)]])
    assert [m.keyframe for m in report.matches] == [0]


def test_a_faint_tiled_background_is_found_at_any_lattice_phase(tmp_path: Path) -> None:
    tile = np.full((40, 40, 3), 60, np.uint8)
    tile[:20, :20] = tile[20:, 20:] = 67
    cv2.imwrite(str(tmp_path / "tile.png"), tile)
    page = np.tile(tile, (10, 14, 1))[17:377, 9:529].copy()  # the lattice does not start at the frame corner
    cv2.rectangle(page, (150, 100), (380, 260), (235, 235, 235), -1)
    (report,) = match_assets([tmp_path / "tile.png"], [page], [None])
    assert [m.method for m in report.matches] == ["tiled"]
    assert report.matches[0].box.iou(PBox(x=0, y=0, width=520, height=360)) >= 0.8


def test_a_picture_behind_a_translucent_gradient_is_found(tmp_path: Path) -> None:
    pic = _picture(400, 240, 13)
    cv2.imwrite(str(tmp_path / "hero.png"), pic)
    frame = np.full((480, 800, 3), 245, np.uint8)
    alpha = np.linspace(0.35, 0.55, 240)[:, None, None]  # like linear-gradient(rgba(..., .35), rgba(..., .55)) over a hero
    frame[100:340, 200:600] = (pic * (1 - alpha) + np.array([73, 47, 8]) * alpha).astype(np.uint8)
    (report,) = match_assets([tmp_path / "hero.png"], [frame], [None])
    assert len(report.matches) == 1
    assert report.matches[0].box.iou(PBox(x=200, y=100, width=400, height=240)) >= 0.9


def _busy_page(h: int, w: int, seed: int) -> np.ndarray:
    """A light page with coloured blocks (text-like content a scroll can be measured on)."""
    rng = np.random.default_rng(seed)
    page = np.full((h, w, 3), 240, np.uint8)
    for _ in range(h * w // 6000):
        x, y = int(rng.integers(0, w - 30)), int(rng.integers(0, h - 12))
        cv2.rectangle(page, (x, y), (x + 30, y + 12), tuple(int(v) for v in rng.integers(0, 200, 3)), -1)
    return page


def _pyramids(frames: list[np.ndarray]) -> list[dict[int, np.ndarray]]:
    return [pyramid(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)) for f in frames]


def test_a_state_shown_again_is_not_searched_again_and_keeps_its_sightings(tmp_path: Path) -> None:
    pic = _picture(240, 160, 5)
    cv2.imwrite(str(tmp_path / "photo.png"), pic)
    home = _busy_page(400, 640, 2)
    home[200:360, 360:600] = pic
    other = home.copy()
    other[180:380, 340:620] = _busy_page(200, 280, 9)  # another tab's content where the picture was
    changed = [None, [_b(340, 180, 280, 200)], [_b(340, 180, 280, 200)]]
    bases = plan_bases(_pyramids([home, other, home]), changed)
    assert bases[2].novel == ()  # the home tab again: every pixel was shown by keyframe 0
    assert [s.keyframe for s in bases[2].sources if not s.changed] == [0]
    (report,) = match_assets([tmp_path / "photo.png"], [home, other, home], changed)
    assert sorted(m.keyframe for m in report.matches) == [0, 2]
    assert all(m.box.iou(PBox(x=360, y=200, width=240, height=160)) >= 0.9 for m in report.matches)


def test_after_a_scroll_only_what_scrolled_into_view_and_a_margin_beside_it_is_searched(tmp_path: Path) -> None:
    page = _busy_page(1000, 640, 4)
    thumb = _picture(64, 48, 8)
    cv2.imwrite(str(tmp_path / "thumb.png"), thumb)
    page[420:468, 100:164] = thumb  # mostly shown at the bottom of the first view (clipped), whole after the scroll
    first, scrolled = page[:460].copy(), page[200:660].copy()
    bases = plan_bases(_pyramids([first, scrolled]), [None, [_b(0, 0, 640, 460)]])
    moved = [s for s in bases[1].sources if s.shift != (0, 0)]
    assert [s.shift for s in moved] == [(0, -200)]
    top = min(b.y for b in bases[1].novel)
    assert 260 - 96 - 4 <= top <= 260 - 96 + 4  # the revealed band (from y 260) and the margin beside it
    (report,) = match_assets([tmp_path / "thumb.png"], [first, scrolled], [None, [_b(0, 0, 640, 460)]])
    assert (1, (100, 220, 64, 48)) in [(m.keyframe, m.box.as_tuple()) for m in report.matches]


def test_a_child_killed_after_its_first_answer_leaves_the_rest_of_the_search_to_this_process(tmp_path: Path) -> None:
    pic = _picture(240, 160, 5)
    cv2.imwrite(str(tmp_path / "photo.png"), pic)
    _star(tmp_path / "star.png", (30, 160, 245))
    page = _busy_page(400, 640, 2)
    page[200:360, 360:600] = pic
    _paste(page, cv2.imread(str(tmp_path / "star.png"), cv2.IMREAD_UNCHANGED), 100, 60, 16)
    later = page.copy()
    later[40:120, 40:200] = 250  # a panel closes over the star
    files, frames, changed = sorted(tmp_path.glob("*.png")), [page, later], [None, [_b(40, 40, 160, 80)]]
    worker = AssetWorker()
    answer = worker.result
    answers: list[object] = []

    def answer_then_die() -> object:
        out = answer()
        if not answers:  # the child dies right after its first answer
            worker._proc.kill()  # type: ignore[union-attr]
            worker._proc.wait()  # type: ignore[union-attr]
        answers.append(out)
        return out

    worker.result = answer_then_die  # type: ignore[method-assign]
    search = AssetSearch(files, workers=2, worker=worker)
    search.first_state(page)  # the child searches the first state, one asset at a time
    reports = search.finish(frames, changed)
    assert len(answers) >= 2  # the rest was answered here
    alone = match_assets(files, frames, changed, workers=1)
    assert [r.model_dump() for r in reports] == [r.model_dump() for r in alone]
    assert {r.asset for r in reports if r.found} == {"photo.png", "star.png"}


def test_focus_tells_which_boxes_overlap_what_is_new() -> None:
    focus = Focus([_b(100, 100, 50, 20), _b(400, 300, 10, 10)], 640, 480)
    assert focus.hits([_b(90, 90, 20, 20), _b(160, 100, 30, 30), _b(405, 295, 2, 8), _b(0, 0, 640, 480),
                       _b(300, 300, 50, 50)]) == [True, False, True, True, False]


def test_region_correlation_equals_opencv_normalised_correlation() -> None:
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur((rng.random((120, 200)) * 255).astype(np.uint8), (5, 5), 0)
    image[20:60, 30:90] = 200  # a flat patch: OpenCV scores its windows 0
    region, small = SearchRegion(image, [1 << 30]), SearchRegion(image, [0])  # the second has no memory for statistics
    for size in (7, 16, 16, 33):  # a size seen again reuses the window statistics
        tpl = image[70:70 + size, 120:120 + size].copy()
        expected = cv2.matchTemplate(image, tpl, cv2.TM_CCOEFF_NORMED)
        assert np.allclose(region.ncc(tpl), np.nan_to_num(expected, nan=0.0), atol=1e-4)
        assert np.allclose(small.ncc(tpl), np.nan_to_num(expected, nan=-1.0), atol=1e-6)


def test_an_icon_whose_shape_scores_low_at_the_size_its_blob_measures_is_still_verified_there(tmp_path: Path) -> None:
    """An icon drawn at a half-pixel offset blurs: larger or smaller templates fit the blur
    better than the true size, which the blob measured. The pixel check decides there too."""
    from iwr.tools.perception.asset_load import load_asset
    from iwr.tools.perception.asset_matcher import AssetMatcher

    _dot(tmp_path / "dot.png", (40, 200, 90))
    asset = load_asset(tmp_path / "dot.png")
    assert not isinstance(asset, str)
    fw = asset.trim.full_width or asset.size[0]
    matcher = AssetMatcher((400, 240))
    shape = {d: 0.84 - 0.01 * abs(d - 19) for d in range(8, 40)}  # the blur fits sizes around 19 best
    shape[16] = 0.57  # the true size, measured by the blob, scores low
    tried: list[int] = []

    def score_at(_asset, s, _crop, _gray, _level, cx, cy, _pad):
        d = round(s * fw)
        return (shape[d], d, int(cx - d / 2), int(cy - d / 2))

    def accept(_asset, best, _crop, _frame, keyframe):
        tried.append(best[1])
        d = best[1]
        return AssetMatch(asset=asset.name, keyframe=keyframe, box=_b(best[2], best[3], d, d), scale=d / fw,
                          confidence=best[0], method="template") if d == 16 else None

    matcher._score_at = score_at  # type: ignore[method-assign]
    matcher._accept = accept  # type: ignore[method-assign]
    frame = np.zeros((240, 400, 3), np.uint8)
    m = matcher._icon_at(asset, [16 / fw], frame, frame[..., 0], 108.0, 108.0, 0)
    assert m is not None and m.box.width == 16
    assert tried[:4] != [16] * 4 and tried[-1] == 16  # the best shape scores are verified first
