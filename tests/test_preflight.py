"""Preflight: every model a run or an eval will call is checked before anything starts; each
problem is one line naming what to set; exit status 2; nothing is written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iwr.cli import app
from iwr.tools.llm import FakeOpenAIServer
from iwr.tools.llm.preflight import ModelUse, check_api_base, missing_credentials, preflight

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_AUTH_TOKEN")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("IWR_CACHE_DIR", str(REPO / ".cache-test"))


def problems(*uses: ModelUse) -> list[str]:
    return [str(p) for p in preflight(list(uses)).problems]


def test_a_missing_key_names_the_variable_and_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    [text] = problems(ModelUse("openai/gpt-4o", "agent"))
    assert "OPENAI_API_KEY" in text and "--api-key" in text and text.startswith("openai/gpt-4o (agent model)")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert problems(ModelUse("openai/gpt-4o", "agent")) == []
    monkeypatch.delenv("OPENAI_API_KEY")
    assert problems(ModelUse("openai/gpt-4o", "agent", api_key="sk-flag")) == []


def test_either_or_and_all_of_variables_are_told_apart() -> None:
    [gemini] = problems(ModelUse("gemini/gemini-2.5-flash", "judge"))
    assert "set one of GOOGLE_API_KEY, GEMINI_API_KEY" in gemini
    [azure] = problems(ModelUse("azure/my-deployment", "agent"))
    assert "set all of" in azure and "AZURE_API_KEY" in azure and "AZURE_API_BASE" in azure
    assert missing_credentials("azure/my-deployment", api_key="k", api_base="http://x") == ["AZURE_API_VERSION"]


def test_a_model_without_provider_or_with_a_misspelt_one_gets_a_suggestion() -> None:
    [bare] = problems(ModelUse("gpt4o", "agent", api_key="k"))
    assert "provider/name" in bare and "openai/gpt-4o" in bare
    [typo] = problems(ModelUse("opneai/gpt-4o", "agent", api_key="k"))
    assert "unknown provider 'opneai'" in typo and "openai/gpt-4o" in typo


def test_a_model_missing_from_litellms_list_is_a_warning_only() -> None:
    report = preflight([ModelUse("anthropic/claude-sonet-4-5", "agent", api_key="k")])
    assert report.ok and len(report.warnings) == 1
    assert "not in LiteLLM's model list" in report.warnings[0] and "anthropic/claude-sonnet-4-5" in report.warnings[0]


def test_scripted_models_need_a_loadable_script(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("draft: [hello]\n")
    bad.write_text("draft: [{error: nonsense}]\n")
    assert problems(ModelUse(f"scripted/{good}", "agent")) == []
    assert "no script file" in problems(ModelUse(f"scripted/{tmp_path}/none.yaml", "agent"))[0]
    assert "does not load" in problems(ModelUse(f"scripted/{bad}", "agent"))[0]


def test_the_api_base_must_answer() -> None:
    with FakeOpenAIServer([]) as srv:
        assert check_api_base(srv.api_base) is None
        base = srv.api_base
    problem = check_api_base(base)
    assert problem is not None and "does not answer" in problem.message and base in problem.subject
    assert "not an http(s) URL" in str(check_api_base("127.0.0.1:8000/v1"))


def test_all_problems_are_listed_at_once() -> None:
    with FakeOpenAIServer([]) as srv:
        base = srv.api_base
    found = problems(ModelUse("openai/gpt-4o", "agent"), ModelUse("gpt4o", "agent"),
                     ModelUse("openai/x", "judge", api_base=base, api_key="k"))
    assert len(found) == 3 and "does not answer" in found[2]


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_iwr_run_stops_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    with FakeOpenAIServer([]) as srv:
        dead = srv.api_base
    # the models are checked before the tasks are even loaded (here they would be recorded first)
    base = ["run", "--tasks", "bundled", "--task", "calc-pad", "--agent", "single-shot", "--out", str(out)]
    code, text = run_cli(*base, "--model", "openai/gpt-4o", "--model", "gpt4o")
    assert code == 2 and "2 problem(s)" in text and "OPENAI_API_KEY" in text and "did you mean openai/gpt-4o" in text
    code, text = run_cli(*base, "--model", "openai/fake-model", "--api-base", dead, "--api-key", "k")
    assert code == 2 and "does not answer" in text and "--skip-preflight" in text
    assert not out.exists()


def test_iwr_eval_checks_the_judge_model_first(bundled_jsonl: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    code, text = run_cli("eval", "--tasks", str(bundled_jsonl), "--task", "calc-pad", "--pages", "reference", "--out", str(out),
                         "--asserter", "llm", "--judge-model", "anthropic/claude-sonnet-4-5")
    assert code == 2 and "ANTHROPIC_API_KEY" in text and "judge model" in text
    assert not out.exists()
