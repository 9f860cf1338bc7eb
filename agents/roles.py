"""LLM-backed roles: the analyst (test plan), the coder (draft and repair), the critic.

Every call goes through the gateway with a purpose tag; prompts come from `iwr.prompts`.
Pages reference assets as `assets/<name>`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import structlog

from iwr.benchmark.task import Action, ActionParameters, Point, TaskInputs
from iwr.graphs import (
    AssetSighting,
    CodeResult,
    CritiqueResult,
    EventSummary,
    KeyframeRef,
    PerceptionSummary,
    PlanResult,
    RepairStyle,
    SelfTestVerdict,
    Usage,
)
from iwr.prompts import render
from iwr.tools.llm import LLMGateway, LLMResponse, Message, ModelError, apply_edits, extract_code, extract_json, require_code
from iwr.tools.llm.parsing import close_cut_page, loop_start, salvage_list

from .frames import PAPER_FPS, PAPER_MAX_FRAMES, distinct_frames, save_frames
from .page_check import page_notes
from .video_text import NONE_TEXT, ModelRole, compose, sightings_by_state, user_message

log = structlog.get_logger()

MAX_KEYFRAMES = 24
MAX_TEXT_KEYFRAMES = 8  # described as text: spread over the recording (a small model's context is small)
MAX_REPAIR_KEYFRAMES = 6
ANALYSE_MAX_TOKENS = 2048  # a plan is short; a small model that runs on would otherwise fill its context
MAX_CONTINUATIONS = 2  # a page cut off by the token limit is continued at most this often
CONTINUE_PROMPT = (
    "Your answer was cut off by the length limit. Continue exactly where it stopped: no repetition, "
    "no explanation, no new code fence; finish the file."
)


# ---------------------------------------------------------------- prompt pieces


def usage_of(response: LLMResponse) -> Usage:
    """Graph usage of one response (a cache hit costs nothing now)."""
    if response.cached:
        return Usage(calls=1, cached_calls=1, cost_usd=0.0)
    return response.usage.model_copy(update={"calls": 1, "cached_calls": 0})


def shown_keyframes(perception: PerceptionSummary, text_inputs: bool = False) -> list[KeyframeRef]:
    """The keyframes shown: the first MAX_KEYFRAMES, or (text) MAX_TEXT_KEYFRAMES spread from first to last."""
    kfs = perception.keyframes
    if not text_inputs or len(kfs) <= MAX_TEXT_KEYFRAMES:
        return kfs[:MAX_KEYFRAMES]
    step = (len(kfs) - 1) / (MAX_TEXT_KEYFRAMES - 1)
    return [kfs[round(i * step)] for i in range(MAX_TEXT_KEYFRAMES)]


def keyframe_lines(perception: PerceptionSummary | None, text_inputs: bool = False) -> tuple[str, list[Path]]:
    """Text listing the keyframes shown, and their image paths."""
    if perception is None or not perception.keyframes:
        return NONE_TEXT, []
    frames = shown_keyframes(perception, text_inputs)
    lines = [f"- image {i + 1}: keyframe {k.index} at {k.time:.1f} s" for i, k in enumerate(frames)]
    return "\n".join(lines), [k.path for k in frames]


def frame_lines(frames: list[Path]) -> str:
    """Text listing sampled frames by their time (from the file name `frame_<n>_<t>s.png`)."""
    return "\n".join(f"- image {i + 1}: at {p.stem.rsplit('_', 1)[-1]}" for i, p in enumerate(frames)) or NONE_TEXT


def event_line(e: EventSummary) -> str:
    where = f" at ({e.point.x:.0f}, {e.point.y:.0f})" if e.point else ""
    extra = ""
    if e.typed_text:
        extra += f", typed {e.typed_text!r}"
    if e.key:
        extra += f", key {e.key}"
    if e.kind == "scroll":
        extra += f", scrolled {e.scroll_dy:+.0f} px"
    if e.regions:
        r = e.regions[0]
        extra += f", changed region ({r.x:.0f}, {r.y:.0f}, {r.width:.0f}x{r.height:.0f})"
    frames = f" keyframe {e.before_keyframe} -> {e.after_keyframe}" if e.after_keyframe is not None else ""
    return f"{e.index + 1}. {e.start:.1f}-{e.end:.1f} s: {e.kind}{' (click)' if e.click and e.kind != 'click' else ''}{where}{extra};{frames}"


def events_text(perception: PerceptionSummary | None) -> str:
    if perception is None or not perception.events:
        return NONE_TEXT
    return "\n".join(event_line(e) for e in perception.events)


def _ranges(numbers: list[int]) -> str:
    """Sorted numbers as runs: [0, 1, 2, 5, 7, 8] -> '0-2, 5, 7-8'."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def asset_map_text(sightings: list[AssetSighting], unseen: list[str]) -> str:
    """One line per asset and place, with the keyframes it is seen there in (an asset that stays
    put through a recording of 14 keyframes is one line, not 14)."""
    places: dict[tuple[str, int, int, int, int], list[int]] = {}
    for s in sightings:
        key = (s.asset, round(s.box.x), round(s.box.y), round(s.box.width), round(s.box.height))
        places.setdefault(key, []).append(s.keyframe)
    lines = [f"- {name} shown at ({x}, {y}) size {w}x{h} in keyframe{'s' if len(set(kf)) > 1 else ''} {_ranges(kf)}"
             for (name, x, y, w, h), kf in places.items()]
    lines += [f"- {name}: not seen in the recording" for name in unseen]
    return "\n".join(lines) or NONE_TEXT


