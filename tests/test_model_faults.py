"""Model faults through the real HTTP path (LiteLLM -> FakeOpenAIServer on 127.0.0.1, or no
server at all): which kinds are retried, how many requests each costs, what the error says."""

from __future__ import annotations

import asyncio
import os

import pytest
from structlog.testing import capture_logs

from iwr.tools.llm import FakeOpenAIServer, LLMGateway, LLMSettings, Message, ModelError
from iwr.tools.llm.errors import PROVIDER_KINDS, kind_heals

FAST = {"retry_base_wait": 0.01, "retry_max_wait": 0.05, "timeout": 5.0, "max_retries": 3}


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_AUTH_TOKEN")):
            monkeypatch.delenv(name)


def call(settings: LLMSettings) -> tuple[ModelError, list[dict]]:
    """The ModelError of one call and the gateway's log lines."""
    with capture_logs() as logs, pytest.raises(ModelError) as info:
        asyncio.run(LLMGateway(settings).complete([Message(role="user", content="make a page")], "draft"))
    return info.value, logs


def events(logs: list[dict], name: str) -> list[dict]:
    return [e for e in logs if e["event"] == name]


@pytest.mark.parametrize("fault, kind, text", [
    ("auth", "auth", "Incorrect API key"),
    ("not_found", "not_found", "does not exist"),
    ("bad_request", "bad_request", "bad request"),
    ("context_window", "context_window", "maximum context length"),
])
def test_errors_that_cannot_heal_are_sent_once_and_say_what_happened(fault: str, kind: str, text: str) -> None:
    with FakeOpenAIServer([{"fault": fault}, "never sent"]) as srv:
        err, logs = call(LLMSettings(model=srv.model, api_base=srv.api_base, api_key="k", **FAST))
    assert (err.kind, err.attempts, len(srv.requests)) == (kind, 1, 1)
    assert text in str(err) and str(err).startswith(f"{kind} [draft]")
    assert not events(logs, "llm.retry")
    [failed] = events(logs, "llm.failed")
    assert failed["kind"] == kind and failed["retried"] is False
    assert not kind_heals(kind)


def test_a_wrong_key_is_refused_by_the_server_and_not_retried() -> None:
    with FakeOpenAIServer(["never"], api_key="sk-right") as srv:
        err, _ = call(LLMSettings(model=srv.model, api_base=srv.api_base, api_key="sk-wrong", **FAST))
    assert (err.kind, err.attempts, srv.refused, len(srv.requests)) == ("auth", 1, 1, 0)
    assert "Incorrect API key" in str(err)


def test_an_unknown_model_is_refused_by_the_server_and_not_retried() -> None:
    with FakeOpenAIServer(["never"], models=["fake-model"]) as srv:
        err, _ = call(LLMSettings(model="openai/fake-modle", api_base=srv.api_base, api_key="k", **FAST))
    assert (err.kind, err.attempts, srv.refused) == ("not_found", 1, 1)
    assert "fake-modle" in str(err)


def test_a_missing_openai_key_fails_at_once_as_auth_without_any_request() -> None:
    # LiteLLM raises this as an InternalServerError (500): it must not be retried
    with FakeOpenAIServer(["never"]) as srv:
        err, logs = call(LLMSettings(model=srv.model, api_base=srv.api_base, **FAST))
    assert (err.kind, err.attempts, len(srv.requests)) == ("auth", 1, 0)
    assert "OPENAI_API_KEY" in str(err) and not events(logs, "llm.retry")


def test_a_missing_gemini_key_fails_at_once_as_auth() -> None:
    # LiteLLM raises this one as an APIConnectionError, also before any request
    err, logs = call(LLMSettings(model="gemini/gemini-2.5-flash", **FAST))
    assert (err.kind, err.attempts) == ("auth", 1)
    assert "GEMINI_API_KEY" in str(err) and not events(logs, "llm.retry")


