"""DOM grounding of targets named by their place rather than their own text, with no pointer
hint (as IWR-Bench ships its tasks): an icon button described by its look and the corner of
the screen; a field under a quoted heading; the anchor of a relation is not its target; the
section heading as context; a draggable card opened by a delegated click."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from static_pages import opened_pages

from iwr.benchmark.judge.description import parse_description, tokens
from iwr.benchmark.judge.grounding import DomGrounder, load_js
from iwr.benchmark.judge.types import Grounding
from iwr.benchmark.task import Action

ARROW = ('<button id="next" aria-label="next slide" style="position:fixed;right:12px;bottom:12px;width:36px;height:36px">'
         '<svg width="20" height="20"><path d="M4 10h12M10 4l6 6-6 6" stroke="#000"/></svg></button>')

PAGE = """<!DOCTYPE html><html><head><style>
body { font: 15px sans-serif; margin: 0; padding: 16px; }
h2 { margin: 18px 0 6px; } label { display: block; margin-top: 8px; }
.board { display: flex; gap: 16px; } .col { width: 220px; background: #eee; padding: 8px; }
.kcard { background: #fff; margin: 6px 0; padding: 8px; cursor: grab; }
#tools button, #tools2 button { width: 30px; height: 30px; }
</style></head><body>
<h1>Widgets</h1>
<h2>Datepicker</h2><input id="date" type="text">
<h2>Autocomplete</h2><input id="auto" type="text">
<h2>Example 1: open and close with links</h2><p>Some text.</p><a class="btn" id="ex1" href="#one">Open Modal</a>
<h2>Example 2: styled login form</h2><p>More text.</p><a class="btn" id="ex2" href="#two">Open Modal</a>
<form>
  <label for="title">Title</label><input id="title" type="text">
  <label for="desc">Description</label><textarea id="desc"></textarea>
  <label for="value">Value:</label><input id="value" type="text">
  <button id="authorize" type="button">Authorize</button><button id="close" type="button">Close</button>
</form>
<div><input type="checkbox" id="cb1"><label for="cb1" style="display:inline">Book flights</label></div>
<div><input type="checkbox" id="cb2"><label for="cb2" style="display:inline">Pack bags</label></div>
<div class="board" id="board">
  <div class="col"><h3>To do</h3>
    <article class="kcard" draggable="true" id="k1"><b>Write release notes</b><p>for 4.2</p></article>
    <article class="kcard" draggable="true" id="k2"><b>Refresh icon system</b><p>move to custom icons</p></article>
  </div>
</div>
<svg id="goban" width="120" height="120" style="display:block">%RECTS%</svg>
<div id="tools"><button id="t1" title="Jump back">&lt;&lt;</button><button id="t2" title="Back one">&lt;</button>
<button id="t3" title="Forward one">&gt;</button><button id="t4" title="Triangle">&#9651;</button></div>
<div id="tools2" style="margin-left:200px"><button title="Circle">o</button><button title="Square">#</button>
<button title="Label">A</button></div>
<div id="range" role="group" aria-label="Date range"><button id="r7">7d</button><button id="r30">30d</button></div>
<div class="op"><button id="h1">GET /pets</button><div><p>Lists pets.</p><button id="try1">Try it out</button></div></div>
<div class="op"><button id="h2">GET /users</button><div><p>Lists users.</p><button id="try2">Try it out</button></div></div>
<div id="progress" style="position:fixed;left:0;bottom:0;width:100%;height:3px;background:#39f;cursor:pointer"></div>
<p id="opened">none</p>
%ARROW%
<script>
document.querySelectorAll('#goban rect').forEach((r) => r.addEventListener('click', () => {
  document.getElementById('opened').textContent = r.id;
}));
document.getElementById('range').addEventListener('click', (e) => {
  document.getElementById('opened').textContent = e.target.id;
});
document.getElementById('board').addEventListener('click', (e) => {
  const card = e.target.closest('.kcard'); if (card) document.getElementById('opened').textContent = card.id;
});
</script></body></html>"""


@pytest.fixture(scope="module")
def pages(loop: asyncio.AbstractEventLoop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The page with its corner arrow, and the same page without it."""
    root = tmp_path_factory.mktemp("place_pages")
    # a 3 x 3 board of transparent SVG points whose only sign is their click listener
    rects = "".join(f'<rect id="p{r}{c}" x="{(c - 1) * 40}" y="{(r - 1) * 40}" width="40" height="40" opacity="0"/>'
                    for r in range(1, 4) for c in range(1, 4))
    page = PAGE.replace("%RECTS%", rects)
    sources = {"with_arrow": page.replace("%ARROW%", ARROW), "no_arrow": page.replace("%ARROW%", "")}
    with opened_pages(loop, root, sources, 1280, 1600, init_scripts=[load_js("listeners.js")]) as opened:
        yield opened


def ground(loop: asyncio.AbstractEventLoop, page: Any, desc: str, kind: str = "Click", text: str | None = None) -> Grounding:
    params: dict[str, str] = {"description": desc}
    if text is not None:
        params["text"] = text
    return loop.run_until_complete(DomGrounder().ground(page, Action(type=kind, parameters=params), 1, None, None))


def element_id(loop: asyncio.AbstractEventLoop, page: Any, g: Grounding) -> str:
    """The id of the element (or its nearest ancestor with one) at the grounded point."""
    assert g.found, g.error
    assert g.point is not None
    return str(loop.run_until_complete(page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y); const h = e && e.closest('[id]'); return h ? h.id : ''; }",
        [g.point.x, g.point.y])))


