"""The LLM gateway: every model call of the framework goes through `LLMGateway.complete`.

Heavy dependencies (LiteLLM) are imported lazily on the first real call.
"""

from .edits import EditResult, apply_edits
from .fake_server import FakeOpenAIServer
from .gateway import LLMGateway
from .parsing import extract_code, extract_json, require_code
from .scripted import ScriptedProvider
from .transcript import read_transcript
from .types import ImagePart, LLMResponse, LLMSettings, Message, ModelError, PurposeTotals, TextPart, Usage

__all__ = [
    "EditResult",
    "FakeOpenAIServer",
    "ImagePart",
    "LLMGateway",
    "LLMResponse",
    "LLMSettings",
    "Message",
    "ModelError",
    "PurposeTotals",
    "ScriptedProvider",
    "TextPart",
    "Usage",
    "apply_edits",
    "extract_code",
    "extract_json",
    "read_transcript",
    "require_code",
]
