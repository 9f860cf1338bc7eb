"""Dataset I/O: lenient reading, exact atomic writing, upsert, errors that name things."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iwr.benchmark.dataset import DatasetError, load_task, load_tasks, tasks_file, upsert_tasks, write_tasks
from iwr.benchmark.task import ActionType, Resolution, Task
from iwr.benchmark.tasks_source import resolve_tasks_path
from iwr.errors import IwrError


def official_records() -> list[dict]:
    return [
        {
            "id": 12,
            "classification": {"interaction_complexity": "L3", "visual_complexity": "V2", "domain": "travel",
                               "sub_domain": "hotel", "label_note": "x"},
            "recording_details": {"resolution": "1920x1080", "environment": "Windows 11, Chrome"},
            "source_website": "https://hotel.example.invalid",
            "action_sequence": [
                {"type": "Click",
                 "parameters": {"description": "Click 'Search'", "key": "", "direction": "", "scroll_page": None,
                                "element_index": 3},
                 "visual_evaluation_flag": True, "logical_assertion": "Results appear", "checkpoint_screenshot": "step_1.png"},
                {"type": "Type", "parameters": {"description": "Type 'Rome' into the city box"}, "visual_evaluation_flag": False,
                 "logical_assertion": None},
                {"type": "Scroll", "parameters": {"description": "Scroll down", "direction": "down", "scroll_page": 1},
                 "visual_evaluation_flag": False, "logical_assertion": None},
            ],
            "annotator": {"name": "anon", "minutes": 14},
        },
        {
            "id": "shop-7",
            "classification": {"interaction_complexity": "L1"},
            "action_sequence": [{"type": "Press", "parameters": {"description": "Press Enter", "key": "Enter"}}],
        },
    ]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_official_jsonl_round_trips_with_unknown_fields(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "data.jsonl", official_records())
    tasks = load_tasks(src)
    assert [t.key for t in tasks] == ["12", "shop-7"]
    assert tasks[0].id == 12 and isinstance(tasks[0].id, int)
    assert tasks[0].actions[1].type is ActionType.TYPE and tasks[0].actions[1].text == "Rome"
    assert tasks[0].paths.dir == tmp_path / "data" / "12"
    assert tasks[1].resolution == Resolution(width=1920, height=1080)  # default when absent

    out = tmp_path / "copy" / "data.jsonl"
    write_tasks(out, tasks)
    again = [json.loads(line) for line in out.read_text().splitlines()]
    assert again[0]["annotator"] == {"name": "anon", "minutes": 14}
    assert again[0]["classification"]["label_note"] == "x"
    assert again[0]["action_sequence"][0]["checkpoint_screenshot"] == "step_1.png"
    assert again[0]["action_sequence"][0]["parameters"]["element_index"] == 3
    assert again[0]["action_sequence"][2]["parameters"]["scroll_page"] == 1
    assert again[0]["id"] == 12 and again[1]["id"] == "shop-7"
    assert "root" not in again[0] and "data_dir" not in again[0]
    assert load_tasks(out)[0].to_record() == tasks[0].to_record()


def test_task_folders_follow_the_jsonl_name(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "subset.jsonl", official_records()[:1])
    task = load_task(src, 12)
    assert task.paths.dir == tmp_path / "subset" / "12"
    assert load_task(src, "12").key == "12"
    with pytest.raises(DatasetError, match="no task with id 'nope'"):
        load_task(src, "nope")


def test_resolution_falls_back_to_metadata(tmp_path: Path) -> None:
    record = {"id": 3, "action_sequence": []}
    src = write_jsonl(tmp_path / "data.jsonl", [record])
    (tmp_path / "data" / "3").mkdir(parents=True)
    (tmp_path / "data" / "3" / "metadata.json").write_text(json.dumps({"recording_details": {"resolution": "800x600"}}))
    assert load_tasks(src)[0].resolution == Resolution(width=800, height=600)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"id": 1, "action_sequence": [', r"bad\.jsonl:2: invalid JSON"),
        ('[1, 2]', r"bad\.jsonl:2: expected a JSON object"),
        ('{"id": 5, "action_sequence": [{"type": "Hover"}]}', r"bad\.jsonl:2: task 5: field action_sequence\.0\.type"),
        ('{"id": 6, "action_sequence": [{"type": "Click", "visual_evaluation_flag": "maybe"}]}',
         r"task 6: field action_sequence\.0\.visual_evaluation_flag"),
        ('{"classification": {}}', r"task without id: field id"),
        ('{"id": 1}', r"bad\.jsonl:2: task 1: field id: duplicate of line 1"),
    ],
)
def test_loader_errors_name_file_line_task_and_field(tmp_path: Path, line: str, expected: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1}\n' + line + "\n")
    with pytest.raises(DatasetError, match=expected) as err:
        load_tasks(path)
    assert isinstance(err.value, IwrError)
    assert "\n" not in str(err.value)


def test_missing_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such tasks file"):
        load_tasks(tmp_path / "absent.jsonl")


def test_upsert_replaces_same_id_in_place_and_appends_new(tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "data.jsonl", official_records())
    changed = Task.model_validate({"id": "12", "source_website": "replaced", "action_sequence": []})
    added = Task.model_validate({"id": 99, "action_sequence": []})
    result = upsert_tasks(jsonl, [changed, added])
    assert [t.key for t in result] == ["12", "shop-7", "99"]
    reread = load_tasks(jsonl)
    assert [t.key for t in reread] == ["12", "shop-7", "99"]
    assert reread[0].source_website == "replaced"
    assert reread[1].to_record() == Task.model_validate(official_records()[1]).to_record()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl"]  # no temp files left


def test_upsert_creates_the_file(tmp_path: Path) -> None:
    jsonl = tmp_path / "new" / "data.jsonl"
    upsert_tasks(jsonl, [Task.model_validate({"id": "a"})])
    assert [t.key for t in load_tasks(jsonl)] == ["a"]


def test_resolve_tasks_path(tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "data.jsonl", official_records())
    assert resolve_tasks_path(jsonl) == jsonl
    assert resolve_tasks_path(tmp_path) == jsonl
    with pytest.raises(DatasetError, match="'bundled'"):
        resolve_tasks_path(tmp_path / "nothing.jsonl")
    assert tasks_file(tmp_path) == jsonl


def test_dataset_io_never_reaches_the_recorder() -> None:
    """dataset is the low-level I/O the recorder writes through: it imports neither the bundle
    nor the recorder, not even inside a function (no dataset -> bundled -> recorder -> dataset cycle)."""
    import ast

    import iwr.benchmark.dataset as dataset

    tree = ast.parse(Path(dataset.__file__).read_text())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {m for m in imported if m.split(".")[-1] in ("bundled", "recorder", "tasks_source", "recording")}
