"""DOM grounding by position, with no pointer hint (as IWR-Bench ships its tasks): textless
cards of a board by row, column, corner and ordinal; identical 'Add to cart' buttons told
apart by their own card's text and their row."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from static_pages import opened_pages

from iwr.benchmark.judge.grounding import DomGrounder, parse_description
from iwr.benchmark.judge.types import Grounding
from iwr.benchmark.task import Action, Point

# a memory game: 4 x 4 textless buttons on a board, plus a textful control and a heading
MEMORY = """<!DOCTYPE html><html><head><style>
body { font: 16px sans-serif; margin: 0; padding: 20px; }
#board { display: grid; grid-template-columns: repeat(4, 90px); gap: 12px; margin-top: 12px; }
#board button { width: 90px; height: 110px; border: 0; border-radius: 8px; background: #35a; cursor: pointer; }
#board button.up { background: #fc3; }
.bar { display: flex; gap: 20px; align-items: center; }
</style></head><body>
<div class="bar"><h1>Memory</h1><span>Moves: <b id="moves">0</b></span><button id="restart">Restart</button></div>
<div id="board"></div>
<p id="last">none</p>
<div role="dialog" id="confirm"><h2>Confirm upgrade</h2><button id="open">Open</button><button id="close">Close</button></div>
<script>
const board = document.getElementById('board');
for (let i = 0; i < 16; i++) {
  const b = document.createElement('button');
  b.dataset.i = String(i);
  b.addEventListener('click', () => { b.classList.add('up'); document.getElementById('last').textContent = 'card ' + i; });
  board.appendChild(b);
}
</script></body></html>"""

MEMORY_DESC = "Click the face-down card in row 1, column 1 (top-left) of the game board"

# a shop: 3 x 3 product cards; each card's buttons sit in their own row below the text
PRODUCTS = [
    ("Wool Cap", "grey wool cap", "$24.00"), ("Sun Visor", "white visor", "$18.00"), ("Rain Jacket", "yellow jacket", "$89.00"),
    ("Trail Socks", "green socks", "$12.00"), ("Canvas Tote", "beige tote bag", "$18.00"), ("Sun Cap", "orange cap", "$18.00"),
    ("Beach Towel", "striped towel", "$30.00"), ("Straw Hat", "wide straw hat", "$18.00"),
    ("Flip Flops", "blue sandals", "$15.00"),
]


def shop_html(order: list[int]) -> str:
    cards = "".join(
        f"<div class='card' data-i='{i}'><div class='info'><h3>{PRODUCTS[i][0]}</h3><p>{PRODUCTS[i][1]}</p>"
        f"<p class='price'>{PRODUCTS[i][2]}</p></div>"
        f"<div class='actions'><button class='add'>Add to cart</button><button class='save'>Save</button></div></div>"
        for i in order)
    return ("<!DOCTYPE html><html><head><style>"
            "body { font: 15px sans-serif; margin: 0; padding: 16px; }"
            ".grid { display: grid; grid-template-columns: repeat(3, 240px); gap: 14px; }"
            ".card { border: 1px solid #ccc; border-radius: 8px; padding: 8px; }"
            ".card h3 { margin: 0; font-size: 16px; } .card p { margin: 2px 0; }"
            ".add { width: 120px; height: 32px; } .save { width: 60px; height: 32px; }"
            "</style></head><body><h1>Hats and more</h1><div class='grid'>" + cards + "</div></body></html>")


# a sortable table under a heading that shares a word with one of its column headers
TABLE = """<!DOCTYPE html><html><head><style>
body { font: 15px sans-serif; padding: 16px; } th { cursor: pointer; padding: 6px 14px; text-align: left; }
</style></head><body><section><h2>Product performance <small>(5 rows)</small></h2>
<table><thead><tr><th>Product</th><th>Category</th><th>Region</th><th>Units</th><th>Revenue</th></tr></thead>
<tbody><tr><td>Desk lamp</td><td>Home</td><td>West</td><td>12</td><td>$480</td></tr>
<tr><td>Notebook</td><td>Office</td><td>East</td><td>40</td><td>$200</td></tr></tbody></table></section>
</body></html>"""


@pytest.fixture(scope="module")
def pages(loop: asyncio.AbstractEventLoop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The memory board, the shop, and the shop with Sun Cap moved to the first row."""
    root = tmp_path_factory.mktemp("grid_pages")
    sources = {"memory": MEMORY, "shop": shop_html(list(range(9))), "moved": shop_html([5, 1, 2, 3, 4, 0, 6, 7, 8]),
               "table": TABLE}
    with opened_pages(loop, root, sources) as opened:
        yield opened


def ground(loop: asyncio.AbstractEventLoop, page: Any, desc: str) -> Grounding:
    action = Action(type="Click", parameters={"description": desc})
    return loop.run_until_complete(DomGrounder().ground(page, action, 1, None, None))


def centre(loop: asyncio.AbstractEventLoop, page: Any, selector: str) -> Point:
    box = loop.run_until_complete(page.locator(selector).bounding_box())
    return Point(x=box["x"] + box["width"] / 2, y=box["y"] + box["height"] / 2)