def assets_text(inputs: TaskInputs) -> str:
    return "\n".join(f"- {p.name}" for p in inputs.assets) or NONE_TEXT


def plan_text(plan: list[Action]) -> str:
    if not plan:
        return NONE_TEXT
    lines = []
    for i, a in enumerate(plan, 1):
        line = f"{i}. {a.type.value}: {a.description}"
        if a.logical_assertion:
            line += f" -> expect: {a.logical_assertion}"
        lines.append(line)
    return "\n".join(lines)


def duration_text(perception: PerceptionSummary | None) -> str:
    return f"{perception.duration:.1f} s" if perception is not None and perception.duration else "an unknown time"


def join_continuation(head: str, tail: str) -> str:
    """A cut-off answer joined with its continuation (a new opening fence and a repeated overlap dropped)."""
    lines = tail.lstrip("\n").split("\n", 1)
    if lines[0].strip().startswith("```") and len(lines) > 1:
        tail = lines[1]
    for size in range(min(len(head), len(tail), 400), 19, -1):
        if head.endswith(tail[:size]):
            return head + tail[size:]
    return head + tail


async def complete_code(gateway: LLMGateway, messages: list[Message], purpose: str) -> tuple[str, Usage, LLMResponse]:
    """Ask for a page; an answer cut off by the length limit is continued (bounded), then parsed."""
    response = await gateway.complete(messages, purpose=purpose)
    text, usage = response.text, usage_of(response)
    for continued in range(MAX_CONTINUATIONS + 1):
        if not response.cut_off or extract_code(text) is not None:
            break
        cut = loop_start(text)
        if cut is not None:  # continuing a loop only loops on: keep the page as written before it
            page = close_cut_page(text[:cut])
            if page is not None:
                log.warning("page cut off in a loop: the loop dropped, the page closed", purpose=purpose,
                            kept_chars=cut, dropped_chars=len(text) - cut, continuations=continued)
                return page, usage, response
        if continued == MAX_CONTINUATIONS:
            break
        more = [*messages, Message(role="assistant", content=text), Message(role="user", content=CONTINUE_PROMPT)]
        response = await gateway.complete(more, purpose=purpose)
        text, usage = join_continuation(text, response.text), usage + usage_of(response)
    return require_code(text, purpose=purpose), usage, response


