"""The floor-0 core: one error base for the whole project, one Box and Point."""

from __future__ import annotations

import ast
import builtins

from test_import_graph import MODULES, module_path

from iwr.core import Box, IwrError, PixelBox, Point
from iwr.core.saved_diff import compare_saved

BUILTIN_ERRORS = {name for name in dir(builtins) if isinstance(getattr(builtins, name), type)
                  and issubclass(getattr(builtins, name), BaseException)}


def _error_classes() -> dict[str, list[str]]:
    """Every exception class the package defines: name -> its bases' names."""
    classes: dict[str, list[str]] = {}
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases]
                classes[f"{module_path(name)}:{node.name}"] = bases
    return classes


def test_every_error_of_the_project_derives_from_the_core_base() -> None:
    classes = _error_classes()
    project_errors = {"IwrError"}
    changed = True
    while changed:  # close over the classes deriving from a project error
        before = len(project_errors)
        project_errors |= {key.rpartition(":")[2] for key, bases in classes.items() if project_errors & set(bases)}
        changed = len(project_errors) != before
    stray = [key for key, bases in classes.items()
             if BUILTIN_ERRORS & set(bases) and not project_errors & set(bases) and not key.endswith(":IwrError")]
    assert not stray, "errors not derived from IwrError:\n" + "\n".join(stray)


def test_floor_one_errors_are_user_errors_and_keep_their_old_bases() -> None:
    from iwr.prompts.render import PromptError
    from iwr.tools.llm.types import ModelError
    from iwr.tools.perception.types import PerceptionError
    from iwr.tools.video import VideoError

    assert all(issubclass(e, IwrError) for e in (ModelError, VideoError, PerceptionError, PromptError))
    assert issubclass(PerceptionError, ValueError) and issubclass(VideoError, RuntimeError) and issubclass(PromptError, KeyError)


def test_box_geometry() -> None:
    a, b = Box(x=0, y=0, width=10, height=10), Box(x=5, y=0, width=10, height=10)
    assert a.iou(b) == 50 / 150 and a.center == Point(x=5, y=5) and (a.right, a.bottom) == (10, 10)
    assert a.contains(Point(x=10, y=10)) and not a.contains(Point(x=11, y=5)) and a.contains(Point(x=11, y=5), margin=1)
    assert Box(x=0, y=0, width=-1, height=5).area == 0 and a.iou(Box(x=20, y=20, width=0, height=0)) == 0.0


def test_pixel_box_is_a_box_on_whole_pixels() -> None:
    from iwr.benchmark.task import Box as TaskBox
    from iwr.tools.image_metrics import Region
    from iwr.tools.perception.types import PBox

    p = PBox(x=1, y=2, width=3, height=4)
    assert PBox is PixelBox is Region and TaskBox is Box and isinstance(p, Box)
    assert p.as_tuple() == (1, 2, 3, 4) and p.area == 12 and p.model_dump() == {"x": 1, "y": 2, "width": 3, "height": 4}
    assert p.scaled(0.5) == Box(x=0.5, y=1, width=1.5, height=2) and type(p.scaled(2)) is Box
    assert hash(p) == hash(p.as_tuple()) and {p: 1}[PixelBox(x=1, y=2, width=3, height=4)] == 1  # frozen: a dict key
    assert (p.right, p.bottom) == (4, 6) and isinstance(p.right, int)
    q = PixelBox(x=4, y=2, width=3, height=4)
    assert not p.overlaps(q) and p.overlaps(PixelBox(x=3, y=5, width=9, height=9))  # touching edges do not overlap
    assert p.within(PixelBox(x=0, y=0, width=10, height=10)) and not q.within(p) and q.within(p, slack=3)



def test_boxes_join_keep_the_most_general_type() -> None:
    from iwr.core.geometry import merge_boxes, union_all

    p, q = PixelBox(x=1, y=2, width=3, height=4), PixelBox(x=4, y=2, width=1, height=1)
    joined = p.union(q)
    assert joined == PixelBox(x=1, y=2, width=4, height=4) and type(joined) is PixelBox
    half = Box(x=0.5, y=0, width=1, height=1)
    assert type(p.union(half)) is Box and p.union(half) == half.union(p) == Box(x=0.5, y=0, width=3.5, height=6)
    assert p.grown(1) == Box(x=0, y=1, width=5, height=6)
    assert union_all([q, p, PixelBox(x=9, y=9, width=1, height=1)]) == PixelBox(x=1, y=2, width=9, height=8)
    assert merge_boxes([p, q]) == [p, q]  # touching is not overlapping
    assert merge_boxes([p, q], gap=0) == [joined]  # ... but is within a gap of 0
    far = PixelBox(x=20, y=2, width=2, height=2)
    assert merge_boxes([p, far, q], gap=0) == [joined, far]
    assert merge_boxes([p, far, q], gap=16) == [union_all([p, far])]  # within 16 px: one region

