"""Build the reconstruction graph (uncompiled: the caller compiles it with its checkpointer)."""

from __future__ import annotations

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.graph import END, START, StateGraph

from iwr.benchmark import task as task_types
from iwr.benchmark.judge import types as judge_types

from . import nodes
from .context import Context
from .state import STATE_TYPES, ReconstructionState


def build_graph() -> StateGraph[ReconstructionState, Context, ReconstructionState, ReconstructionState]:
    """perceive -> match_assets -> analyse -> draft -> (self_test -> [critic] -> repair)* -> finish."""
    g = StateGraph(ReconstructionState, context_schema=Context)
    g.add_node("perceive", nodes.perceive)
    g.add_node("match_assets", nodes.match_assets)
    g.add_node("analyse", nodes.analyse)
    g.add_node("draft", nodes.draft)
    g.add_node("self_test", nodes.self_test)
    g.add_node("critic", nodes.critic)
    g.add_node("repair", nodes.repair)
    g.add_node("finish", nodes.finish)
    g.add_conditional_edges(START, nodes.route_start)
    g.add_edge("perceive", "match_assets")
    g.add_conditional_edges("match_assets", nodes.route_after_assets)
    g.add_edge("analyse", "draft")
    g.add_conditional_edges("draft", nodes.route_after_draft)
    g.add_conditional_edges("self_test", nodes.route_after_self_test)
    g.add_edge("critic", "repair")
    g.add_conditional_edges("repair", nodes.route_after_repair)
    g.add_edge("finish", END)
    return g


def state_serializer() -> JsonPlusSerializer:
    """A checkpoint serializer that allows the state's nested pydantic types."""
    allowed = [(t.__module__, t.__name__) for t in STATE_TYPES]
    allowed.append(("iwr.graphs.state", "Usage"))  # checkpoints written before Usage moved to tools.llm.types name it here
    for module in (task_types, judge_types):
        for name in dir(module):
            obj = getattr(module, name)
            if isinstance(obj, type) and obj.__module__ == module.__name__:
                allowed.append((module.__name__, name))
    return JsonPlusSerializer(allowed_msgpack_modules=allowed)
