"""DOM grounding on real Chromium: container words, ordinals, spatial words, labels,
aria-only icons, placeholders, hints, ambiguity and misses."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iwr.benchmark.judge.grounding import DomGrounder, parse_description
from iwr.benchmark.judge.types import Grounding
from iwr.benchmark.task import Action, Point
from iwr.tools.sandbox import BrowserHandle, Sandbox

PAGES = Path(__file__).parent / "fixtures" / "pages"


@pytest.fixture(scope="module")
def shop(loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    """The shop fixture page, loaded once at 1280x720."""
    handle = BrowserHandle(memory_limit_mb=0)
    sandbox = Sandbox(handle)
    loop.run_until_complete(handle.start())
    site = sandbox.site(PAGES / "shop")
    cm = sandbox.open(site, 1280, 720)
    sp = loop.run_until_complete(cm.__aenter__())
    loop.run_until_complete(sp.goto())
    yield sp.page
    loop.run_until_complete(cm.__aexit__(None, None, None))
    loop.run_until_complete(sandbox.__aexit__(None, None, None))
    loop.run_until_complete(handle.close())


def ground(loop: asyncio.AbstractEventLoop, page: Any, kind: str, desc: str, hint: Point | None = None,
           **params: Any) -> Grounding:
    action = Action(type=kind, parameters={"description": desc, **params})
    return loop.run_until_complete(DomGrounder().ground(page, action, 1, hint, None))


def centre_of(loop: asyncio.AbstractEventLoop, page: Any, selector: str, nth: int = 0) -> Point:
    box = loop.run_until_complete(page.locator(selector).nth(nth).bounding_box())
    return Point(x=box["x"] + box["width"] / 2, y=box["y"] + box["height"] / 2)


def hits(g: Grounding, p: Point) -> bool:
    return g.found and g.box is not None and g.box.contains(p)


@pytest.mark.parametrize(
    ("desc", "selector", "nth"),
    [
        ("Click the 'Add to cart' button on the City Walker card", ".buy", 1),
        ("Click Add to cart for the Road Racer", ".buy", 2),
        ("Click the second 'Add to cart' button", ".buy", 1),
        ("Click the last 'Add to cart' button", ".buy", 2),
        ("Click the third tab", "[role=tab]", 2),
        ("Click the 'Specs' tab", "[role=tab]", 1),
        ("Click the + next to the Water bottle quantity", ".step[data-d='1']", 0),
        ("Click the + to the right of the Running socks quantity", ".step[data-d='1']", 1),
        ("Click the − below the Water bottle row", ".step[data-d='-1']", 1),
        ("Click the cart icon in the header", "#cart-icon", 0),
        ("Click the button at the top right", "#cart-icon", 0),
        ("Check the 'Subscribe to newsletter' checkbox", "#news", 0),
        ("Click the 'About' link in the navigation", "nav a", 1),
    ],
)
def test_click_descriptions_find_the_right_element(loop: asyncio.AbstractEventLoop, shop: Any, desc: str, selector: str,
                                                   nth: int) -> None:
    g = ground(loop, shop, "Click", desc)
    assert hits(g, centre_of(loop, shop, selector, nth)), (desc, g)
    assert g.method == "dom" and g.candidates > 5


def test_placeholder_only_field_for_type(loop: asyncio.AbstractEventLoop, shop: Any) -> None:
    g = ground(loop, shop, "Type", "Type 'boots' into the search field")
    assert hits(g, centre_of(loop, shop, "#search"))
    g2 = ground(loop, shop, "Type", "Enter 'Specs' in the box that says Search products")  # typed text is not a target cue
    assert hits(g2, centre_of(loop, shop, "#search"))


def test_same_text_without_cues_is_ambiguous_and_hint_resolves_it(loop: asyncio.AbstractEventLoop, shop: Any) -> None:
    g = ground(loop, shop, "Click", "Click the 'Add to cart' button")
    assert g.found and g.ambiguous and g.runner_up is not None and g.score is not None
    third = centre_of(loop, shop, ".buy", 2)
    g2 = ground(loop, shop, "Click", "Click the 'Add to cart' button", hint=Point(x=third.x + 3, y=third.y - 2))
    assert hits(g2, third) and not g2.ambiguous


def test_missing_target_is_not_found(loop: asyncio.AbstractEventLoop, shop: Any) -> None:
    g = ground(loop, shop, "Click", "Click the 'Proceed to checkout' button")
    assert not g.found and g.error


def test_point_action_grounds_at_the_point(loop: asyncio.AbstractEventLoop, shop: Any) -> None:
    p = centre_of(loop, shop, "nav a", 2)
    action = Action(type="Click", parameters={"description": ""}, point=p)
    g = loop.run_until_complete(DomGrounder().ground(shop, action, 1, None, None))
    assert g.method == "point" and g.found and g.element and "Contact" in g.element


def test_press_needs_no_element(loop: asyncio.AbstractEventLoop, shop: Any) -> None:
    g = ground(loop, shop, "Press", "Press Enter", key="Enter")
    assert g.found and g.method == "keyboard" and g.box is None


def test_parse_description_cues() -> None:
    d = parse_description("Click the second 'Add to cart' button on the bottle's card, next to \"Qty\"")
    assert d.quotes == ["Add to cart"]  # 'Qty' names the anchor, not the target
    assert d.ordinal == 2 and "button" in d.kinds and "card" in d.kinds
    assert ("near", "Qty") in d.relations
    assert "bottle" in d.words  # possessive dropped
    typed = parse_description("Type 'hello' into the 'Name' field", exclude_quote="hello")
    assert typed.quotes == ["Name"] and "field" in typed.kinds
    assert parse_description("Click the button below the price").relations == [("below", "price")]


# --- LLM grounding through LiteLLM against the local fake OpenAI-compatible server --------


def _llm_grounder(srv: Any) -> Any:
    from iwr.benchmark.judge.llm_grounding import LLMGrounder
    from iwr.tools.llm import LLMGateway, LLMSettings

    settings = LLMSettings(model=srv.model, api_base=srv.api_base, api_key="x", cache=False, max_retries=0, timeout=20)
    return LLMGrounder(LLMGateway(settings))


def test_llm_grounder_index_vision_and_errors(loop: asyncio.AbstractEventLoop, shop: Any) -> None:
    from iwr.tools.llm import FakeOpenAIServer, ModelError

    snap = loop.run_until_complete(DomGrounder().snapshot(shop))
    about = next(i for i, c in enumerate(snap["candidates"]) if c["text"] == "About")
    contact = centre_of(loop, shop, "nav a", 2)
    script = [
        f'{{"index": {about}}}',  # 1: text answer
        '```json\n{"index": null}\n```',  # 2: none in the list -> vision fallback
        f'{{"x": {contact.x}, "y": {contact.y}}}',
        "I believe it is the About link.",  # 3: unparseable
        {"fault": "bad_request"},  # 4: API error
        '{"index": 9999}',  # 5: out of range
    ]
    with FakeOpenAIServer(script) as srv:
        grounder = _llm_grounder(srv)
        action = Action(type="Click", parameters={"description": "Click the 'About' link"})
        g = loop.run_until_complete(grounder.ground(shop, action, 1, None, None))
        assert g.method == "llm" and hits(g, centre_of(loop, shop, "nav a", 1))
        prompt = srv.requests[0]["messages"][-1]["content"]
        prompt_text = prompt if isinstance(prompt, str) else " ".join(p.get("text", "") for p in prompt)
        assert f"[{about}] <a>" in prompt_text and "Click the 'About' link" in prompt_text

        g2 = loop.run_until_complete(grounder.ground(shop, action, 1, None, None))
        assert g2.method == "vision" and hits(g2, contact)
        assert any(p.get("type") == "image_url" for p in srv.requests[2]["messages"][-1]["content"])

        for _ in range(3):  # unparseable, API error, invalid index: errors, never a verdict
            with pytest.raises(ModelError):
                loop.run_until_complete(grounder.ground(shop, action, 1, None, None))


def test_llm_grounding_error_is_recorded_as_model_error_in_replay(loop: asyncio.AbstractEventLoop, tmp_path: Path) -> None:
    from iwr.benchmark.judge.replay import replay_page
    from iwr.benchmark.judge.types import Trajectory
    from iwr.benchmark.task import Resolution
    from iwr.tools.llm import FakeOpenAIServer

    async def run(grounder: Any) -> Any:
        async with BrowserHandle(memory_limit_mb=0) as handle, Sandbox(handle) as sb:
            traj = Trajectory(actions=[Action(type="Click", parameters={"description": "Click the 'About' link"})])
            return await replay_page(handle, sb.site(PAGES / "shop"), traj, Resolution(width=1280, height=720), tmp_path,
                                     grounder)

    with FakeOpenAIServer(["no idea"]) as srv:
        trace = loop.run_until_complete(run(_llm_grounder(srv)))
    step = trace.steps[0]
    assert not step.performed and step.error_kind == "model" and step.error and step.error.startswith("model error")


@pytest.mark.parametrize(
    ("desc", "selector", "nth"),
    [
        ("Click the delete (bin) icon button at the right end of the 'Write weekly report' row", "button.del", 1),
        ("Click the trash icon of the 'Call the plumber' task", "button.del", 2),
        ("Click the remove button next to 'Buy oat milk'", "button.del", 0),
        ("Tick the checkbox of 'Write weekly report'", "#t1", 0),
    ],
)
def test_icon_button_words_beat_the_row_label(loop: asyncio.AbstractEventLoop, desc: str, selector: str, nth: int) -> None:
    """Rows of checkbox + <label> + image-only delete button: kind words pick the button,
    not the label that carries the quoted row text."""
    handle = BrowserHandle(memory_limit_mb=0)

    async def run() -> tuple[Grounding, Point, Point]:
        await handle.start()
        try:
            async with Sandbox(handle) as sb, sb.open(sb.site(PAGES / "todo_rows"), 1280, 720) as sp:
                await sp.goto()
                action = Action(type="Click", parameters={"description": desc})
                g = await DomGrounder().ground(sp.page, action, 1, None, None)
                box = await sp.page.locator(selector).nth(nth).bounding_box()
                label = await sp.page.locator("label").nth(max(nth, 0)).bounding_box()
                centre = Point(x=box["x"] + box["width"] / 2, y=box["y"] + box["height"] / 2)
                lab = Point(x=label["x"] + label["width"] / 2, y=label["y"] + label["height"] / 2)
                return g, centre, lab
        finally:
            await handle.close()

    g, target, label_centre = loop.run_until_complete(run())
    assert hits(g, target), (desc, g)
    assert not g.box.contains(label_centre) or selector.startswith("#")


def _two_buy_buttons(folder: Path, first: str, second: str) -> Path:
    folder.mkdir(parents=True)
    style = "button { width: 140px; height: 48px; margin: 40px; border: 0; color: white; font: 18px sans-serif; }"
    (folder / "index.html").write_text(
        f"<!DOCTYPE html><html><head><style>{style}</style></head><body>"
        f"<button style='background:{first}'>Buy</button><button style='background:{second}'>Buy</button>"
        "</body></html>")
    return folder


def test_look_of_the_recorded_target_decides_between_same_text_candidates(
        loop: asyncio.AbstractEventLoop, tmp_path: Path) -> None:
    """Two 'Buy' buttons differing only in colour: the reference shows the target red (first
    there); on the candidate page the red one comes second. Without the look cue the grounder
    takes the first and calls it ambiguous; with it, the red one, with the look in evidence."""
    from iwr.benchmark.judge.grounding import LookCue
    from iwr.benchmark.task import Box

    reference_page = _two_buy_buttons(tmp_path / "ref", "#c0392b", "#2471a3")
    candidate_page = _two_buy_buttons(tmp_path / "cand", "#2471a3", "#c0392b")
    action = Action(type="Click", parameters={"description": "Click the 'Buy' button"})
    handle = BrowserHandle(memory_limit_mb=0)

    async def run() -> tuple[Grounding, Grounding, Point, Point]:
        await handle.start()
        try:
            async with Sandbox(handle) as sb:
                async with sb.open(sb.site(reference_page), 1280, 720) as sp:
                    await sp.goto()
                    shot = tmp_path / "ref.png"
                    shot.write_bytes(await sp.page.screenshot(type="png"))
                    b = await sp.page.locator("button").nth(0).bounding_box()
                    target = Box(x=b["x"], y=b["y"], width=b["width"], height=b["height"])
                async with sb.open(sb.site(candidate_page), 1280, 720) as sp:
                    await sp.goto()
                    plain = await DomGrounder().ground(sp.page, action, 1, None, shot)
                    looked = await DomGrounder().ground(sp.page, action, 1, None, shot, look=LookCue(shot, target))
                    first = await sp.page.locator("button").nth(0).bounding_box()
                    second = await sp.page.locator("button").nth(1).bounding_box()
                    centre = lambda bb: Point(x=bb["x"] + bb["width"] / 2, y=bb["y"] + bb["height"] / 2)  # noqa: E731
                    return plain, looked, centre(first), centre(second)
        finally:
            await handle.close()

    plain, looked, blue, red = loop.run_until_complete(run())
    assert hits(plain, blue) and plain.ambiguous and not plain.evidence
    assert hits(looked, red) and not looked.ambiguous
    assert looked.evidence["look"] > 0.9 and looked.evidence["look"] > looked.evidence["look_runner_up"] + 0.2
