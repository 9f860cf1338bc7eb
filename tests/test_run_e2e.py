"""End to end: `iwr run` through the real HTTP path (LiteLLM -> fake OpenAI server on
127.0.0.1), real perception, real judge, real SQLite checkpoints.

- the iterative agent's scripted draft lacks the task field, its scripted search/replace
  repair restores it: the ground-truth judge's IFS rises from iteration 0 to 1 and the final
  page is the best one;
- the run is SIGKILLed while the repair call is in flight, then `--resume`d: it completes,
  no finished model call is repeated (server request count) and nothing is lost;
- leak test: no ground-truth description, assertion, probe text or checkpoint image in any
  request the server received; the agent's staging folder holds only the inputs;
- model faults are retried or reported as model errors, and the run still finishes;
- the offline baselines give sane scores.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iwr.agents.roles import MAX_CONTINUATIONS
from iwr.benchmark.dataset import load_task
from iwr.benchmark.ground_truth import GroundTruth
from iwr.tools.llm import FakeOpenAIServer

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "benchmark" / "apps" / "task_board"
CACHE = REPO / ".cache-test"
TASK = "task-board"

# The agent's own plan (our wording, not the ground truth's). Keyframe 1 is a state after the
# task was added (the first keyframe is the initial state), so the self-test can tell a page
# that adds the task from one that cannot.
PLAN = [
    {"type": "Type", "description": "Type 'Pay electricity bill' into the text box at the top of the card",
     "text": "Pay electricity bill", "assertion": "The text box shows 'Pay electricity bill'", "keyframe": None},
    {"type": "Press", "description": "Press Enter", "key": "Enter",
     "assertion": "'Pay electricity bill' is added at the end of the list", "keyframe": 1},
]
FIELD = '<input id="new-task" class="new-task" type="text" placeholder="What needs to be done? Press Enter to add" autocomplete="off">'
BROKEN_FIELD = '<div id="new-task" class="new-task"></div>'


@pytest.fixture(scope="module")
def task_jsonl(bundled_jsonl: Path) -> Path:
    """The bundled tasks (recorded once per tree, see conftest); the runs pick TASK with --task."""
    return bundled_jsonl


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["IWR_CACHE_DIR"] = str(CACHE)
    return env


def _iwr(*args: str) -> list[str]:
    return [sys.executable, "-c", "from iwr.cli import main; main()", *args]


def _inline_page(broken: bool) -> str:
    html = (APP / "index.html").read_text()
    html = html.replace('<link rel="stylesheet" href="style.css">', "<style>\n" + (APP / "style.css").read_text() + "\n</style>")
    html = html.replace('<script src="app.js"></script>', "<script>\n" + (APP / "app.js").read_text() + "\n</script>")
    assert FIELD in html
    return html.replace(FIELD, BROKEN_FIELD) if broken else html


def _rows(summary: Path) -> dict[tuple[str, str], dict]:
    data = json.loads(summary.read_text())
    return {(r["agent"], str(r["iteration"])): r for r in data["rows"]}


def _request_texts_and_images(requests: list[dict]) -> tuple[str, list[bytes]]:
    texts, images = [], []
    for body in requests:
        for msg in body.get("messages", []):
            content = msg.get("content")
            parts = [content] if isinstance(content, str) else content or []
            for part in parts:
                if isinstance(part, str):
                    texts.append(part)
                elif part.get("type") == "text":
                    texts.append(part["text"])
                elif part.get("type") == "image_url":
                    url = part["image_url"]["url"] if isinstance(part["image_url"], dict) else part["image_url"]
                    images.append(base64.b64decode(url.split(",", 1)[1]))
    return "\n".join(texts), images


def _pixels_hash(data: bytes) -> str:
    return hashlib.sha256(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).tobytes()).hexdigest()


@pytest.mark.timeout(2400)  # two judged iterations + perception; minutes on a loaded machine
def test_iterative_run_repairs_survives_sigkill_and_leaks_nothing(task_jsonl: Path, tmp_path: Path) -> None:
    edit = f"<<<<<<< SEARCH\n{BROKEN_FIELD}\n=======\n{FIELD}\n>>>>>>> REPLACE\n"
    script = {
        "analyse": ["```json\n" + json.dumps(PLAN) + "\n```"],
        "draft": ["```html\n" + _inline_page(broken=True) + "\n```"],
        "repair": [{"fault": "delay", "seconds": 120, "text": edit}, edit],
    }
    out = tmp_path / "runs"
    with FakeOpenAIServer(script) as srv:
        args = _iwr("run", "--tasks", str(task_jsonl), "--task", TASK, "--agent", "iterative", "--max-iters", "1",
                    "--model", srv.model, "--api-base", srv.api_base, "--api-key", "fake", "--out", str(out),
                    "--run-id", "e2e", "--no-probes", "--llm-timeout", "300", "--llm-retries", "1", "--llm-retry-max-wait", "0.1")
        proc = subprocess.Popen(args, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 1500
            while "repair" not in srv.purposes:
                assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
                assert time.monotonic() < deadline, "the run never reached the repair call"
                time.sleep(0.2)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        task_dir = out / "e2e" / "iterative+it1" / "openai_fake-model" / TASK
        assert (task_dir / "judge_iter_0.json").is_file() and not (task_dir / "result.json").exists()

        resumed = subprocess.run([*args, "--resume"], env=_env(), capture_output=True, text=True, timeout=1500)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        purposes = list(srv.purposes)
        requests = list(srv.requests)

    # resume: each finished call was made once; only the killed in-flight repair was re-sent
    assert purposes == ["analyse", "draft", "repair", "repair"]

    rows = _rows(out / "e2e" / "summary.json")
    it0, it1, final = rows[("iterative+it1", "0")], rows[("iterative+it1", "1")], rows[("iterative+it1", "final")]
    assert all(r["status"] == "ok" for r in (it0, it1, final))
    assert it1["ifs"] > it0["ifs"]
    assert final["ifs"] == max(it0["ifs"], it1["ifs"]) and final["final"] == it1["final"]
    result = json.loads((task_dir / "result.json").read_text())
    assert result["best_iteration"] == 1 and result["model_calls"] >= 1
    assert (task_dir / "final" / "index.html").read_text() == (task_dir / "iter_1" / "index.html").read_text()
    for name in ("transcript.jsonl", "log.jsonl", "judge_final.json", "iter_0/index.html", "self_test/iter_0/self_test.json"):
        assert (task_dir / name).is_file(), name

    # the staging folder holds the inputs only
    staged = sorted(str(p.relative_to(task_dir / "inputs")) for p in (task_dir / "inputs").rglob("*") if p.is_file())
    assert "video.mp4" in staged and all(s == "video.mp4" or s.startswith(("assets/", "stitched_assets/")) for s in staged)

    # leak test over every request the server received
    task = load_task(task_jsonl, TASK)
    truth = GroundTruth.load(task.paths.ground_truth)
    secrets = [a.description for a in task.actions] + [a.logical_assertion for a in task.actions if a.logical_assertion]
    for probe in truth.probes:
        secrets += [a.description for a in probe.actions] + [a.logical_assertion for a in probe.actions if a.logical_assertion]
    text, images = _request_texts_and_images(requests)
    assert len(images) > 0 and "Pay electricity bill" in text
    leaked = [s for s in secrets if s and s in text]
    assert not leaked, leaked
    checkpoint_files = list(task.paths.checkpoints.rglob("*.png"))
    assert checkpoint_files
    forbidden = {hashlib.sha256(p.read_bytes()).hexdigest() for p in checkpoint_files}
    forbidden |= {_pixels_hash(p.read_bytes()) for p in checkpoint_files}
    sent = {hashlib.sha256(b).hexdigest() for b in images} | {_pixels_hash(b) for b in images}
    assert not (forbidden & sent)


@pytest.mark.timeout(900)
def test_model_faults_are_retried_or_reported_and_the_run_finishes(task_jsonl: Path, tmp_path: Path) -> None:
    good = "```html\n<!DOCTYPE html><html><body><h1>My Tasks</h1></body></html>\n```"
    cases = {
        "retried": [{"fault": "rate_limit", "retry_after": 0.1}, {"fault": "server"},
                    {"fault": "delay", "seconds": 5, "text": good}, good],
        "no-code": [{"fault": "no_code"}],
        "truncated": [{"fault": "truncated_code"}] * (1 + MAX_CONTINUATIONS),  # cut off, and each continuation too
        "empty": [{"fault": "empty_choices"}] * 4,
    }
    with contextlib.ExitStack() as stack:  # the four runs go side by side, each with its own server
        servers = {run_id: stack.enter_context(FakeOpenAIServer({"draft": entries})) for run_id, entries in cases.items()}
        procs = {
            run_id: subprocess.Popen(
                _iwr("run", "--tasks", str(task_jsonl), "--task", TASK, "--agent", "single-shot", "--model", srv.model,
                     "--api-base", srv.api_base,
                     "--api-key", "fake", "--out", str(tmp_path / run_id), "--run-id", run_id, "--no-probes", "--llm-timeout",
                     "2", "--llm-retries", "3",
                     "--llm-retry-max-wait", "0.2"),
                env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for run_id, srv in servers.items()
        }
        outputs = {run_id: proc.communicate(timeout=600) for run_id, proc in procs.items()}
    for run_id, (stdout, stderr) in outputs.items():
        # exit 0 only when the cell ended with a score; a failed cell still writes its folder and summary
        assert procs[run_id].returncode == (0 if run_id == "retried" else 1), stderr[-3000:]
        final = _rows(tmp_path / run_id / run_id / "summary.json")[("single-shot", "final")]
        failures = json.loads((tmp_path / run_id / run_id / "summary.json").read_text())["failures"]
        if run_id == "retried":
            assert final["status"] == "ok" and len(servers[run_id].requests) == 4
            assert not failures
        else:
            assert final["status"] == "model_error" and final["error"] and final["error_kind"] in ("unparseable", "empty")
            if run_id == "truncated":  # continued, and no more often than the bound
                assert 2 <= len(servers[run_id].requests) <= 1 + MAX_CONTINUATIONS
            assert failures and failures[0]["task_id"] == TASK
            assert "failed" in stdout and TASK in stdout
            assert f"single-shot: 0 of 1 tasks scored; 1 failed: {final['error_kind']}" in stdout and "mean" not in stdout


@pytest.mark.timeout(900)
def test_offline_baselines_give_sane_scores(task_jsonl: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    proc = subprocess.run(_iwr("run", "--tasks", str(task_jsonl), "--task", TASK, "--out", str(out), "--run-id", "offline",
                               "--no-probes", "-j", "2"),
                          env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "offline baselines" in proc.stderr
    rows = _rows(out / "offline" / "summary.json")
    blank, slides = rows[("blank", "final")], rows[("screenshot-slideshow", "final")]
    assert blank["status"] == slides["status"] == "ok"
    assert blank["ifs"] <= 0.2 and blank["final"] < 0.2
    assert slides["ifs"] <= 0.3 and slides["vfs"] > 0.8 and slides["vfs"] > blank["vfs"]
    assert (out / "runs.sqlite").is_file()
