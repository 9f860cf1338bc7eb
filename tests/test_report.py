"""`iwr report`: HTML checked in real headless Chromium, plus md/csv/json tables."""

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from iwr.benchmark.judge.types import JudgeResult, Protocol, Scores, StepVerdict
from iwr.benchmark.task import Action, ActionType
from iwr.cli import app
from iwr.store import ResultRow, RunStore
from iwr.tools.browser import launch_browser


def make_runs(root: Path) -> Path:
    runs = root / "runs"
    with RunStore(runs) as store:
        offline = Protocol(name="offline", grounder="dom", asserter="offline", visual=["ocr"])
        store.start_run("r1", {"tasks": "none"}, {"iwr": "0.1"}, protocol=offline, commit="abc123")
        for agent, finals in (("single-shot", [0.30, 0.30]), ("iterative", [0.30, 0.55])):
            for it, final in enumerate(finals):
                store.record(ResultRow(run_id="r1", task_id="t1", agent=agent, model="m", iteration=str(it), status="ok",
                                       ifs=final, vfs=0.6, final=final))
            folder = runs / "r1" / agent / "m" / "t1"
            store.record(ResultRow(run_id="r1", task_id="t1", agent=agent, model="m", iteration="final", status="ok",
                                   ifs=finals[-1],
                                   vfs=0.6, final=finals[-1], cost_usd=None if agent == "iterative" else 0.01,
                                   path=str(folder.relative_to(runs))))
            folder.mkdir(parents=True)
            for name, color in (("ref.png", (200, 30, 30)), ("cand.png", (30, 30, 200))):
                Image.new("RGB", (320, 180), color).save(folder / name)
            (folder / "final").mkdir()
            (folder / "final" / "index.html").write_text("<h1>page</h1>")
            result = JudgeResult(
                task_id="t1", protocol=Protocol(name="offline", grounder="dom", asserter="offline", visual=["ocr", "structural"]),
                scores=Scores(ifs=finals[-1]), success_steps=1, total_steps=2,
                steps=[StepVerdict(index=1,
                                   action=Action(type=ActionType.CLICK, parameters={"description": "Click 'Go'"},
                                                 logical_assertion="It says <b>done</b>"),
                                   performed=True, passed=True, screenshot="cand.png", checkpoint="ref.png")],
            )
            (folder / "judge_final.json").write_text(result.model_dump_json())
    return runs


async def inspect(report: Path, shot: Path) -> dict:
    async with launch_browser() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        failed, external = [], []
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("request", lambda r: external.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        await page.goto(report.as_uri())
        await page.wait_for_load_state("load")
        first_agents = await page.eval_on_selector_all("#leaderboard tbody tr td:nth-child(2)",
                                                       "els => els.map(e => e.textContent)")
        await page.click("#leaderboard th:nth-child(11)")  # Final, ascending
        asc = await page.eval_on_selector_all("#leaderboard tbody tr td:nth-child(2)", "els => els.map(e => e.textContent)")
        await page.click("summary")
        # polled from here: wait_for_function would eval the predicate in the page, which the report's CSP forbids
        for _ in range(400):
            if await page.evaluate("Array.from(document.querySelectorAll('details[open] img')).every(i => i.complete && i.naturalWidth > 0)"):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the images of the opened details never loaded")
        widths = await page.eval_on_selector_all("details[open] .pair img", "els => els.map(e => e.naturalWidth)")
        await page.locator("svg.chart").screenshot(path=str(shot))
        escaped = await page.evaluate("document.body.innerHTML.includes('<b>done</b>')")
        return {"failed": failed, "external": external, "first": first_agents, "asc": asc, "widths": widths,
                "escaped_raw": escaped}


def test_html_report_in_chromium(tmp_path: Path) -> None:
    runs = make_runs(tmp_path)
    result = CliRunner().invoke(app, ["report", str(runs)])
    assert result.exit_code == 0, result.output
    report = runs / "report.html"
    html = report.read_text()
    assert "http://" not in html and "https://" not in html
    seen = asyncio.run(inspect(report, tmp_path / "chart.png"))
    assert seen["failed"] == [] and seen["external"] == []
    assert seen["first"] == ["iterative", "single-shot"]  # default: best Final first
    assert seen["asc"] == ["single-shot", "iterative"]
    assert seen["widths"] == [320, 320]  # reference and candidate side by side
    assert not seen["escaped_raw"]  # assertion text is escaped, not injected
    chart = np.asarray(Image.open(tmp_path / "chart.png").convert("L"))
    assert chart.std() > 5  # the chart drew lines, not a blank box


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_table_formats(tmp_path: Path, fmt: str) -> None:
    runs = make_runs(tmp_path)
    result = CliRunner().invoke(app, ["report", str(runs / "r1"), "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        rows = json.loads(result.output)
        by_agent = {r["agent"]: r for r in rows}
        assert by_agent["iterative"]["final"] == pytest.approx(0.55)
        assert by_agent["iterative"]["cost_usd"] is None  # unknown stays unknown
        assert by_agent["single-shot"]["cost_usd"] == pytest.approx(0.01)
    elif fmt == "md":
        assert "| iterative | m | offline |" in result.output and "55.00" in result.output
    else:
        assert result.output.splitlines()[0].startswith("run_id,agent,model")


def test_report_on_a_folder_without_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "runs.sqlite" in result.output


def test_failures_count_as_zero_with_their_kind_and_infra_apart(tmp_path: Path) -> None:
    from iwr.report_data import gather
    from iwr.report_html import render_html

    runs = tmp_path / "runs"
    with RunStore(runs) as store:
        store.start_run("r", {"tasks": "none"}, {"iwr": "0.1"}, protocol=Protocol(name="offline", grounder="dom", asserter="offline", visual=["ocr"]))
        common = {"run_id": "r", "agent": "single-shot", "model": "openai/gpt-4o", "iteration": "final"}
        store.record(ResultRow(**common, task_id="t1", status="ok", ifs=0.8, vfs=0.5, final=0.6))
        store.record(ResultRow(**common, task_id="t2", status="model_error", error="auth [draft]: Incorrect API key provided.",
                               error_kind="auth"))
        store.record(ResultRow(**common, task_id="t3", status="infra_error", error="judge could not start", error_kind="infra"))
        store.record(ResultRow(**{**common, "agent": "iterative"}, task_id="t1", status="model_error",
                               error="auth: old row without a kind column"))
    data = gather(runs)
    board = {b.agent: b for b in data.leaderboard}
    single = board["single-shot"]
    assert (single.tasks, single.scored, single.failed, single.infra, single.failed_kinds) == (3, 1, 1, 1, {"auth": 1})
    assert single.final == pytest.approx(0.3) and single.ifs == pytest.approx(0.4)  # (0.6 + 0) / 2: infra left out
    assert board["iterative"].final is None and board["iterative"].failed_kinds == {"auth": 1}  # nothing scored: no mean
    assert [(g.kind, g.count, g.status) for g in data.failures] == [("auth", 2, "model_error"), ("infra", 1, "infra_error")]
    render_html(data, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    assert "failed: auth" in html and "infra failure: infra" in html and "Incorrect API key provided." in html
    assert "counts as 0" in html
