"""Prompt templates: snapshots, no unrendered placeholders, no task-specific content.

Regenerate the snapshots after an intended template change with
`IWR_UPDATE_SNAPSHOTS=1 pytest tests/test_prompts.py` and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from iwr.prompts import PromptError, placeholders, render, template_names
from iwr.prompts.render import PROMPTS_DIR

SNAPSHOTS = Path(__file__).parent / "snapshots" / "prompts"
REPO = Path(__file__).resolve().parents[1]
EXPECTED = {"analyse", "draft", "draft_single_shot", "repair", "repair_whole", "critic", "ground", "assert", "visual_rubric"}
LEFTOVER = re.compile(r"\$(?:\{?[A-Za-z_][A-Za-z0-9_]*\}?)")


def fixed_values(name: str) -> dict[str, str]:
    return {p: f"<<{p.upper()}>>" for p in sorted(placeholders(name))}


def test_every_role_has_a_template() -> None:
    assert set(template_names()) >= EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_render_matches_snapshot(name: str) -> None:
    text = render(name, **fixed_values(name))
    snap = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("IWR_UPDATE_SNAPSHOTS"):
        snap.parent.mkdir(parents=True, exist_ok=True)
        snap.write_text(text, encoding="utf-8")
    assert snap.is_file(), f"missing snapshot {snap}; run with IWR_UPDATE_SNAPSHOTS=1"
    assert text == snap.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_placeholder_left_unrendered(name: str) -> None:
    text = render(name, **fixed_values(name))
    assert not LEFTOVER.search(text), LEFTOVER.search(text)
    for value in fixed_values(name).values():
        assert value in text


def test_missing_value_raises_with_its_name() -> None:
    values = fixed_values("draft")
    del values["asset_map"]
    with pytest.raises(PromptError, match="asset_map"):
        render("draft", **values)


def test_unknown_template_raises() -> None:
    with pytest.raises(PromptError, match="no prompt template"):
        render("does_not_exist")


def test_values_are_inserted_literally() -> None:
    values = {**fixed_values("repair"), "html": "<script>let price = '$5'; const t = `${x}`;</script>"}
    text = render("repair", **values)
    assert "let price = '$5'; const t = `${x}`;" in text


def test_coder_prompts_ask_for_self_contained_pages_with_named_assets() -> None:
    for name in ("draft", "draft_single_shot", "repair_whole"):
        text = (PROMPTS_DIR / f"{name}.md").read_text()
        assert "assets/<name>" in text and "```html" in text
        assert "width" in placeholders(name) and "height" in placeholders(name)
    assert "__PLACEHOLDER_ASSETS_BASE_DIR__" not in "".join(p.read_text() for p in PROMPTS_DIR.glob("*.md"))
    assert "<<<<<<< SEARCH" in (PROMPTS_DIR / "repair.md").read_text()


def test_templates_hold_no_task_specific_content() -> None:
    apps = REPO / "benchmark" / "apps"
    names = [p.name for p in apps.iterdir() if p.is_dir()] if apps.is_dir() else []
    words = {n.lower() for n in names} | {n.replace("_", " ").lower() for n in names}
    for path in PROMPTS_DIR.glob("*.md"):
        text = path.read_text().lower()
        found = [w for w in words if len(w) > 3 and w in text]
        assert not found, f"{path.name} mentions bundled apps: {found}"
