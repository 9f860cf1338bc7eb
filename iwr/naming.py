"""Names shared by several commands (kept import-light for CLI start-up)."""

from __future__ import annotations

import re


def official_model_dir(model: str) -> str:
    """The official scripts' result folder name of a model: lower-case, '_' for separators."""
    return re.sub(r"[^a-z0-9.]+", "_", model.lower()).strip("_") or "model"
