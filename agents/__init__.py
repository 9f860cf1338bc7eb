"""Who decides: LLM roles, model-free baselines and the catalog of named agents."""

from .catalog import AGENTS, OFFLINE_DEFAULT_AGENTS, AgentSpec, build_context, list_agents, resolve_agent

__all__ = ["AGENTS", "OFFLINE_DEFAULT_AGENTS", "AgentSpec", "build_context", "list_agents", "resolve_agent"]