def test_a_rate_limit_storm_that_heals_is_retried_through() -> None:
    storm = [{"fault": "rate_limit", "retry_after": 0.01}] * 3
    with FakeOpenAIServer([*storm, "the page"]) as srv, capture_logs() as logs:
        r = asyncio.run(LLMGateway(LLMSettings(model=srv.model, api_base=srv.api_base, api_key="k", **FAST)).complete(
            [Message(role="user", content="make a page")], "draft"))
    assert r.text == "the page" and len(srv.requests) == 4
    retries = events(logs, "llm.retry")
    assert [e["attempt"] for e in retries] == [1, 2, 3] and all(e["wait"] <= 0.05 for e in retries)
    assert not events(logs, "llm.failed")


def test_a_server_error_storm_that_does_not_heal_stops_after_the_retries() -> None:
    with FakeOpenAIServer([{"fault": "server"}] * 10) as srv:
        err, logs = call(LLMSettings(model=srv.model, api_base=srv.api_base, api_key="k", **FAST))
    assert (err.kind, err.attempts, len(srv.requests)) == ("server", 4, 4)
    assert len(events(logs, "llm.retry")) == 3 and len(events(logs, "llm.failed")) == 1
    assert kind_heals("server") and "server" in PROVIDER_KINDS


def test_an_unreachable_api_base_is_retried_as_a_connection_error() -> None:
    with FakeOpenAIServer([]) as srv:
        base = srv.api_base  # closed once the server stops
    err, logs = call(LLMSettings(model="openai/fake-model", api_base=base, api_key="k", **{**FAST, "max_retries": 1}))
    assert (err.kind, err.attempts) == ("connection", 2) and len(events(logs, "llm.retry")) == 1


