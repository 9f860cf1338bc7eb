"""How the judge is configured (`JudgeConfig`) and the gateway it uses for model calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ...core.cache_files import cache_dir


def default_cache_dir() -> Path:
    """`$IWR_CACHE_DIR` (default `~/.cache/iwr`) / ocr."""
    return cache_dir() / "ocr"


GrounderName = Literal["dom", "llm"]
AsserterName = Literal["offline", "llm"]
GROUNDERS: dict[str, GrounderName] = {"dom": "dom", "llm": "llm"}  # a command-line word -> the typed name
ASSERTERS: dict[str, AsserterName] = {"offline": "offline", "llm": "llm"}


class JudgeConfig(BaseModel):
    """How to judge: which grounder/asserter, visual scores, model settings, limits."""

    grounder: GrounderName = "dom"
    asserter: AsserterName = "offline"
    judge_model: str | None = None  # LiteLLM "provider/model"; needed by llm parts and mllm
    api_base: str | None = None
    api_key: str | None = None
    visual: bool = True
    mllm: bool = False  # the MLLM rubric (needs judge_model)
    dino_weights: Path | None = None
    continue_after_failure: bool = True
    action_timeout: float = 30.0
    load_timeout: float = 20.0
    ocr_cache_dir: Path = Field(default_factory=default_cache_dir)
    ocr_workers: int = 1
    probes: bool = True
    # probe scores are IFS only (generalisation gap): their states need no OCR or image metrics
    probe_visual: bool = False

    @property
    def uses_model(self) -> bool:
        return self.grounder == "llm" or self.asserter == "llm" or self.mllm


def make_gateway(cfg: JudgeConfig) -> Any:
    """The LLM gateway for the judge's model calls (retries from the gateway, cache on disk)."""
    from ...tools.llm.gateway import LLMGateway
    from ...tools.llm.types import LLMSettings

    if not cfg.judge_model:
        raise ValueError("a judge model is needed for --grounder llm, --asserter llm or the MLLM rubric")
    settings = LLMSettings(model=cfg.judge_model, api_base=cfg.api_base, api_key=cfg.api_key, max_tokens=2048)
    return LLMGateway(settings, cache_path=cfg.ocr_cache_dir.parent / "judge_llm_cache.sqlite")


def make_grounder(cfg: JudgeConfig, gateway: Any) -> Any:
    """The grounder `cfg` names (the LLM one, and the gateway it calls, imported only when asked for)."""
    if cfg.grounder == "llm":
        from .llm_grounding import LLMGrounder

        return LLMGrounder(gateway)
    from .grounding import DomGrounder

    return DomGrounder()