def _num(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def plan_step(item: dict[str, Any]) -> tuple[Action, int | None] | None:
    """One plan item of the analyst's JSON as an Action and its keyframe; None if unusable."""
    if not isinstance(item, dict) or not item.get("type") or not item.get("description"):
        return None
    point = item.get("point")
    p = None
    if isinstance(point, (list, tuple)) and len(point) == 2 and all(_num(v) is not None for v in point):
        p = Point(x=float(point[0]), y=float(point[1]))
    elif isinstance(point, dict) and _num(point.get("x")) is not None and _num(point.get("y")) is not None:
        p = Point(x=float(point["x"]), y=float(point["y"]))
    try:
        action = Action(
            type=item["type"],
            parameters=ActionParameters(
                description=str(item["description"]),
                text=item.get("text") if isinstance(item.get("text"), str) else None,
                key=item.get("key") if isinstance(item.get("key"), str) else None,
                direction=item.get("direction") if isinstance(item.get("direction"), str) else None,
            ),
            logical_assertion=item.get("assertion") if isinstance(item.get("assertion"), str) else None,
            visual_evaluation_flag=True,
            point=p,
        )
    except ValueError:
        return None
    kf = item.get("keyframe")
    return action, int(kf) if isinstance(kf, (int, float)) else None


# ---------------------------------------------------------------- roles


class LLMAnalyst(ModelRole):
    """Turns the recording (keyframes or frames + perception output) into a test plan."""

    def __init__(self, gateway: LLMGateway, *, text_inputs: bool = False) -> None:
        self.gateway = gateway
        self.text_inputs = text_inputs

    async def analyse(
        self, inputs: TaskInputs, perception: PerceptionSummary | None, asset_map: list[AssetSighting]
    ) -> PlanResult:
        listing, frames = keyframe_lines(perception, self.text_inputs)
        if not frames:  # no perception: the paper's 1 fps frames
            frames = save_frames(inputs.video, inputs.video.parent.parent / "frames", fps=PAPER_FPS, max_frames=PAPER_MAX_FRAMES)
            frames = distinct_frames(frames) if self.text_inputs else frames
            listing = frame_lines(frames)
        unseen = perception.unseen_assets if perception is not None else []
        prompt = render(
            "analyse",
            width=inputs.resolution.width,
            height=inputs.resolution.height,
            duration=duration_text(perception),
            keyframes=listing,
            events=events_text(perception),
            asset_map=asset_map_text(asset_map, unseen),
        )
        kf = [k.index for k in shown_keyframes(perception, self.text_inputs)] if perception is not None else []
        seen = sightings_by_state(kf, asset_map) if kf else None
        messages = await compose(prompt, [], frames, listing, inputs, self.text_inputs, seen, self._budget())
        cap = min(self.gateway.settings.max_tokens, ANALYSE_MAX_TOKENS)
        response = await self.gateway.complete(messages, purpose="analyse", max_tokens=cap)
        try:
            data = extract_json(response.text, purpose="analyse")
        except ModelError:
            if not response.cut_off:
                raise
            data = None
        if not isinstance(data, list) and response.cut_off:  # cut off: keep its whole steps
            data = salvage_list(response.text)
            if data is None:
                raise ModelError("the test plan was cut off before its first step", kind="unparseable", purpose="analyse")
        if not isinstance(data, list):
            raise ModelError("the test plan is not a JSON list", kind="unparseable", purpose="analyse")
        steps = [s for s in (plan_step(item) for item in data) if s is not None]
        known = {k.index for k in perception.keyframes} if perception is not None else set()
        first = perception.keyframes[0].index if perception is not None and perception.keyframes else None
        return PlanResult(
            actions=[a for a, _ in steps],
            keyframes=[k if k in known else None for _, k in steps],
            initial_keyframe=first,
            usage=usage_of(response),
        )


class LLMCoder(ModelRole):
    """Writes the page (draft) and fixes it (repair: edit blocks, or a whole new page)."""

    def __init__(self, gateway: LLMGateway, *, single_shot: bool = False, text_inputs: bool = False) -> None:
        self.gateway = gateway
        self.single_shot = single_shot
        self.text_inputs = text_inputs

    async def draft(
        self,
        inputs: TaskInputs,
        perception: PerceptionSummary | None,
        asset_map: list[AssetSighting],
        plan: list[Action],
        out_dir: Path,
    ) -> CodeResult:
        size = {"width": inputs.resolution.width, "height": inputs.resolution.height}
        seen: list[list[AssetSighting]] | None = None
        if self.single_shot or perception is None:
            frames = save_frames(inputs.video, out_dir.parent / "frames", fps=PAPER_FPS, max_frames=PAPER_MAX_FRAMES)
            if self.text_inputs:  # only frames that differ: each one is OCR'd and described
                frames = distinct_frames(frames)
            listing = frame_lines(frames)
            if self.single_shot:
                prompt = render("draft_single_shot", frames=listing, assets=assets_text(inputs), **size)
            else:
                prompt = render("draft", keyframes=listing, assets=assets_text(inputs), asset_map=NONE_TEXT,
                                events=NONE_TEXT, plan=plan_text(plan), **size)
        else:
            listing, frames = keyframe_lines(perception, self.text_inputs)
            seen = sightings_by_state([k.index for k in shown_keyframes(perception, self.text_inputs)], asset_map)
            prompt = render(
                "draft",
                keyframes=listing,
                assets=assets_text(inputs),
                asset_map=asset_map_text(asset_map, perception.unseen_assets),
                events=events_text(perception),
                plan=plan_text(plan),
                **size,
            )
        messages = await compose(prompt, inputs.contact_sheets, frames, listing, inputs, self.text_inputs, seen, self._budget())
        html, usage, _ = await complete_code(self.gateway, messages, "draft")
        return CodeResult(html=html, usage=usage)

    async def repair(
        self,
        inputs: TaskInputs,
        html: str,
        verdict: SelfTestVerdict,
        perception: PerceptionSummary | None,
        style: RepairStyle,
    ) -> CodeResult:
        failures = "\n".join(
            f"- step {f.index}: {f.description}"
            + (f"; expected: {f.assertion}" if f.assertion else "")
            + (f"; the recording shows: {f.recorded}" if f.recorded else "")
            + (f"; error: {f.error}" if f.error else "")
            + (f"; evidence: {f.evidence}" if f.evidence else "")
            + (f"; see keyframe {f.keyframe}" if f.keyframe is not None else "")
            for f in verdict.failures
        ) or NONE_TEXT
        notes = page_notes(html, [p.name for p in inputs.assets])
        if notes:
            failures += "\n" + "\n".join(f"- the page itself: {n}" for n in notes)
        if verdict.critique:
            failures += "\n" + "\n".join(f"- look (a reviewer compared the page with the recording): {n}" for n in verdict.critique)
        frames: list[Path] = []
        if perception is not None:
            wanted = [f.keyframe for f in verdict.failures if f.keyframe is not None][:MAX_REPAIR_KEYFRAMES]
            frames = [kf.path for kf in (perception.keyframe(i) for i in dict.fromkeys(wanted)) if kf is not None]
        listing = "\n".join(f"- image {i + 1}: {p.name}" for i, p in enumerate(frames)) or NONE_TEXT
        template = "repair" if style == "search_replace" else "repair_whole"
        prompt = render(template, width=inputs.resolution.width, height=inputs.resolution.height,
                        failures=failures, keyframes=listing, html=html)
        messages = await compose(prompt, [], frames, listing, inputs, self.text_inputs, None, self._budget())
        if style == "whole":
            page, usage, _ = await complete_code(self.gateway, messages, "repair")
            return CodeResult(html=page, usage=usage)
        response = await self.gateway.complete(messages, purpose="repair")
        usage = usage_of(response)
        edits = apply_edits(html, response.text)
        whole = extract_code(response.text) if edits.applied == 0 else None
        if whole is not None and len(whole) > len(html) // 3:  # the edit format ignored: a whole new page
            return CodeResult(html=whole, usage=usage, edits_failed=len(edits.failed))
        if edits.applied == 0:  # asked once more, for the whole page (a small model often misquotes the page)
            whole_prompt = render("repair_whole", width=inputs.resolution.width, height=inputs.resolution.height,
                                  failures=failures, keyframes=listing, html=html)
            messages = await compose(whole_prompt, [], frames, listing, inputs, self.text_inputs, None, self._budget())
            try:
                page, more, _ = await complete_code(self.gateway, messages, "repair")
            except ModelError as e:
                why = f"{len(edits.failed)} did not match" if edits.failed else "the answer had no edit blocks"
                raise ModelError(f"no edit block applied ({why}), and the whole page asked for instead: {e}",
                                 kind="unparseable", purpose="repair") from e
            return CodeResult(html=page, usage=usage + more, edits_failed=len(edits.failed))
        return CodeResult(html=edits.html, usage=usage, edits_applied=edits.applied, edits_failed=len(edits.failed))


class LLMCritic:
    """Compares screenshots of the page with the recording's keyframes and lists what to fix."""

    MAX_NOTES = 10

    def __init__(self, gateway: LLMGateway) -> None:
        self.gateway = gateway

    async def critique(self, inputs: TaskInputs, pairs: list[tuple[Path, Path]]) -> CritiqueResult:
        images = [path for pair in pairs for path in pair]
        listing = "\n".join(
            f"- pair {i + 1}: image {2 * i + 1} is the recording, image {2 * i + 2} the rebuilt page" for i in range(len(pairs))
        ) or NONE_TEXT
        prompt = render("critic", width=inputs.resolution.width, height=inputs.resolution.height, keyframes=listing)
        response = await self.gateway.complete(user_message(prompt, [], images), purpose="critic")
        data = extract_json(response.text, purpose="critic")
        if not isinstance(data, list):
            raise ModelError("the review is not a JSON list", kind="unparseable", purpose="critic")
        notes = [critic_note(item) for item in data]
        return CritiqueResult(notes=[n for n in notes if n][: self.MAX_NOTES], usage=usage_of(response))


def critic_note(item: Any) -> str:
    """One review item as a line ('pair 2: the total is missing; fix: add the total row'), '' if empty."""
    if isinstance(item, str):
        return item.strip()
    if not isinstance(item, dict) or not str(item.get("problem") or "").strip():
        return ""
    pair = f"pair {item['pair']}: " if isinstance(item.get("pair"), int) else ""
    fix = str(item.get("fix") or "").strip()
    return f"{pair}{str(item['problem']).strip()}" + (f"; fix: {fix}" if fix else "")