def test_scripted_faults_of_every_non_healing_kind_are_not_retried(tmp_path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text("draft:\n  - {error: not_found}\n  - never\n")
    err, _ = call(LLMSettings(model=f"scripted/{script}", **FAST))
    assert (err.kind, err.attempts) == ("not_found", 1)


def test_the_fuse_counts_the_same_non_healing_error_in_a_row_only() -> None:
    from iwr.fuse import Fuse

    fuse = Fuse(3)
    for kind in ("auth", "auth", None, "auth", "auth", "server", "auth", "auth"):  # a success or a healing error resets it
        fuse.observe(kind, "openai/gpt-4o", f"{kind}: msg")
    assert fuse.reason is None
    fuse.observe("auth", "anthropic/x", "auth: other model")  # another model is another streak
    assert fuse.reason is None
    for _ in range(2):
        fuse.observe("auth", "anthropic/x", "auth: again")
    assert fuse.reason is not None and fuse.reason.startswith("auth failed 3 cells in a row with anthropic/x (auth: other model)")
    off = Fuse(0)
    for _ in range(10):
        off.observe("not_found", "m")
    assert off.reason is None


# -- whole runs: `iwr run` on bundled tasks against the fake server (or nothing) -------------------

import contextlib  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
GOOD = "```html\n<!DOCTYPE html><html><body><h1>Calc</h1></body></html>\n```"
TASKS = ["calc-pad", "mine-field", "task-board"]  # in the order of the tasks file: the cells run in this order with -j 1


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_AUTH_TOKEN"))}
    env["IWR_CACHE_DIR"] = str(REPO / ".cache-test")
    return env


def _run_args(jsonl: Path, out: Path, run_id: str, tasks: list[str], *extra: str) -> list[str]:
    args = [sys.executable, "-c", "from iwr.cli import main; main()", "run", "--tasks", str(jsonl), "--agent", "single-shot",
            "--out", str(out), "--run-id", run_id, "--no-probes", "-j", "1", "--llm-timeout", "5", "--llm-retries", "2",
            "--llm-retry-max-wait", "0.05", *extra]
    for t in tasks:
        args += ["--task", t]
    return args


def _summary(out: Path, run_id: str) -> dict:
    return json.loads((out / run_id / "summary.json").read_text())


def _finals(summary: dict) -> dict[str, dict]:
    return {r["task_id"]: r for r in summary["rows"] if r["iteration"] == "final"}


def _attempts(out: Path, run_id: str, model_slug: str, task: str) -> list[int]:
    lines = (out / run_id / "single-shot" / model_slug / task / "transcript.jsonl").read_text().splitlines()
    return [json.loads(line)["attempts"] for line in lines]


def _start(runs: dict[str, list[str]]) -> tuple[dict[str, tuple[str, str]], dict[str, int]]:
    """Run the `iwr run` commands side by side: outputs and exit statuses."""
    procs = {name: subprocess.Popen(args, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, args in runs.items()}
    outs = {name: proc.communicate(timeout=1200) for name, proc in procs.items()}
    return outs, {name: proc.returncode for name, proc in procs.items()}


@pytest.mark.timeout(1500)  # four runs of one to three cells; a few minutes on a loaded machine
def test_runs_report_each_fault_once_by_kind_and_exit_honestly(bundled_jsonl: Path, tmp_path: Path) -> None:
    mixed = [{"fault": "bad_request"}] + [{"fault": "server"}] * 3 + [{"fault": "rate_limit", "retry_after": 0.01}] * 2 + [GOOD]
    with contextlib.ExitStack() as stack:
        srv_mixed = stack.enter_context(FakeOpenAIServer({"draft": mixed}))
        srv_models = stack.enter_context(FakeOpenAIServer({"draft": [GOOD]}, models=["fake-model"]))
        with FakeOpenAIServer([]) as gone:
            dead = gone.api_base
        outs, codes = _start({
            "mixed": _run_args(bundled_jsonl, tmp_path, "mixed", TASKS, "--model", srv_mixed.model, "--api-base",
                               srv_mixed.api_base, "--api-key", "k"),
            "typo": _run_args(bundled_jsonl, tmp_path, "typo", TASKS[:1], "--model", "openai/fake-modle", "--api-base",
                              srv_models.api_base, "--api-key", "k"),
            "nokey": _run_args(bundled_jsonl, tmp_path, "nokey", TASKS[:1], "--model", "openai/gpt-4o", "--skip-preflight"),
            "nowhere": _run_args(bundled_jsonl, tmp_path, "nowhere", TASKS[:1], "--model", "openai/fake-model",
                                 "--api-base", dead,
                                 "--api-key", "k", "--skip-preflight"),
        })

    # 400 sent once, a 500 storm stopped after the retries, a 429 storm retried through; one scored page of three
    stdout, stderr = outs["mixed"]
    assert codes["mixed"] == 1, stderr[-3000:]
    finals = _finals(_summary(tmp_path, "mixed"))
    assert [(finals[t]["status"], finals[t]["error_kind"]) for t in TASKS] == [
        ("model_error", "bad_request"), ("model_error", "server"), ("ok", None)]
    assert [_attempts(tmp_path, "mixed", "openai_fake-model", t) for t in TASKS] == [[1], [3], [3]]
    assert len(srv_mixed.requests) == 7
    assert stderr.count('"llm.retry"') == 4 and stderr.count('"llm.failed"') == 2
    assert "single-shot: 1 of 3 tasks scored; 2 failed: bad_request, server; mean IFS" in stdout
    assert "the 2 failed counted as 0 (official convention)" in stdout
    tally = _summary(tmp_path, "mixed")["tallies"][0]
    assert (tally["scored"], tally["failed"]) == (1, {"bad_request": 1, "server": 1})
    assert tally["final"] == pytest.approx(finals["task-board"]["final"] / 3)

    # an unknown model (404): sent once, reported as not_found with the provider's words
    stdout, stderr = outs["typo"]
    assert codes["typo"] == 1, stderr[-3000:]
    final = _finals(_summary(tmp_path, "typo"))["calc-pad"]
    assert final["error_kind"] == "not_found" and "fake-modle" in final["error"] and srv_models.refused == 1
    assert "0 of 1 tasks scored; 1 failed: not_found" in stdout

    # no key at all (preflight skipped): auth at once, no request, no retry, no score
    stdout, stderr = outs["nokey"]
    assert codes["nokey"] == 1, stderr[-3000:]
    assert "single-shot: 0 of 1 tasks scored; 1 failed: auth\n" in stdout and "mean" not in stdout
    assert _attempts(tmp_path, "nokey", "openai_gpt-4o", "calc-pad") == [1] and "llm.retry" not in stderr
    assert "OPENAI_API_KEY" in _finals(_summary(tmp_path, "nokey"))["calc-pad"]["error"]
    report = (tmp_path / "nokey" / "report.html").read_text()
    assert "failed: auth" in report and 'id="failures"' in report

    # an endpoint that is not there: connection errors are retried, then reported
    stdout, stderr = outs["nowhere"]
    assert codes["nowhere"] == 1, stderr[-3000:]
    assert _finals(_summary(tmp_path, "nowhere"))["calc-pad"]["error_kind"] == "connection"
    assert _attempts(tmp_path, "nowhere", "openai_fake-model", "calc-pad") == [3]


@pytest.mark.timeout(1500)
def test_the_fuse_stops_a_run_whose_key_is_refused_and_resume_runs_the_refused_cells(bundled_jsonl: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer({"draft": [GOOD] * 3}, api_key="sk-right") as srv:
        args = _run_args(bundled_jsonl, tmp_path, "fuse", TASKS, "--model", srv.model, "--api-base", srv.api_base, "--fuse", "2")
        first = subprocess.run([*args, "--api-key", "sk-wrong"], env=_env(), capture_output=True, text=True, timeout=1200)
        assert first.returncode == 1, first.stderr[-3000:]
        summary = _summary(tmp_path, "fuse")
        # a wrong key: one request per cell, never retried; the fuse stops after two cells
        assert srv.refused == 2 and not srv.requests and "llm.retry" not in first.stderr
        assert summary["stopped_by_fuse"].startswith("auth failed 2 cells in a row") and "Incorrect API key" in summary["stopped_by_fuse"]
        assert summary["not_started"] == ["task-board/single-shot/openai/fake-model"] and summary["completed"] == 2
        assert "0 of 2 tasks scored; 2 failed: auth x2" in first.stdout and "stopped by the fuse" in first.stdout
        # the key fixed, --resume: the refused cells run again and the unstarted one starts
        again = subprocess.run([*args, "--api-key", "sk-right", "--resume"], env=_env(), capture_output=True, text=True,
                               timeout=1200)
        assert again.returncode == 0, again.stderr[-3000:]
        assert len(srv.requests) == 3
    summary = _summary(tmp_path, "fuse")
    assert all(r["status"] == "ok" for r in _finals(summary).values()) and summary["stopped_by_fuse"] is None
    assert "3 of 3 tasks scored" in again.stdout


@pytest.mark.timeout(1500)
def test_eval_with_a_refused_judge_key_stops_at_the_fuse_and_exits_1(bundled_jsonl: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    with FakeOpenAIServer(["never"], api_key="sk-right") as srv:
        args = [sys.executable, "-c", "from iwr.cli import main; main()", "eval", "--tasks", str(bundled_jsonl), "--pages",
                "reference",
                "--out", str(out), "--asserter", "llm", "--no-mllm", "--no-visual", "--no-probes", "--judge-model", srv.model,
                "--api-base", srv.api_base, "--api-key", "sk-wrong", "--fuse", "2"] + [a for t in TASKS for a in ("--task", t)]
        proc = subprocess.run(args, env=_env(), capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 1, proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert [r["status"] for r in summary["tasks"]] == ["model_error", "model_error"] and summary["not_judged"] == ["task-board"]
    assert summary["stopped_by_fuse"].startswith("auth failed 2 tasks in a row") and "llm.retry" not in proc.stderr
    assert "0 of 3 tasks judged" in proc.stdout and "the judge model failed on 2 (auth)" in proc.stdout
    assert srv.refused >= 2 and not srv.requests
