"""End to end with the real local model (scripts/local-model.sh start): one bundled task through
the iterative agent, then the run folder, the rows and the report. Skipped when no local model
server answers (nothing here downloads or builds anything)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("IWR_CACHE_DIR", Path.home() / ".cache" / "iwr")) / "local-model"
MODEL = os.environ.get("IWR_LOCAL_MODEL", "openai/qwen2.5-coder-0.5b")


def _api_base() -> str | None:
    base = os.environ.get("IWR_LOCAL_MODEL_API_BASE")
    if base is None and (CACHE / "server.port").is_file():
        base = f"http://127.0.0.1:{(CACHE / 'server.port').read_text().strip()}/v1"
    if base is None:
        return None
    try:
        with urllib.request.urlopen(base.removesuffix("/v1") + "/health", timeout=2) as resp:
            return base if resp.status == 200 else None
    except OSError:
        return None


API_BASE = _api_base()
pytestmark = pytest.mark.skipif(
    API_BASE is None, reason="no local model server: run scripts/local-model.sh start (or set IWR_LOCAL_MODEL_API_BASE)")


@pytest.mark.timeout(3600)
def test_iterative_agent_with_the_real_model_on_calc_pad(tmp_path: Path, bundled_jsonl: Path) -> None:
    out = tmp_path / "runs"
    cmd = [sys.executable, "-m", "iwr.cli", "run", "--tasks", str(bundled_jsonl), "--task", "calc-pad", "--agent", "iterative",
           "--max-iters", "1", "--model", MODEL, "--api-base", str(API_BASE), "--api-key", "local", "--llm-timeout", "1800",
           "--llm-retries", "1", "--no-probes", "--out", str(out), "--run-id", "e2e"]
    env = {**os.environ, "IWR_LLM_MAX_TOKENS": os.environ.get("IWR_LLM_MAX_TOKENS", "4096")}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=3500, env=env)
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: the model failed the cell, still a finished run
    summary = json.loads((out / "e2e" / "summary.json").read_text())
    rows = [r for r in summary["rows"] if r["task_id"] == "calc-pad"]
    assert {r["agent"] for r in rows} == {"iterative+it1+text"}  # a text-only model: labelled
    assert any(r["iteration"] == "final" for r in rows)
    results = list((out / "e2e").rglob("result.json"))
    assert len(results) == 1
    transcript = results[0].parent / "transcript.jsonl"
    calls = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert calls and all(isinstance(m["content"], str) for c in calls for m in c["messages"])  # no image parts
    if summary["exit_status"] == 0:
        assert (results[0].parent / "final" / "index.html").is_file()
    assert (out / "e2e" / "report.html").is_file()
