"""The reconstruction machine: LangGraph state, nodes, builder and the roles' Protocols."""

from .builder import build_graph, state_serializer
from .context import (
    Analyst,
    AssetMap,
    Coder,
    CodeResult,
    Context,
    Critic,
    CritiqueResult,
    Perceiver,
    PlanResult,
    RepairStyle,
    SelfTester,
)
from .state import (
    AssetSighting,
    EventSummary,
    FailedStep,
    KeyframeRef,
    PageVersion,
    PerceptionSummary,
    ReconstructionState,
    SelfTestVerdict,
    Usage,
)

__all__ = [
    "AssetMap",
    "AssetSighting",
    "Analyst",
    "CodeResult",
    "Coder",
    "Context",
    "Critic",
    "CritiqueResult",
    "EventSummary",
    "FailedStep",
    "KeyframeRef",
    "PageVersion",
    "PerceptionSummary",
    "Perceiver",
    "PlanResult",
    "ReconstructionState",
    "RepairStyle",
    "SelfTestVerdict",
    "SelfTester",
    "Usage",
    "build_graph",
    "state_serializer",
]
