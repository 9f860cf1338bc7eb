"""User-facing errors: the CLI prints them as one line and exits non-zero."""

from __future__ import annotations


class IwrError(Exception):
    """An error with a message fit for a user (no traceback shown)."""

    exit_code = 2
