"""The scripted provider: answers by purpose and order from a YAML or JSON file, no network.

Use it with `LLMSettings(model="scripted/<path to file>")` to test your own agents. The file
maps a purpose to a list of entries; each call of that purpose takes the next entry, and when
the purpose's list is used up (or absent) the `default` list is used::

    draft:
      - "```html\\n<!DOCTYPE html><html>...</html>\\n```"
    repair:
      - {error: rate_limit}            # a retryable fault, then the next entry answers
      - {text: "...", prompt_tokens: 1200, completion_tokens: 300}
    default:
      - "[]"

An entry is a string (the answer text) or a mapping with `text` (and optional
`prompt_tokens`, `completion_tokens`, `finish_reason`), or `{error: KIND}` where KIND is
`rate_limit`, `server`, `timeout`, `connection` (retried by the gateway), `bad_request`,
`auth`, `not_found`, `context_window` (not retried) or `empty` (an empty answer). When nothing is left, the call fails
with `ModelError(kind="script_exhausted")`.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .types import ModelError, ProviderFault

_FAULTS = {"rate_limit", "server", "timeout", "connection", "bad_request", "auth", "not_found", "context_window", "api"}


class ScriptedAnswer(BaseModel):
    """One scripted answer (or fault)."""

    text: str = ""
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"


def _parse_entry(entry: Any, where: str) -> ScriptedAnswer:
    if isinstance(entry, str):
        return ScriptedAnswer(text=entry)
    if isinstance(entry, dict):
        answer = ScriptedAnswer.model_validate(entry)
        if answer.error is not None and answer.error not in _FAULTS | {"empty"}:
            raise ValueError(f"{where}: unknown scripted error {answer.error!r}")
        return answer
    raise ValueError(f"{where}: an entry must be a string or a mapping, got {type(entry).__name__}")


def load_script(path: Path) -> dict[str, list[ScriptedAnswer]]:
    """Read a script file (YAML or JSON) into purpose -> answers."""
    text = Path(path).read_text(encoding="utf-8")
    if Path(path).suffix.lower() == ".json":
        raw = json.loads(text)
    else:
        import yaml

        raw = yaml.safe_load(text)
    return parse_script(raw, str(path))


def parse_script(raw: Any, where: str = "script") -> dict[str, list[ScriptedAnswer]]:
    """Validate a purpose -> entries mapping."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping of purpose -> list of answers")
    script: dict[str, list[ScriptedAnswer]] = {}
    for purpose, entries in raw.items():
        if isinstance(entries, (str, dict)):
            entries = [entries]
        if not isinstance(entries, list):
            raise ValueError(f"{where}: {purpose!r} must be a list")
        script[str(purpose)] = [_parse_entry(e, f"{where}:{purpose}[{i}]") for i, e in enumerate(entries)]
    return script


class ScriptedProvider:
    """Serves scripted answers by purpose and order (thread-safe)."""

    def __init__(self, script: dict[str, list[ScriptedAnswer]]):
        self._script = script
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()
        self.calls: list[str] = []  # purposes, in call order

    @classmethod
    def from_file(cls, path: Path) -> ScriptedProvider:
        return cls(load_script(path))

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> ScriptedProvider:
        return cls(parse_script(raw))

    def _take(self, purpose: str) -> ScriptedAnswer | None:
        for key in (purpose, "default"):
            answers = self._script.get(key, [])
            i = self._next.get(key, 0)
            if i < len(answers):
                self._next[key] = i + 1
                return answers[i]
        return None

    def answer(self, purpose: str) -> ScriptedAnswer:
        """The next answer for `purpose`; raises ProviderFault for scripted faults."""
        with self._lock:
            self.calls.append(purpose)
            answer = self._take(purpose)
        if answer is None:
            raise ModelError("the script has no answer left for this purpose", kind="script_exhausted", purpose=purpose)
        if answer.error is not None and answer.error != "empty":
            raise ProviderFault(answer.error, f"scripted {answer.error}", retry_after=None)
        if answer.error == "empty":
            return ScriptedAnswer(text="", prompt_tokens=answer.prompt_tokens)
        return answer
