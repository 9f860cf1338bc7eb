"""The recorder end to end on the mini fixture app (real Chromium, ffmpeg, OpenCV)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import MINI_APP, MINI_TWIN_ID, TWIN_ACTIONS, make_demo_variant
from PIL import Image
from test_demo import write_demo
from typer.testing import CliRunner

from iwr.benchmark.dataset import load_task
from iwr.benchmark.ground_truth import GroundTruth
from iwr.benchmark.task import Box
from iwr.cli import app
from iwr.tools.local_server import serve_directory
from iwr.tools.video import frame_at, video_info

ORIGINAL_NAMES = sorted(p.name for p in (MINI_APP / "assets").iterdir())


# --- the recorded mini task ----------------------------------------------------------


def test_recorded_task_reads_back_in_official_layout(mini_task, mini_jsonl: Path) -> None:
    assert mini_task.key == "mini-shop" and len(mini_task.actions) == 5
    assert mini_task.recording_details["resolution"] == "1280x720"
    assert "Chromium" in mini_task.recording_details["environment"]
    assert mini_task.classification.domain == "e-commerce"
    p = mini_task.paths
    assert p.dir == mini_jsonl.parent / "data" / "mini-shop"
    assert sorted(x.name for x in p.checkpoints.glob("step_*.png")) == [f"step_{k}.png" for k in range(6)]
    for k in range(6):
        assert Image.open(p.checkpoint(k)).size == (1280, 720)
    assert [x.name for x in p.asset_files()] == ["asset_001.png", "asset_002.png", "asset_003.png", "asset_004.jpg",
                                                 "asset_005.png"]
    assert [x.name for x in p.contact_sheets()] == ["stitched_image_1.png"]
    meta = json.loads(p.metadata.read_text())
    assert meta["recording_details"]["resolution"] == "1280x720"
    record = json.loads(mini_jsonl.read_text().splitlines()[0])
    assert record["action_sequence"][1]["parameters"]["text"] == "save10"


def test_video_covers_every_action_and_shows_a_pointer(mini_task) -> None:
    gt = GroundTruth.load(mini_task.paths.ground_truth)
    info = video_info(mini_task.paths.video)
    assert (info.width, info.height) == (1280, 720) and info.fps >= 10
    assert info.duration == pytest.approx(gt.duration, abs=0.1)
    assert gt.steps[-1].span[1] <= info.duration
    spans = [s.span for s in gt.steps]
    assert all(a < b for a, b in spans) and all(spans[i][1] <= spans[i + 1][0] + 1e-9 for i in range(len(spans) - 1))
    # at the end of step 1's span the video shows checkpoint 1 with the pointer on the button
    frame = frame_at(mini_task.paths.video, gt.steps[0].span[1] - 0.2).astype(int)
    check = np.asarray(Image.open(mini_task.paths.checkpoint(1)).convert("RGB")).astype(int)
    diff = np.abs(frame - check).max(axis=2) > 60
    ptr = gt.steps[0].pointer
    near = diff[int(ptr.y) - 4 : int(ptr.y) + 30, int(ptr.x) - 8 : int(ptr.x) + 24]
    assert near.sum() > 40  # the pointer is drawn where the click was ...
    elsewhere = (diff.sum() - near.sum()) / (diff.size - near.size)
    assert near.mean() > 50 * elsewhere and diff.mean() < 0.002  # ... and little else differs
    # typing appears character by character: the field differs between span start and end
    first, last = (frame_at(mini_task.paths.video, t) for t in (gt.steps[1].span[0] + 0.05, gt.steps[1].span[1] - 0.05))
    box = gt.steps[1].target_box
    crop = np.s_[int(box.y) : int(box.y + box.height), int(box.x) : int(box.x + box.width)]
    assert np.abs(first[crop].astype(int) - last[crop].astype(int)).max() > 80


def test_assets_are_original_bytes_with_anonymous_names(mini_task) -> None:
    p = mini_task.paths
    originals = {hashlib.sha256((MINI_APP / "assets" / n).read_bytes()).hexdigest(): n for n in ORIGINAL_NAMES}
    recorded = {hashlib.sha256(f.read_bytes()).hexdigest(): f.name for f in p.asset_files()}
    assert set(recorded) == set(originals)  # every image incl. CSS backgrounds and favicon
    gt = GroundTruth.load(p.ground_truth)
    assert {anon: Path(orig).name for anon, orig in gt.asset_names.items()} == {recorded[h]: originals[h] for h in originals}


def test_nothing_the_agent_sees_names_original_assets_or_probes(mini_task, mini_jsonl: Path) -> None:
    p = mini_task.paths
    visible_text = [mini_jsonl.read_text(), p.metadata.read_text()]
    visible_names = [f.name for f in p.asset_files() + p.contact_sheets()] + [p.video.name]
    secrets = [Path(n).stem for n in ORIGINAL_NAMES] + ["mini-twice", "wrong-code", "Mini Runner shoe again", "nope", "#add-red"]
    for secret in secrets:
        for text in visible_text + visible_names:
            assert secret not in text
    inputs = mini_task.inputs()
    assert inputs.video == p.video and next(a.name for a in inputs.assets) == "asset_001.png"
    for path in (inputs.video, *inputs.assets, *inputs.contact_sheets):
        data = path.read_bytes()
        for secret in (s for s in secrets if len(s) >= 8):  # short ones may occur by chance
            assert secret.encode() not in data


def test_probes_are_recorded_apart(mini_task) -> None:
    p = mini_task.paths
    gt = GroundTruth.load(p.ground_truth)
    assert [pr.name for pr in gt.probes] == ["mini-twice", "wrong-code"]
    assert [len(pr.steps) for pr in gt.probes] == [2, 2]
    assert gt.probes[0].actions[1].logical_assertion == "The cart badge shows 2"
    for probe in gt.probes:
        shots = sorted(x.name for x in (p.checkpoints / "probes" / probe.name).glob("*.png"))
        assert shots == ["step_0.png", "step_1.png", "step_2.png"]
    same = np.array_equal(np.asarray(Image.open(p.checkpoints / "probes" / "mini-twice" / "step_0.png")),
                          np.asarray(Image.open(p.checkpoint(0))))
    assert same  # every probe starts from the initial state
    s1 = np.asarray(Image.open(p.checkpoints / "probes" / "mini-twice" / "step_1.png"))
    s2 = np.asarray(Image.open(p.checkpoints / "probes" / "mini-twice" / "step_2.png"))
    assert not np.array_equal(s1, s2)  # badge 1 -> 2


async def _dom_boxes(app_dir: Path) -> dict[str, list[dict]]:
    from iwr.tools.browser import launch_browser

    with serve_directory(app_dir) as site:
        async with launch_browser() as browser:
            page = await browser.new_page(viewport={"width": 1280, "height": 720})
            await page.goto(site.url("index.html"))
            js = "(els) => els.map(e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height}; })"
            return {sel: await page.eval_on_selector_all(sel, js) for sel in ("#add-red", "#code", "header img", ".hero",
                                                                              ".card img", ".star")}


def test_ground_truth_boxes_match_the_dom(mini_task) -> None:
    gt = GroundTruth.load(mini_task.paths.ground_truth)
    dom = {k: [Box(**b) for b in v] for k, v in asyncio.run(_dom_boxes(MINI_APP)).items()}
    assert gt.steps[0].selector == "#add-red" and gt.steps[0].target_box.iou(dom["#add-red"][0]) > 0.98
    assert gt.steps[1].target_box.iou(dom["#code"][0]) > 0.98
    assert gt.steps[0].target_box.contains(gt.steps[0].pointer)
    placed = gt.placements[0]
    names = {Path(orig).name: anon for anon, orig in gt.asset_names.items()}

    def boxes_of(original: str) -> list[Box]:
        return [pl.box for pl in placed if pl.asset == names[original]]

    expected = {
        "mini-logo-original.png": dom["header img"],
        "hero-backdrop-original.png": dom[".hero"],  # CSS background
        "sneaker-photo-original.jpg": dom[".card img"],  # same file at two sizes
        "icon-star-original.png": dom[".star"],  # repeated small icon
    }
    for original, boxes in expected.items():
        got = boxes_of(original)
        assert len(got) == len(boxes), original
        for b in boxes:
            assert max(g.iou(b) for g in got) > 0.98, original
    assert not boxes_of("favicon-mini-original.png")  # loaded, but not drawn in the viewport
    # after the reviews list scrolled, hidden/clipped boxes never leave the viewport
    for pls in gt.placements.values():
        for pl in pls:
            assert pl.box.x >= 0 and pl.box.y >= 0 and pl.box.x + pl.box.width <= 1280.01 and pl.box.y + pl.box.height <= 720.01
    assert gt.steps[3].scroll_delta.y == 360 and gt.steps[4].scroll_delta.y == 360



COVERED_PAGE = """<!doctype html><html><body style="margin:0">
<header style="position:fixed;top:0;left:0;width:1280px;height:100px;background:#fff;z-index:5"></header>
<img id="under-header" src="p.png" style="position:absolute;left:20px;top:50px;width:200px;height:100px">
<img id="under-backdrop" src="p.png" style="position:absolute;left:300px;top:200px;width:160px;height:80px">
<div style="position:absolute;left:280px;top:180px;width:300px;height:200px;background:rgba(0,0,0,.5);z-index:3"></div>
<figure style="position:absolute;left:600px;top:200px;margin:0"><img id="captioned" src="p.png" style="width:160px;height:80px;display:block">
<span style="position:absolute;left:0;top:30px;color:#fff">caption</span></figure>
<img id="under-panel" src="p.png" style="position:absolute;left:20px;top:400px;width:120px;height:60px">
<img id="untestable" src="p.png" style="position:absolute;left:200px;top:400px;width:120px;height:60px;pointer-events:none">
<div style="position:absolute;left:10px;top:390px;width:400px;height:100px;background:rgb(240,240,240);z-index:3"></div>
</body></html>"""


async def _scan_covered(site_dir: Path) -> dict[str, Box | None]:
    from iwr.benchmark.recording.driver import scan_images
    from iwr.tools.browser import launch_browser

    with serve_directory(site_dir) as site:
        async with launch_browser() as browser:
            page = await browser.new_page(viewport={"width": 1280, "height": 720})
            await page.goto(site.url("index.html"))
            uses = await scan_images(page)
            ids = await page.eval_on_selector_all("img", "els => els.map(e => e.id)")
    return dict(zip(ids, (u.box for u in uses if u.kind == "img"), strict=True))


def test_image_boxes_leave_out_what_is_drawn_over_them(tmp_path: Path) -> None:
    Image.new("RGB", (8, 8), (200, 30, 30)).save(tmp_path / "p.png")
    (tmp_path / "index.html").write_text(COVERED_PAGE, encoding="utf-8")
    boxes = asyncio.run(_scan_covered(tmp_path))
    header = boxes["under-header"]  # its top half lies under the opaque fixed header
    assert header is not None and header.y == pytest.approx(100, abs=8) and header.bottom == 150
    assert header.x == 20 and header.width == 200
    # a dimming backdrop and a caption's text leave the picture visible
    assert boxes["under-backdrop"] == Box(x=300, y=200, width=160, height=80)
    assert boxes["captioned"] == Box(x=600, y=200, width=160, height=80)
    assert boxes["under-panel"] is None  # wholly under an opaque panel
    assert boxes["untestable"] == Box(x=200, y=400, width=120, height=60)  # no pointer events: not hit-testable

def test_recording_twice_gives_the_same_checkpoints(mini_task, mini_jsonl: Path) -> None:
    twin = load_task(mini_jsonl, MINI_TWIN_ID)
    for k in range(TWIN_ACTIONS + 1):
        a = np.asarray(Image.open(mini_task.paths.checkpoint(k)).convert("RGB")).astype(int)
        b = np.asarray(Image.open(twin.paths.checkpoint(k)).convert("RGB")).astype(int)
        diff = np.abs(a - b)
        # pixel-identical but for rare anti-aliasing noise (a handful of edge pixels)
        assert (diff > 0).any(axis=2).mean() < 1e-3 and (diff > 16).any(axis=2).mean() < 1e-4, f"checkpoint {k} differs"
    gt_a, gt_b = (GroundTruth.load(t.paths.ground_truth) for t in (mini_task, twin))
    assert [s.span for s in gt_a.steps[:TWIN_ACTIONS]] == [s.span for s in gt_b.steps]
    assert gt_a.asset_names == gt_b.asset_names


# --- CLI: success, and errors that leave DIR as it was -------------------------------


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir" for p in sorted(folder.rglob("*"))}


@pytest.fixture()
def existing_dataset(tmp_path: Path, mini_jsonl: Path) -> Path:
    out = tmp_path / "dataset"
    shutil.copytree(mini_jsonl.parent, out)
    return out


def test_cli_errors_are_one_line_and_leave_dir_unchanged(tmp_path: Path, existing_dataset: Path) -> None:
    before = snapshot(existing_dataset)
    bad_selector = make_demo_variant(tmp_path / "bad_sel", id="bad-selector", actions=[
        {"type": "Click", "target": "#add-red", "description": "Click 'Add to cart'"},
        {"type": "Click", "target": "#no-such-button", "description": "Click a button that is not there"},
    ], probes=[])  # fmt: skip
    malformed = write_demo(tmp_path / "malformed", "id: x\nactions: [\n  - {type: Click\n")
    missing_entry = make_demo_variant(tmp_path / "no_entry", id="no-entry", entry="missing.html")
    runner = CliRunner()
    good = str(MINI_APP / "demo.yaml")  # a valid demo first: nothing of it may be written either
    cases = [
        ([str(bad_selector)], r"action 2 \(Click '#no-such-button'\): selector not found"),
        ([good, str(malformed)], r"malformed YAML"),
        ([good, str(missing_entry)], r"entry file 'missing.html' not found"),
    ]
    for demos, message in cases:
        result = runner.invoke(app, ["record", *demos, "--out", str(existing_dataset), "--timeout", "2"])
        assert result.exit_code != 0
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert re.search(message, lines[0]), lines[0]
        assert snapshot(existing_dataset) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".iwr-record-")]
    fresh = tmp_path / "never-created"
    result = runner.invoke(app, ["record", str(bad_selector), "--out", str(fresh), "--timeout", "2"])
    assert result.exit_code != 0 and not fresh.exists()


def test_tasks_list_shows_the_recorded_tasks(mini_jsonl: Path) -> None:
    result = CliRunner().invoke(app, ["tasks", "list", "--tasks", str(mini_jsonl)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "mini-shop " in line or "mini-shop│" in line.replace(" ", ""))
    cells = [c.strip() for c in row.replace("│", "|").split("|") if c.strip()]
    assert cells[:6] == ["mini-shop", "L2", "V2", "e-commerce/cart", "5", "2"]
    assert cells[6].endswith(" s") and float(cells[6][:-2]) > 5
    bad = CliRunner().invoke(app, ["tasks", "list", "--tasks", "/nonexistent/data.jsonl"])
    assert bad.exit_code != 0 and "error:" in bad.stderr


def test_checkpoint_texts_are_the_visible_text_of_every_state(mini_task) -> None:
    """ground_truth.json holds each checkpoint's viewport text (the judge's extractor)."""
    gt = GroundTruth.load(mini_task.paths.ground_truth)
    n = len(mini_task.actions)
    assert sorted(gt.checkpoint_texts) == list(range(n + 1))
    assert "Cart\n0" in gt.checkpoint_texts[0] or "Cart 0" in gt.checkpoint_texts[0]
    assert "Order summary" not in gt.checkpoint_texts[0]  # below the fold at first
    assert "Order summary" in gt.checkpoint_texts[n]  # the last step scrolled it into view
    for probe in gt.probes:
        assert sorted(probe.checkpoint_texts) == list(range(len(probe.actions) + 1))
    twice = next(p for p in gt.probes if p.name == "mini-twice")
    assert twice.checkpoint_texts[0] == gt.checkpoint_texts[0]
    assert twice.checkpoint_texts[1] != twice.checkpoint_texts[2]  # badge 1 -> 2


def test_recording_works_when_called_from_inside_an_event_loop(tmp_path: Path) -> None:
    """The runner resolves `bundled` inside its event loop; recording must not need a free loop."""
    import yaml

    from iwr.benchmark.recorder import record_demos

    first = yaml.safe_load((MINI_APP / "demo.yaml").read_text())["actions"][:1]
    demo = make_demo_variant(tmp_path / "app", id="in-loop", actions=first, probes=[])

    async def caller() -> list:
        return record_demos([demo], tmp_path / "out")

    tasks = asyncio.run(caller())
    assert [t.key for t in tasks] == ["in-loop"]
    assert (tmp_path / "out" / "data" / "in-loop" / "checkpoints" / "step_1.png").is_file()


def test_a_page_naming_remote_images_still_records_and_nothing_leaves_the_app_server(tmp_path: Path) -> None:
    """Generated or third-party pages are untrusted: images on other hosts (an unresolvable one and
    a live one on another port) are neither loaded by the page nor fetched for the assets."""
    import http.server
    import threading

    import yaml

    from iwr.benchmark.recorder import record_demos

    hits: list[str] = []

    class Counting(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("content-type", "image/png")
            self.end_headers()
            self.wfile.write((MINI_APP / "assets" / "mini-logo-original.png").read_bytes())

        def log_message(self, *args: object) -> None:
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        remote = [f"http://127.0.0.1:{other.server_address[1]}/y.png", "http://example.invalid/x.png"]
        first = yaml.safe_load((MINI_APP / "demo.yaml").read_text())["actions"][:1]
        demo = make_demo_variant(tmp_path / "app", id="remote-images", actions=first, probes=[])
        page = demo.parent / "index.html"
        inject = "".join(f"<img src='{u}' width='20' height='20'><div style=\"background:url('{u}');width:9px;height:9px\"></div>"
                         for u in remote)
        page.write_text(page.read_text().replace("</body>", f"{inject}</body>"))
        tasks = record_demos([demo], tmp_path / "out")
    finally:
        other.shutdown()
    assert [t.key for t in tasks] == ["remote-images"]
    gt = GroundTruth.load(tmp_path / "out" / "data" / "remote-images" / "ground_truth.json")
    assert gt.asset_names and not any(u in name for name in gt.asset_names.values() for u in remote)
    assert hits == []  # neither the page nor the asset fetch asked another server
