"""The action-replay judge: replay, grounding, assertions, visual scores, scoring, orchestration.

Public API (heavy modules such as the replay engine are imported on first use):

    from iwr.benchmark.judge import Judge, JudgeConfig
    async with Judge(JudgeConfig()) as judge:
        result = await judge.judge_task(task, page_dir, out_dir)
"""

from __future__ import annotations

from typing import Any

from .types import AssertionVerdict, Grounding, JudgeResult, Protocol, Scores, Status, StepVerdict, Trajectory, VisualScores

_LAZY = {
    "Judge": "judge", "JudgeConfig": "judge_config", "demo_trajectory": "trajectories", "probe_trajectory": "trajectories",
    "eval_macro": "summary", "EvalTaskRow": "summary", "EvalMacro": "summary", "summary_row": "summary",
    "Asserter": "assertions", "AssertionContext": "assertions", "OfflineAsserter": "assertions", "LLMAsserter": "assertions",
    "VisualScorer": "visual",
    "compute_scores": "scoring", "protocol_name": "scoring", "VisualState": "scoring",
    "replay_page": "replay", "ReplayTrace": "replay_types", "StepTrace": "replay_types",
    "DomGrounder": "grounding", "Grounder": "grounding",
}

__all__ = [
    "AssertionVerdict", "Grounding", "JudgeResult", "Protocol", "Scores", "Status", "StepVerdict", "Trajectory",
    "VisualScores", *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