def test_one_change_detection_with_named_thresholds() -> None:
    import numpy as np

    from iwr.core.change import IMAGE_CHANGE, SCREENSHOT_CHANGE, TEXT_CHANGE, VIDEO_CHANGE, changed_mask, changed_share
    from iwr.tools.perception.scan import change_mask

    a = np.zeros((4, 5, 3), np.uint8)
    b = a.copy()
    b[0, 0, 2], b[1, 1, 0] = 23, 22  # one channel over the video threshold, one exactly at it
    assert SCREENSHOT_CHANGE < IMAGE_CHANGE < VIDEO_CHANGE < TEXT_CHANGE
    assert changed_mask(a, b, VIDEO_CHANGE).tolist() == change_mask(a, b).tolist()
    assert int(changed_mask(a, b, VIDEO_CHANGE).sum()) == 1 and changed_share(a, b, SCREENSHOT_CHANGE) == 2 / 20
    assert changed_share(a[:, :, 0], b[:, :, 0], SCREENSHOT_CHANGE) == 1 / 20  # grey images too


def test_changed_pixels_group_into_boxes() -> None:
    import numpy as np

    from iwr.core.change import change_boxes

    mask = np.zeros((40, 60), np.uint8)
    mask[5, 5] = mask[5, 9] = 1  # two pixels 4 apart: one group once grown, two apart
    mask[30:33, 40:50] = 1  # a bar of 30 pixels
    assert change_boxes(mask) == [PixelBox(x=5, y=5, width=1, height=1), PixelBox(x=9, y=5, width=1, height=1),
                                  PixelBox(x=40, y=30, width=10, height=3)]
    grown = change_boxes(mask, (5, 5))
    assert len(grown) == 2 and grown[0].contains(Point(x=5, y=5)) and grown[0].contains(Point(x=9, y=5))
    assert change_boxes(mask, (5, 5), min_changed=3) == [grown[1]]  # the pair has 2 changed pixels of its own
    assert change_boxes(mask, min_area=2) == [PixelBox(x=40, y=30, width=10, height=3)]


def test_sources_follow_the_imports() -> None:
    from iwr.core.sources import module_sources

    recorder = {f"{p.parent.name}/{p.name}" for p in module_sources("iwr.benchmark.recorder")}
    assert {"benchmark/recorder.py", "recording/record.py", "core/geometry.py", "tools/video.py"} <= recorder
    perception = {f"{p.parent.name}/{p.name}" for p in module_sources("iwr.tools.perception")}
    assert {"core/change.py", "tools/cursor_shapes.py", "perception/scan.py"} <= perception
    assert "tools/pointer.py" not in perception  # the pointer drawer is the recorder's, not perception's


def test_saved_results_compare_value_by_value() -> None:
    before = {"a": {"n": 3, "f": 0.5, "ok": True, "seconds": 1.0}, "xs": [1, 2], "s": "x"}
    assert compare_saved(before, before).same
    noisy = {"a": {"n": 3, "f": 0.5 + 1e-9, "ok": True, "seconds": 9.0}, "xs": [1, 2], "s": "x"}
    assert compare_saved(before, noisy, ignore=frozenset({"seconds"}), tolerance=1e-6).same
    assert compare_saved(before, noisy, tolerance=1e-6).differences == ["a/seconds: 1.0 -> 9.0"]
    changed = {"a": {"n": 4, "f": 0.5, "ok": 1, "new": 0}, "xs": [1, 2, 3], "s": "x"}
    assert compare_saved(before, changed, ignore=frozenset({"seconds"})).differences == [
        "a/n: 3 -> 4", "a/new: only after", "a/ok: True -> 1", "xs: 2 items -> 3"]
    assert compare_saved({"n": 1}, {"n": 1.0}).same  # a number read back as a float is the same number
