"""demo.yaml files: field and file errors name the place, demo actions become official actions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import MINI_APP

from iwr.benchmark.demo import DemoError, load_demo
from iwr.benchmark.task import ActionType


def write_demo(folder: Path, text: str, entry: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if entry:
        (folder / "index.html").write_text("<p>hi</p>")
    path = folder / "demo.yaml"
    path.write_text(text)
    return path


BASE = "id: t1\nresolution: 640x480\nentry: index.html\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("actions: [{type: Click, description: x}]", r"actions\[0\]: Click needs a target selector"),
        ("actions: [{type: Type, target: '#a', description: x}]", r"actions\[0\]: Type needs a non-empty text"),
        ("actions: [{type: Press, description: x}]", r"actions\[0\]: Press needs a key"),
        ("actions: [{type: Hover, target: a, description: x}]", r"actions\[0\]\.type"),
        ("actions: [{type: Click, target: a, description: x, colour: red}]", r"actions\[0\]\.colour: Extra inputs"),
        ("actions: [{type: Scroll, direction: sideways, description: x}]", r"actions\[0\]\.direction"),
        ("actions: []", r"actions: List should have at least 1 item"),
        ("actions: [{type: Click, target: a, description: x}]\n"
         "probes: [{name: p, actions: [{type: Press, key: A, description: y}]}, {name: p, actions: [{type: Press, key: B, description: z}]}]",
         "duplicate probe names: p"),
    ],
)
def test_demo_field_errors_name_the_field(tmp_path: Path, body: str, message: str) -> None:
    path = write_demo(tmp_path, BASE + body)
    with pytest.raises(DemoError, match=message) as err:
        load_demo(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_demo_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DemoError, match=r"malformed YAML: line \d+, column \d+"):
        load_demo(write_demo(tmp_path / "a", "id: x\nactions: [unclosed\n"))
    with pytest.raises(DemoError, match="expected a mapping"):
        load_demo(write_demo(tmp_path / "b", "- just a list\n"))
    with pytest.raises(DemoError, match=r"entry file 'index.html' not found"):
        load_demo(write_demo(tmp_path / "c", BASE + "actions: [{type: Press, key: A, description: x}]", entry=False))
    with pytest.raises(DemoError, match="resolution"):
        load_demo(write_demo(tmp_path / "d",
                             "id: t\nresolution: big\nentry: index.html\nactions: [{type: Press, key: A, description: x}]"))
    with pytest.raises(DemoError, match="outside"):
        load_demo(write_demo(tmp_path / "e",
                             "id: t\nresolution: 640x480\nentry: ../x.html\nactions: [{type: Press, key: A, description: x}]"))


def test_demo_actions_become_official_actions() -> None:
    spec = load_demo(MINI_APP / "demo.yaml")
    actions = [a.to_action() for a in spec.actions]
    assert [a.type for a in actions] == [ActionType.CLICK, ActionType.TYPE, ActionType.PRESS, ActionType.SCROLL,
                                         ActionType.SCROLL]
    assert actions[1].parameters.text == "save10" and actions[2].parameters.key == "Enter"
    assert actions[3].parameters.direction == "down"
    record = json.dumps([a.to_record() for a in actions])
    assert "#add-red" not in record and "#code" not in record and "target" not in record
