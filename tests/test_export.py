"""`iwr export --official`: final pages in the official evaluator's layout."""

from pathlib import Path

from typer.testing import CliRunner

from iwr.cli import app
from iwr.export import export_official
from iwr.naming import official_model_dir
from iwr.pages import page_dir_for
from iwr.store import ResultRow, RunStore


def make_run(runs: Path) -> None:
    with RunStore(runs) as store:
        store.start_run("r1", {}, {})
        for task, has_page in (("t1", True), ("t2", False)):
            folder = runs / "r1" / "iterative" / "gpt" / task
            if has_page:
                (folder / "final").mkdir(parents=True)
                (folder / "final" / "index.html").write_text(
                    '<img src="__PLACEHOLDER_ASSETS_BASE_DIR__/asset_001.png"><img src="assets/asset_001.png">')
                (folder / "inputs" / "assets").mkdir(parents=True)
                (folder / "inputs" / "assets" / "asset_001.png").write_bytes(b"\x89PNG fake")
            store.record(ResultRow(run_id="r1", task_id=task, agent="iterative", model="openai/GPT-4o", iteration="final",
                                   status="ok" if has_page else "model_error", error=None if has_page else "no code block",
                                   path=str(folder.relative_to(runs))))


def test_export_layout_and_asset_resolution(tmp_path: Path) -> None:
    runs, out = tmp_path / "runs", tmp_path / "official"
    make_run(runs)
    result = export_official(runs, "r1", out)
    page = out / "t1" / "openai_gpt_4o" / "index.html"
    assert result.written == [page]
    assert "__PLACEHOLDER" not in page.read_text() and page.read_text().count('src="assets/asset_001.png"') == 2
    assert (page.parent / "assets" / "asset_001.png").read_bytes() == b"\x89PNG fake"
    assert "model_error" in result.skipped["iterative/openai/GPT-4o/t2"]
    # iwr eval finds the exported page through the same naming
    assert page_dir_for(str(out), "t1", "openai/GPT-4o") == page.parent
    assert official_model_dir("anthropic/Claude-Sonnet-4") == "anthropic_claude_sonnet_4"


def test_export_cli_from_a_run_folder(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    make_run(runs)
    result = CliRunner().invoke(app, ["export", str(runs / "r1"), "--official", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "exported 1 page(s)" in result.output and "skipped" in result.output
    bad = CliRunner().invoke(app, ["export", str(tmp_path / "nope"), "--official", str(tmp_path / "o")])
    assert bad.exit_code == 2 and "runs.sqlite" in bad.output