def test_an_icon_button_described_by_its_look_and_corner(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    # a full-width bar along the bottom edge is not in the bottom-right corner
    desc = "Click the arrow pointing right in the bottom-right corner of the screen"
    assert element_id(loop, pages["with_arrow"], ground(loop, pages["with_arrow"], desc)) == "next"
    # nothing in that corner: no element is chosen for it
    assert not ground(loop, pages["no_arrow"], desc).found


def test_a_field_under_a_quoted_heading(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    page = pages["with_arrow"]
    g = ground(loop, page, "Type 'ja' into the empty text box under the 'Autocomplete' heading", "Type", "ja")
    assert element_id(loop, page, g) == "auto"
    g = ground(loop, page, "Type 'ja' into the empty text box under the 'Datepicker' heading", "Type", "ja")
    assert element_id(loop, page, g) == "date"


def test_the_anchor_of_a_relation_is_not_its_target(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    page = pages["with_arrow"]
    g = ground(loop, page, "Type 'notes' into the Description box below the title", "Type", "notes")
    assert element_id(loop, page, g) == "desc"
    assert element_id(loop, page, ground(loop, page, "Click the 'Authorize' button under the Value box")) == "authorize"
    # a control named by the anchor's text is still the target when it is of the target's kind
    assert element_id(loop, page, ground(loop, page, "Click the checkbox to the left of the 'Pack bags' task")) == "cb2"


def test_the_section_heading_tells_identical_links_apart(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    page = pages["with_arrow"]
    assert element_id(loop, page, ground(loop, page, "Click the 'Open Modal' button of Example 2")) == "ex2"
    assert element_id(loop, page, ground(loop, page, "Click the 'Open Modal' button of Example 1")) == "ex1"


def test_a_draggable_card_with_a_delegated_click_is_a_target(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    page = pages["with_arrow"]
    g = ground(loop, page, "Click the card 'Refresh icon system' (second card of the 'To do' column)")
    assert element_id(loop, page, g) == "k2"


def test_hyphenated_compounds_and_anchor_words() -> None:
    assert "-" not in tokens("the bottom-right corner") and tokens("a - b")[1] == "-"
    d = parse_description("Type 'ja' into the empty text box under the 'Autocomplete' heading", exclude_quote="ja")
    assert d.quotes == [] and d.relations == [("below", "Autocomplete")] and "heading" in d.context_words
    d = parse_description("Click the 'Authorize' button under the api_key Value box")
    assert d.quotes == ["Authorize"] and d.kinds == {"button"}  # 'box' names the anchor


def test_listener_only_board_points_by_row_and_column(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    page = pages["with_arrow"]
    g = ground(loop, page, "Click the point in the middle of the board (row 2, column 2)")
    assert element_id(loop, page, g) == "p22"
    assert element_id(loop, page, ground(loop, page, "Click the bottom-right corner point of the board")) == "p33"


def test_a_rank_in_a_row_and_an_aside_that_names_another_control(loop: asyncio.AbstractEventLoop,
                                                                   pages: dict[str, Any]) -> None:
    page = pages["with_arrow"]
    # the two rows of buttons share a grid whose columns do not line up: 'third' is the rank in the row;
    # the aside "(a triangle)" describes the look and does not name the 'Triangle' button
    g = ground(loop, page, "Click the forward button (a right-pointing triangle), the third button of the top row")
    assert element_id(loop, page, g) == "t3"


def test_a_delegated_listener_is_not_a_target_over_its_controls(loop: asyncio.AbstractEventLoop,
                                                                pages: dict[str, Any]) -> None:
    page = pages["with_arrow"]
    # the group's own name ('Date range') is in the description, yet its buttons are the targets
    assert element_id(loop, page, ground(loop, page, "Click the '7d' date range button")) == "r7"


def test_a_quoted_container_name_is_context_not_the_target(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    page = pages["with_arrow"]
    # the section's header button carries 'GET /users' as its own text; the target is the section's button
    g = ground(loop, page, "Click the 'Try it out' button of the 'GET /users' section")
    assert element_id(loop, page, g) == "try2"
    d = parse_description("Click the 'Try it out' button of the 'GET /users' section")
    assert d.quotes == ["Try it out"] and d.context_quotes == ["GET /users"]


def _cand(i: int, text: str, box: list[float], off: bool = False) -> dict[str, Any]:
    c: dict[str, Any] = {f: "" for f in ("text", "aria", "label", "placeholder", "title", "alt", "value", "name",
                                        "ctx", "ctx2", "role", "type")}
    c.update(i=i, tag="a", text=text, box=box, pt=None if off else [box[0] + 5, box[1] + 5], reason="tag", off=off)
    return c


def test_spatial_words_read_off_screen_controls_at_the_viewport_edge() -> None:
    from iwr.benchmark.judge.candidate_scoring import score_candidates

    # the lower of two links on screen, and a third one seven screens down: 'lower' may not favour it sevenfold
    snap = {"vw": 1280, "vh": 720, "texts": [], "candidates": [
        _cand(0, "Open Modal", [190, 340, 130, 40]), _cand(1, "Open Modal", [190, 610, 130, 40]),
        _cand(2, "Open Modal", [190, 5400, 130, 40], off=True)]}
    scored, _ = score_candidates(snap,
                                 Action(type="Click", parameters={"description": "Click the lower 'Open Modal' link"}), None)
    assert all(0.0 <= s.parts["absolute"] <= 1.0 for s in scored)
    assert scored[0].cand["i"] == 1  # on screen and lower beats off screen (penalised) and upper


def test_place_words_of_a_name_or_an_aside_are_not_places(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    # without the corner arrow: a look-alike button far from the rows still breaks their grid (a known limit)
    page = pages["no_arrow"]
    # 'last' in "last-step" names the button; its place is "the second button of the top row"
    g = ground(loop, page, "Click the last-step button (a left-pointing arrow), the second button of the top row")
    assert element_id(loop, page, g) == "t2"
    # "right-most ... of the top row" is the last rank in that row; the aside's "followed by" is
    # the button's look, not a relation to another control (here: its own text)
    g = ground(loop, page, "Click the right-most button of the top row (a small box followed by '\u25b3')")
    assert element_id(loop, page, g) == "t4"
    d = parse_description("Click the first-move button (a bar and a left-pointing triangle), the left-most button of the top row")
    assert d.grid is not None and (d.grid.row, d.grid.col, d.grid.rank_in_row) == (1, 1, True)
    assert d.relations == [] and not d.absolute and d.ordinal is None
    d = parse_description("Click the top-level menu item 'File'")
    assert d.grid is None and not d.absolute