@pytest.mark.parametrize(
    ("desc", "index"),
    [
        (MEMORY_DESC, 0),
        ("Click the card in row 2, column 3", 6),
        ("Click the face-down card in the bottom-right corner of the board", 15),
        ("Click the tile in the top-right corner", 3),
        ("Click the third cell of the second row", 6),
        ("Click the first card in the last row", 12),
        ("Click the last square", 15),
        ("Flip the card at row 4, column 2 of the memory board", 13),
        ("Click the 2nd card of the 3rd row", 9),
    ],
)
def test_textless_cards_by_row_column_corner_and_ordinal(
        loop: asyncio.AbstractEventLoop, pages: dict[str, Any], desc: str, index: int) -> None:
    page = pages["memory"]
    g = ground(loop, page, desc)
    target = centre(loop, page, f"#board button[data-i='{index}']")
    assert g.found and g.box is not None and g.box.contains(target), (desc, g)
    assert not g.ambiguous, (desc, g)


def test_a_recorded_pointer_agrees_with_the_position(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    """The issue's case with its hint: the card under the recorded pointer is found, not refused."""
    page = pages["memory"]
    target = centre(loop, page, "#board button[data-i='0']")
    action = Action(type="Click", parameters={"description": MEMORY_DESC})
    g = loop.run_until_complete(DomGrounder().ground(page, action, 1, Point(x=target.x + 4, y=target.y - 6), None))
    assert g.found and not g.ambiguous and g.box is not None and g.box.contains(target), g


def test_a_textful_control_still_wins_by_its_name(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    page = pages["memory"]
    g = ground(loop, page, "Click the Restart button at the top of the game")
    assert g.found and g.box is not None and g.box.contains(centre(loop, page, "#restart"))


SUN_CAP = "Click the 'Add to cart' button on the Sun Cap card (orange cap, $18.00) in the second row"


def test_identical_buttons_told_apart_by_their_card_and_row(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    """'second' binds to 'row' (not the second matching button); the card's own text decides."""
    page = pages["shop"]
    g = ground(loop, page, SUN_CAP)
    assert g.found and not g.ambiguous, g
    assert g.box is not None and g.box.contains(centre(loop, page, ".card[data-i='5'] .add")), g
    g2 = ground(loop, page, "Click 'Save' on the Straw Hat card")
    assert g2.found and not g2.ambiguous and g2.box is not None
    assert g2.box.contains(centre(loop, page, ".card[data-i='7'] .save")), g2
    g3 = ground(loop, page, "Click the 'Add to cart' button of the third card in the second row")
    assert g3.found and g3.box is not None and g3.box.contains(centre(loop, page, ".card[data-i='5'] .add")), g3


def test_the_named_product_outweighs_a_row_that_moved(loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    """A reconstruction may lay the cards out differently: the product's own text beats the row."""
    page = pages["moved"]
    g = ground(loop, page, SUN_CAP)
    assert g.found and g.box is not None and g.box.contains(centre(loop, page, ".card[data-i='5'] .add")), g


def test_words_naming_the_container_do_not_pick_a_control_by_that_name(
        loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    """'of the Product performance table' names where the target is, not the 'Product' header."""
    page = pages["table"]
    g = ground(loop, page, "Click the 'Units' column header of the Product performance table")
    assert g.found and not g.ambiguous and g.element and "Units" in g.element, g
    g2 = ground(loop, page, "Click the Product column header")
    assert g2.found and g2.element and "Product" in g2.element, g2
    # sorted: the header reads 'Units ▼'; 'Product' is named only inside the container's phrase
    loop.run_until_complete(page.evaluate("document.querySelectorAll('th')[3].textContent = 'Units ▼'"))
    g3 = ground(loop, page, "Click the 'Units' column header of the Product performance table again")
    assert g3.found and not g3.ambiguous and g3.element and "Units" in g3.element, g3


def test_ordinals_bind_to_their_noun() -> None:
    d = parse_description(SUN_CAP)
    assert d.ordinal is None and d.grid is not None and (d.grid.row, d.grid.col) == (2, None)
    assert "row" not in d.words and {"sun", "cap"} <= set(d.words)
    assert parse_description("Click the second 'Add to cart' button").ordinal == 2
    assert parse_description("Click the 2nd tab").ordinal == 2
    cell = parse_description("Click the third cell of the second row")
    assert cell.ordinal is None and (cell.grid.row, cell.grid.col) == (2, 3) and "card" in cell.kinds
    corner = parse_description("Click the tile in the bottom-right corner")
    assert (corner.grid.row, corner.grid.col) == (-1, -1)
    assert parse_description("Click the button at the top right").grid is None  # a page position, not a grid's
    explicit = parse_description("Click the face-down card in row 1, column 1 (top-left) of the game board")
    assert (explicit.grid.row, explicit.grid.col) == (1, 1)


def test_a_control_named_by_a_verb_is_named_by_the_description(
        loop: asyncio.AbstractEventLoop, pages: dict[str, Any]) -> None:
    """Only the description's leading verb is an instruction: 'Close' and 'Open' later are names."""
    page = pages["memory"]
    g = ground(loop, page, "Click the Close button of the dialog")
    assert g.found and not g.ambiguous and g.box is not None and g.box.contains(centre(loop, page, "#close")), g
    g2 = ground(loop, page, "Now click Open in the Confirm upgrade dialog")
    assert g2.found and g2.box is not None and g2.box.contains(centre(loop, page, "#open")), g2
    assert "click" not in parse_description("Now click the Open button").words
