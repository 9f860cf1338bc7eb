"""User-facing errors: the base lives in the floor-0 core (`iwr.core.errors`) so that every
floor can derive from it; this name stays importable."""

from __future__ import annotations

from .core.errors import IwrError

__all__ = ["IwrError"]
