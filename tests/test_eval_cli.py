"""`iwr eval` end to end on the recorded mini task, and the judge's LLM paths via the fake server."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iwr.benchmark.judge.judge import Judge, JudgeConfig
from iwr.benchmark.judge.types import JudgeResult, Status
from iwr.cli import app
from iwr.naming import official_model_dir
from iwr.pages import page_dir_for
from iwr.tools.llm.fake_server import FakeOpenAIServer
from iwr.tools.llm.gateway import LLMGateway
from iwr.tools.llm.types import LLMSettings

REPO = Path(__file__).resolve().parent.parent
MINI_APP = REPO / "tests" / "fixtures" / "mini_app"
TEST_CACHE = REPO / ".cache-test"


@pytest.mark.timeout(1200)
def test_eval_writes_eval_json_and_summary_with_missing_page(mini_jsonl: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IWR_CACHE_DIR", str(TEST_CACHE))
    pages = tmp_path / "pages"
    shutil.copytree(MINI_APP, pages / "mini-shop")  # the twin task has no page
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["eval", "--tasks", str(mini_jsonl), "--pages", str(pages), "--out", str(out), "--no-probes"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    rows = {r["task_id"]: r for r in summary["tasks"]}
    assert rows["mini-shop"]["status"] == "ok"
    assert rows["mini-shop"]["ifs"] == 1.0
    assert rows["mini-shop"]["success_steps"] == rows["mini-shop"]["total_steps"] == 5
    assert 0.5 < rows["mini-shop"]["vfs"] <= 1.0
    assert rows["mini-shop"]["final"] == pytest.approx(0.7 + 0.3 * rows["mini-shop"]["vfs"])
    assert rows["mini-shop"]["probe_ifs"] is None  # probes off: not available, never 0 or 1
    assert rows["mini-shop-twin"]["status"] == "missing" and "page not found" in rows["mini-shop-twin"]["error"]
    assert summary["protocol"]["name"] == "offline" and summary["protocol"]["visual"] == ["ocr", "structural"]
    assert "chromium" in summary["protocol"]["versions"] and "rapidocr" in summary["protocol"]["versions"]
    assert summary["macro"]["missing"] == ["mini-shop-twin"]
    assert summary["macro"]["ifs"] == pytest.approx(0.5)
    result = JudgeResult.load(out / "mini-shop" / "eval.json")
    assert [s.index for s in result.steps] == [1, 2, 3, 4, 5]
    assert all((out / "mini-shop" / s.screenshot).is_file() for s in result.steps)
    assert result.steps[0].assertion is not None and result.steps[0].assertion.evidence["tokens"]
    # visuals pair each state with the checkpoint of the same step
    flagged = [s for s in result.steps if s.action.visual_evaluation_flag]
    assert all(s.visual is not None and s.checkpoint and s.checkpoint.endswith(f"step_{s.index}.png") for s in flagged)
    assert "mini-shop" in res.output and "macro" in res.output


def test_eval_user_errors_are_one_line(tmp_path: Path, mini_jsonl: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app,
                        ["eval", "--tasks", str(mini_jsonl), "--pages", str(tmp_path), "--out", str(tmp_path / "o"), "--grounder",
                         "magic"])
    assert res.exit_code == 2 and "error: --grounder" in res.output
    res = runner.invoke(app,
                        ["eval", "--tasks", str(mini_jsonl), "--pages", str(tmp_path), "--out", str(tmp_path / "o"),
                         "--asserter", "llm"])
    assert res.exit_code == 2 and "--judge-model is required" in res.output
    res = runner.invoke(app,
                        ["eval", "--tasks", str(mini_jsonl), "--pages", str(tmp_path), "--out", str(tmp_path / "o"), "--task",
                         "nope"])
    assert res.exit_code == 2 and "unknown task id" in res.output


def test_official_layout_with_model(tmp_path: Path) -> None:
    (tmp_path / "7" / "gpt_4o").mkdir(parents=True)
    (tmp_path / "7" / "gpt_4o" / "index.html").write_text("<html></html>")
    assert official_model_dir("openai/GPT-4o") == "openai_gpt_4o"
    assert page_dir_for(str(tmp_path), "7", "openai/gpt-4o") == tmp_path / "7" / "gpt_4o"
    assert page_dir_for(str(tmp_path), "7", None) == tmp_path / "7"


RUBRIC = '{"layout": 8, "elements": 12, "content": 30, "style": 10, "overall": 15, "reasoning": "close"}'


@pytest.mark.timeout(1200)
def test_llm_assertions_and_rubric_through_fake_server(mini_task, tmp_path: Path) -> None:
    script = {
        "assert": ['{"answer": "Yes", "reasoning": "badge is 1"}', "Looks fine to me!",
                   '{"answer": "No", "reasoning": "total differs"}'],
        "visual": [RUBRIC, "no json here", {"fault": "bad_request"}],
    }
    with FakeOpenAIServer(script) as srv:
        gateway = LLMGateway(LLMSettings(model=srv.model, api_base=srv.api_base, api_key="x", cache=False, max_retries=0))
        config = JudgeConfig(asserter="llm", mllm=True, judge_model=srv.model, probes=False,
                             ocr_cache_dir=TEST_CACHE / "ocr")

        async def run() -> JudgeResult:
            async with Judge(config, gateway=gateway) as judge:
                return await judge.judge_task(mini_task, MINI_APP, tmp_path / "out")

        r = asyncio.run(run())
        assert srv.purposes.count("assert") == 3 and srv.purposes.count("visual") == 3
    assert r.protocol.name == "mixed" and r.protocol.judge_model == srv.model
    a1, a3, a5 = (r.steps[i].assertion for i in (0, 2, 4))
    assert a1.passed is True and a1.evidence["reasoning"] == "badge is 1"
    assert a3.passed is None and "unparseable" in a3.error  # undecided, not a failure
    assert a5.passed is False
    assert r.success_steps == 4 and r.scores.ifs == pytest.approx(0.8)
    assert r.status == Status.MODEL_ERROR and "unparseable" in (r.error or "")
    assert r.state0.mllm == pytest.approx(0.75)
    mllm_errors = [s.visual.detail.get("mllm_error") for s in r.steps if s.visual is not None]
    assert any("unparseable" in (e or "") for e in mllm_errors) and any("model error" in (e or "") for e in mllm_errors)
    # HFS only from the states whose rubric worked
    assert r.scores.hfs == pytest.approx(0.75)


@pytest.mark.timeout(600)
def test_judge_ocrs_only_flagged_states_of_the_prefix(mini_task, tmp_path: Path) -> None:
    """OCR is asked only for state 0 and visually flagged steps (never probes, never other
    steps), and after the prefix breaks nothing more is queued."""
    broken = tmp_path / "broken"
    shutil.copytree(MINI_APP, broken)
    html = (broken / "index.html").read_text()
    for shoe in ("red", "mini"):  # step 1 finds no target
        html = html.replace(f'<button id="add-{shoe}">Add to cart</button>', "")
    (broken / "index.html").write_text(html)

    async def run() -> tuple[JudgeResult, JudgeResult, list[Path]]:
        async with Judge(JudgeConfig(ocr_cache_dir=TEST_CACHE / "ocr")) as judge:
            assert judge.pool is not None
            asked: list[Path] = []
            submit = judge.pool.submit
            judge.pool.submit = lambda p: (asked.append(Path(p)), submit(p))[1]  # type: ignore[method-assign]
            good = await judge.judge_task(mini_task, MINI_APP, tmp_path / "good")
            n_good = len(asked)
            bad = await judge.judge_task(mini_task, broken, tmp_path / "bad", probes=False)
            return good, bad, [*asked[:n_good], Path("--"), *asked[n_good:]]

    good, bad, asked = asyncio.run(run())
    assert good.scores.ifs == 1.0 and len(good.probes) == 2 and good.probe_ifs == 1.0
    assert all(s.visual is None for p in good.probes for s in p.steps) and good.probes[0].state0 is None
    cut = asked.index(Path("--"))
    ocr_good, ocr_bad = asked[:cut], asked[cut + 1:]
    cands = {p.name for p in ocr_good if p.parent == tmp_path / "good"}
    refs = {p.name for p in ocr_good if p.parent == mini_task.paths.checkpoints}
    assert cands == refs == {"step_0.png", "step_1.png", "step_3.png", "step_5.png"}
    assert not [p for p in ocr_good if "probes" in p.parts]
    assert bad.success_steps == 0 and bad.steps[0].grounding is not None and not bad.steps[0].grounding.found
    assert {p.name for p in ocr_bad if p.parent == tmp_path / "bad"} == {"step_0.png"}
