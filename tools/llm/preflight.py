"""Checks before a run calls any model: the model string parses, its provider is known, the
credentials LiteLLM needs are present, and a custom `api_base` answers.

    report = preflight([ModelUse("openai/gpt-4o", "agent")])
    report.problems   # one Problem per thing to fix, each naming the variable or flag to set
    report.warnings   # worth saying, not blocking (e.g. a model missing from LiteLLM's list)

Nothing here sends a model request: a typo in a model name the provider does not know is only
a warning (LiteLLM's list lags behind new models); the provider's 404 then fails the first
call without retries.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

API_BASE_TIMEOUT_S = 5.0  # an endpoint that has not answered a GET in 5 s will not serve a run


@dataclass(frozen=True)
class ModelUse:
    """One model a run will call, in which role, and how it is reached."""

    model: str
    role: str  # "agent", "judge", ...: shown in the messages
    api_base: str | None = None
    api_key: str | None = None


@dataclass(frozen=True)
class Problem:
    """One thing to fix before the run can start."""

    subject: str  # the model string or the flag
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


@dataclass
class PreflightReport:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _litellm():
    from .litellm_lib import load_litellm

    return load_litellm()


def missing_credentials(model: str, api_key: str | None = None, api_base: str | None = None) -> list[str]:
    """The environment variables LiteLLM says `model` still needs ([] when none or unknown).

    A variable naming an API base is not needed when `api_base` is given or the provider has a
    default one (e.g. a local Ollama).
    """
    if model.startswith("scripted/"):
        return []
    litellm = _litellm()
    try:
        default_base = litellm.get_llm_provider(model=model, api_base=api_base)[3]
    except Exception:  # noqa: BLE001 - an unparseable model is reported by `preflight`
        return []
    found = litellm.validate_environment(model=model, api_key=api_key, api_base=api_base or default_base)
    return list(found.get("missing_keys", []))


def _credentials_hint(model: str, missing: list[str], api_key: str | None, api_base: str | None) -> str:
    """'set OPENAI_API_KEY', 'set one of GOOGLE_API_KEY, GEMINI_API_KEY' or 'set all of ...'."""
    alone = []
    for name in missing:  # does this variable alone satisfy LiteLLM? (either-or vs all-of lists)
        with mock.patch.dict(os.environ, {name: "x"}):
            if not missing_credentials(model, api_key, api_base):
                alone.append(name)
    if len(missing) == 1:
        what = f"set {missing[0]}"
    elif alone:
        what = "set one of " + ", ".join(alone)
    else:
        what = "set all of " + ", ".join(missing)
    key_flag = any("KEY" in name or "TOKEN" in name for name in missing)
    return what + (" (or pass --api-key / IWR_API_KEY)" if key_flag else "")


def _known_models(litellm, provider: str | None = None) -> dict[str, str]:
    """Bare model name -> provider/name for the chat models in LiteLLM's local list (of one
    provider when given); a name listed without a prefix keeps its own provider (gpt-4o: openai)."""
    out: dict[str, str] = {}
    for key, info in litellm.model_cost.items():
        owner = info.get("litellm_provider") if isinstance(info, dict) else None
        if not owner or info.get("mode") not in (None, "chat", "responses") or (provider and owner != provider):
            continue
        prefixed = key.startswith(owner + "/")
        bare = key.split("/", 1)[1] if prefixed else key
        if not prefixed or bare not in out:
            out[bare] = f"{owner}/{bare}"
    return out


def _suggest(model: str, litellm, provider: str | None = None) -> list[str]:
    """Close names from LiteLLM's list: within `provider` when known, else among all."""
    known = _known_models(litellm, provider)
    bare = model.split("/", 1)[1] if "/" in model else model
    cutoff = 0.6 if provider else 0.75  # within one provider a looser match is still a fair guess
    return [known[m] for m in difflib.get_close_matches(bare, list(known), n=2, cutoff=cutoff)]


def check_model(use: ModelUse) -> tuple[list[Problem], list[str]]:
    """Problems and warnings of one model (parse, provider, credentials)."""
    subject = f"{use.model} ({use.role} model)"
    if use.model.startswith("scripted/"):
        path = Path(use.model.split("/", 1)[1])
        if not path.is_file():
            return [Problem(subject, f"no script file {path}")], []
        from .scripted import load_script

        try:
            load_script(path)
        except Exception as e:  # noqa: BLE001 - yaml/json/validation errors alike
            return [Problem(subject, f"the script does not load: {e}")], []
        return [], []
    litellm = _litellm()
    try:
        bare, provider, _, _ = litellm.get_llm_provider(model=use.model, api_base=use.api_base)
    except Exception:  # noqa: BLE001 - LiteLLM raises BadRequestError with a long text
        prefix = use.model.split("/", 1)[0] if "/" in use.model else ""
        if prefix:
            close = difflib.get_close_matches(prefix,
                                              [str(p.value if hasattr(p, "value") else p) for p in litellm.provider_list], n=1)
            hint = f"did you mean {close[0]}/{use.model.split('/', 1)[1]}?" if close else "see LiteLLM's provider list"
            return [Problem(subject, f"unknown provider {prefix!r}: {hint}")], []
        close = _suggest(use.model, litellm)
        hint = f"did you mean {' or '.join(close)}?" if close else "e.g. openai/gpt-4o or anthropic/claude-sonnet-4-5"
        return [Problem(subject, f"no provider given and LiteLLM cannot tell it: write the model as provider/name ({hint})")], []
    warnings = []
    if use.api_base is None and not _in_model_list(litellm, use.model, bare, provider):
        close = [c for c in _suggest(use.model, litellm, provider) if c != use.model]
        warnings.append(f"{use.model} is not in LiteLLM's model list (fine for a new model; a typo fails at the first call)"
                        + (f"; did you mean {' or '.join(close)}?" if close else ""))
    missing = missing_credentials(use.model, use.api_key, use.api_base)
    if missing:
        return [Problem(subject,
                        f"no credentials for {provider}: {_credentials_hint(use.model, missing, use.api_key, use.api_base)}")], warnings
    return [], warnings


def _in_model_list(litellm, model: str, bare: str, provider: str) -> bool:
    return any(k in litellm.model_cost for k in (model, bare, f"{provider}/{bare}"))


def check_api_base(url: str, timeout: float = API_BASE_TIMEOUT_S) -> Problem | None:
    """None when `url` answers an HTTP GET (any status), else the problem."""
    import httpx

    if not url.startswith(("http://", "https://")):
        return Problem(f"--api-base {url}", "not an http(s) URL")
    try:
        httpx.get(url.rstrip("/") + "/models", timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as e:
        reason = str(e) or type(e).__name__
        return Problem(f"--api-base {url}", f"does not answer ({reason}); is the server running?")
    return None


def preflight(uses: Sequence[ModelUse], *, api_base_timeout: float = API_BASE_TIMEOUT_S) -> PreflightReport:
    """Check every distinct model use and every distinct api_base; see the module docstring."""
    report = PreflightReport()
    seen: set[tuple[str, str | None, str | None]] = set()
    for use in uses:
        key = (use.model, use.api_base, use.api_key)
        if key in seen:
            continue
        seen.add(key)
        problems, warnings = check_model(use)
        report.problems += problems
        report.warnings += [w for w in warnings if w not in report.warnings]
    for base in dict.fromkeys(u.api_base for u in uses if u.api_base and not u.model.startswith("scripted/")):
        problem = check_api_base(base, api_base_timeout)
        if problem is not None:
            report.problems.append(problem)
    return report
