"""What a model takes: images or not (text-only models get the video as text), and how many tokens.

In order: scripted models take what they are given (images); a model named in
`IWR_TEXT_ONLY_MODELS` (comma-separated) does not; an `--api-base` that is a llama.cpp server
says so itself (`GET /props` -> `modalities.vision`, asked once per endpoint); else LiteLLM's
model info (`supports_vision`); a model nobody knows is assumed to take images. The context
window comes from the same places: the server's `n_ctx`, else LiteLLM's `max_input_tokens`.
"""

from __future__ import annotations

import functools
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

TEXT_ONLY_ENV = "IWR_TEXT_ONLY_MODELS"


@dataclass(frozen=True)
class ImageSupport:
    """The answer and where it came from (for logs and the run's config)."""

    images: bool
    source: str


def _env_text_only(model: str) -> bool:
    names = {n.strip() for n in os.environ.get(TEXT_ONLY_ENV, "").split(",") if n.strip()}
    return model in names or model.split("/", 1)[-1] in names


def server_props_url(api_base: str) -> str:
    """`http://h:p/v1` -> `http://h:p/props` (llama.cpp serves /props beside /v1)."""
    base = api_base.rstrip("/")
    return (base[: -len("/v1")] if base.endswith("/v1") else base) + "/props"


@functools.lru_cache(maxsize=32)
def server_props(api_base: str, timeout: float = 3.0) -> dict[str, Any] | None:
    """A llama.cpp server's GET /props (asked once per endpoint); None when it does not answer one."""
    try:
        with urllib.request.urlopen(server_props_url(api_base), timeout=timeout) as resp:
            data = json.loads(resp.read().decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def probe_server_vision(api_base: str) -> bool | None:
    """`modalities.vision` of a llama.cpp server's /props; None when the endpoint does not say."""
    modalities = (server_props(api_base) or {}).get("modalities")
    vision = modalities.get("vision") if isinstance(modalities, dict) else None
    return vision if isinstance(vision, bool) else None


def context_tokens(model: str, api_base: str | None = None) -> int | None:
    """The model's context window in tokens (a llama.cpp server's `n_ctx`, else LiteLLM's
    `max_input_tokens`); None when nobody says."""
    if model.startswith("scripted/"):
        return None
    if api_base:
        settings = (server_props(api_base) or {}).get("default_generation_settings")
        n_ctx = settings.get("n_ctx") if isinstance(settings, dict) else None
        if isinstance(n_ctx, int) and n_ctx > 0:
            return n_ctx
    from .litellm_lib import load_litellm

    try:
        known = load_litellm().get_model_info(model).get("max_input_tokens")
    except Exception:  # noqa: BLE001 - not in the price map
        return None
    return known if isinstance(known, int) and known > 0 else None


def _litellm_vision(model: str) -> bool | None:
    from .litellm_lib import load_litellm

    litellm = load_litellm()
    try:
        litellm.get_model_info(model)
    except Exception:  # noqa: BLE001 - not in the price map
        return None
    try:
        return bool(litellm.supports_vision(model=model))
    except Exception:  # noqa: BLE001
        return None


def image_support(model: str, api_base: str | None = None) -> ImageSupport:
    """Whether `model` (at `api_base`) takes images, and how that was found out."""
    if model.startswith("scripted/"):
        return ImageSupport(True, "scripted")
    if _env_text_only(model):
        return ImageSupport(False, TEXT_ONLY_ENV)
    if api_base:
        probed = probe_server_vision(api_base)
        if probed is not None:
            return ImageSupport(probed, "server /props")
    known = _litellm_vision(model)
    if known is not None:
        return ImageSupport(known, "litellm model info")
    return ImageSupport(True, "unknown (assumed)")
