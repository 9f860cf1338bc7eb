"""The base of every error the project raises on purpose."""

from __future__ import annotations


class IwrError(Exception):
    """An expected failure with a message fit for a user: the CLI prints it as one line and
    exits with `exit_code`; anything else is a bug and keeps its traceback."""

    exit_code = 2
