"""Named agents = the reconstruction graph + roles + switches.

`single-shot` (the paper's protocol), `perceive-then-code`, `iterative` (the full loop),
the model-free baselines `blank`, `screenshot-slideshow`, `static-layout`,
`trajectory-replay`, and the `reference` oracle (the bundled app itself, an upper bound).
Switches (thinking, repair style, iterations, perception, critic, oracle feedback) are applied
by `resolve_agent`; a changed default shows in the label.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from iwr.core.errors import IwrError
from iwr.graphs import Coder, Context, RepairStyle, SelfTester
from iwr.graphs.context import IterationHook

from .baselines import BlankCoder, ReferenceCoder, SlideshowCoder, StaticLayoutCoder, TrajectoryReplayCoder
from .perception import ToolPerceiver

if TYPE_CHECKING:
    from iwr.tools.llm import LLMGateway

InputsMode = Literal["images", "text"]
CoderMode = Literal["single_shot", "perceive", "blank", "slideshow", "static_layout", "trajectory_replay", "reference"]

DEFAULT_ITERS = 3


class AgentSpec(BaseModel):
    """A named configuration of the graph."""

    name: str
    description: str
    coder: CoderMode
    needs_model: bool
    use_perception: bool
    analyst: bool = False
    max_iters: int = 0
    repair_style: RepairStyle = "search_replace"
    reasoning_effort: Literal["low", "medium", "high"] | None = None
    oracle_feedback: bool = False
    critic: bool = False  # a visual review by the model before each repair
    inputs: InputsMode = "images"  # "text": the video described as text (text-only models, or an ablation)
    label: str = ""  # name plus any switches changed from the defaults

    @property
    def run_name(self) -> str:
        return self.label or self.name


AGENTS: dict[str, AgentSpec] = {
    a.name: a
    for a in [
        AgentSpec(
            name="single-shot",
            description="Paper protocol: contact sheets + frames at 1 fps (max 64), one model call.",
            coder="single_shot",
            needs_model=True,
            use_perception=False,
        ),
        AgentSpec(
            name="perceive-then-code",
            description="Perception (keyframes, events, asset map) then one model call.",
            coder="perceive",
            needs_model=True,
            use_perception=True,
        ),
        AgentSpec(
            name="iterative",
            description="Perceive, plan, draft, self-test on its own plan, repair with edits; keep the best.",
            coder="perceive",
            needs_model=True,
            use_perception=True,
            analyst=True,
            max_iters=DEFAULT_ITERS,
        ),
        AgentSpec(name="blank", description="Baseline: an empty page.", coder="blank", needs_model=False, use_perception=False),
        AgentSpec(
            name="screenshot-slideshow",
            description="Baseline: the recorded states as images; a click anywhere shows the next.",
            coder="slideshow",
            needs_model=False,
            use_perception=True,
        ),
        AgentSpec(
            name="static-layout",
            description="Baseline: the first state as positioned OCR text + matched assets, no behaviour.",
            coder="static_layout",
            needs_model=False,
            use_perception=True,
        ),
        AgentSpec(
            name="trajectory-replay",
            description="Baseline: every state as DOM, hot spots at perceived events step through them.",
            coder="trajectory_replay",
            needs_model=False,
            use_perception=True,
        ),
        AgentSpec(
            name="reference",
            description="ORACLE (upper bound, not a baseline): the bundled app itself; bundled tasks only.",
            coder="reference",
            needs_model=False,
            use_perception=False,
        ),
    ]
}

OFFLINE_DEFAULT_AGENTS = ("screenshot-slideshow", "blank")


def list_agents() -> list[AgentSpec]:
    return list(AGENTS.values())


def resolve_agent(
    name: str,
    *,
    max_iters: int | None = None,
    repair_style: RepairStyle | None = None,
    use_perception: bool | None = None,
    reasoning_effort: Literal["low", "medium", "high"] | None = None,
    oracle_feedback: bool = False,
    critic: bool | None = None,
    inputs: InputsMode | None = None,
) -> AgentSpec:
    """The named agent with switches applied; the label names every changed switch."""
    if name not in AGENTS:
        raise IwrError(f"unknown agent {name!r}; known: {', '.join(AGENTS)} (see `iwr agents`)")
    spec = AGENTS[name].model_copy()
    tags: list[str] = []
    if max_iters is not None and spec.max_iters != max_iters:
        if spec.name != "iterative":
            raise IwrError(f"--max-iters applies to the iterative agent only, not {name}")
        spec.max_iters = max_iters
        tags.append(f"it{max_iters}")
    if repair_style is not None and repair_style != spec.repair_style:
        spec.repair_style = repair_style
        tags.append(f"repair-{repair_style}")
    if use_perception is not None and use_perception != spec.use_perception:
        spec.use_perception = use_perception
        tags.append("perception" if use_perception else "no-perception")
    if reasoning_effort is not None:
        spec.reasoning_effort = reasoning_effort
        tags.append(f"think-{reasoning_effort}")
    if critic is not None and critic != spec.critic:
        if critic and not spec.max_iters:
            raise IwrError(f"--critic needs the repair loop (agent iterative with --max-iters >= 1), not {name}")
        spec.critic = critic
        tags.append("critic" if critic else "no-critic")
    if inputs == "text" and spec.needs_model:
        if spec.critic:
            raise IwrError("the critic compares screenshots: it needs a model that takes images (not --inputs text)")
        spec.inputs = "text"
        tags.append("text")
    if oracle_feedback:
        if not spec.max_iters:
            raise IwrError("oracle feedback needs the self-test loop (agent iterative with --max-iters >= 1)")
        spec.oracle_feedback = True
        tags.append("ORACLE")
    spec.label = "+".join([spec.name, *tags])
    return spec


def baseline_coder(mode: CoderMode) -> Coder:
    coders: dict[str, Callable[[], Coder]] = {
        "blank": BlankCoder,
        "slideshow": SlideshowCoder,
        "static_layout": StaticLayoutCoder,
        "trajectory_replay": TrajectoryReplayCoder,
        "reference": ReferenceCoder,
    }
    return coders[mode]()


def build_context(
    spec: AgentSpec,
    *,
    work_dir: Path,
    gateway: LLMGateway | None = None,
    self_tester: SelfTester | None = None,
    on_iteration: IterationHook | None = None,
    max_tokens: int | None = None,
    max_cost_usd: float | None = None,
) -> Context:
    """The graph context for one task: roles for the spec, budgets, the runner's hook."""
    if spec.needs_model:
        if gateway is None:
            raise IwrError(f"agent {spec.name} needs a model (--model)")
        from .roles import LLMAnalyst, LLMCoder, LLMCritic

        text = spec.inputs == "text"
        coder: Coder = LLMCoder(gateway, single_shot=spec.coder == "single_shot", text_inputs=text)
        analyst = LLMAnalyst(gateway, text_inputs=text) if spec.analyst else None
        critic = LLMCritic(gateway) if spec.critic else None
    else:
        coder = baseline_coder(spec.coder)
        analyst = critic = None
    return Context(
        coder=coder,
        work_dir=work_dir,
        perceiver=ToolPerceiver() if spec.use_perception else None,
        analyst=analyst,
        self_tester=self_tester if spec.max_iters > 0 else None,
        critic=critic,
        max_iters=spec.max_iters,
        max_tokens=max_tokens,
        max_cost_usd=max_cost_usd,
        use_perception=spec.use_perception,
        repair_style=spec.repair_style,
        thinking=spec.reasoning_effort,
        on_iteration=on_iteration,
    )
