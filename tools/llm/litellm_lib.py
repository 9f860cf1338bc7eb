"""LiteLLM, imported lazily, offline and quietly."""

from __future__ import annotations

import os
from typing import Any


def load_litellm() -> Any:
    """Import LiteLLM offline and quietly (the local price map, no banner)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.drop_params = True
    return litellm
