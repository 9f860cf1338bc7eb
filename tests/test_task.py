"""Core task types: lenient reading, exact writing, agent-visible inputs."""

from pathlib import Path

import pytest

from iwr.benchmark.task import Action, ActionType, Box, Point, Resolution, Task, TaskInputs


def official_record() -> dict:
    return {
        "id": 7,
        "classification": {"interaction_complexity": "L2", "visual_complexity": "V3", "domain": "travel", "sub_domain": "flights",
                           "extra_label": "x"},
        "recording_details": {"resolution": "1280x720", "environment": "chrome"},
        "source_website": "https://example.invalid",
        "action_sequence": [
            {"type": "Click", "parameters": {"description": "Click 'Search'", "key": "", "direction": "", "scroll_page": None},
             "visual_evaluation_flag": True, "logical_assertion": "Results appear", "checkpoint_screenshot": "step_1.png"},
            {"type": "type", "parameters": {"description": "Type 'Paris' into the destination field"},
             "visual_evaluation_flag": False, "logical_assertion": None},
        ],
        "unknown_top": {"kept": True},
    }


def test_reading_is_lenient_and_keeps_unknown_fields() -> None:
    task = Task.model_validate(official_record())
    assert task.key == "7"
    assert task.resolution == Resolution(width=1280, height=720)
    assert task.actions[1].type is ActionType.TYPE
    assert task.actions[1].text == "Paris"  # text only inside the description
    record = task.to_record()
    assert record["unknown_top"] == {"kept": True}
    assert record["classification"]["extra_label"] == "x"
    assert record["action_sequence"][0]["checkpoint_screenshot"] == "step_1.png"
    assert record["action_sequence"][0]["logical_assertion"] == "Results appear"
    assert record["action_sequence"][1]["logical_assertion"] is None
    assert "point" not in record["action_sequence"][0]
    assert "root" not in record


def test_round_trip_is_stable() -> None:
    task = Task.model_validate(official_record())
    again = Task.model_validate(task.to_record())
    assert again.to_record() == task.to_record()


def test_resolution_falls_back_to_metadata_then_default(tmp_path: Path) -> None:
    rec = official_record()
    rec["recording_details"] = {}
    task = Task.model_validate({**rec, "root": tmp_path})
    assert str(task.resolution) == "1920x1080"
    task.paths.dir.mkdir(parents=True)
    task.paths.metadata.write_text('{"recording_details": {"resolution": "800x600"}}')
    assert str(task.resolution) == "800x600"


def test_bad_resolution_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="1280x720"):
        Resolution.parse("big")


def test_inputs_hold_no_ground_truth(tmp_path: Path) -> None:
    task = Task.model_validate({**official_record(), "root": tmp_path})
    inputs = task.inputs()
    assert isinstance(inputs, TaskInputs)
    dumped = inputs.model_dump_json()
    assert "Search" not in dumped and "Results appear" not in dumped
    assert not hasattr(inputs, "actions")


def test_box_geometry() -> None:
    a, b = Box(x=0, y=0, width=10, height=10), Box(x=5, y=0, width=10, height=10)
    assert a.iou(b) == pytest.approx(50 / 150)
    assert a.center == Point(x=5, y=5)
    assert a.contains(Point(x=10, y=10)) and not a.contains(Point(x=11, y=1))


def test_point_actions_serialise_their_point() -> None:
    action = Action(type=ActionType.CLICK, point=Point(x=3, y=4))
    assert action.to_record()["point"] == {"x": 3.0, "y": 4.0}
