"""The judge orchestrator: replay a trajectory on a candidate page and score it.

    async with Judge(JudgeConfig()) as judge:
        result = await judge.judge_task(task, page_dir, out_dir)   # demo + probes
        # or: await judge.judge(page_dir, trajectory, resolution, assets_dir, out_dir, task_id)

A `Judge` owns one relaunchable browser (`tools.sandbox.BrowserHandle`), an OCR pool with
an on-disk cache and, when a model is configured, the LLM gateway; all are reused across
pages. Each page is served and opened in a fresh sandboxed context.

One replay pass serves both semantics: it continues after failures (per-step pass rate),
and the official numbers use only the prefix before the first failed step (screenshots
taken after a failure never enter the official visual scores). OCR is spent only on what a
score reads: state 0 and the visually flagged steps, OCR'd in the pool while the replay goes
on and while the performed prefix holds (queued jobs past the official prefix are dropped);
probes are judged without visual scores (`probe_visual`), and assertions read DOM text
(checkpoint OCR only for tasks without recorded DOM text). Reference checkpoints go through
the same on-disk cache, so they are OCR'd once per task (and identical images never twice).

Status: `infra_error` when the judge itself could not run (browser, server, missing page
files), `model_error` when a model call failed or answered garbage (the step is reported
undecided, never counted as pass or fail), else `ok`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import structlog

from ...tools.ocr import OcrCache, OcrPool, OcrResult
from ..page_clock import PageClockPolicy
from ..task import Resolution, Task
from .assertion_early import needs_early_ocr
from .assertion_removal import needs_candidate_ocr
from .assertions import Asserter, LLMAsserter, OfflineAsserter
from .judge_config import JudgeConfig, default_cache_dir, make_gateway, make_grounder
from .ocr_jobs import OcrJobs
from .scoring import VisualState, compute_scores, make_protocol, prefix_success
from .step_check import read_screens_again, recorded_change_probe, step_context
from .summary import SUMMARY_METRICS, EvalMacro, EvalTaskRow, eval_macro, missing_row, summary_row
from .trajectories import demo_trajectory, has_reference_texts, load_truth, probe_trajectory, safe_name, visual_steps
from .types import AssertionVerdict, JudgeResult, Protocol, Status, StepVerdict, Trajectory, VisualScores
from .video_assertions import check_step
from .video_plan import video_protocol
from .visual import VisualScorer

log = structlog.get_logger()


class Judge:
    """Async context manager owning the browser, OCR pool and gateway; judges many pages."""

    def __init__(self, config: JudgeConfig | None = None, *, gateway: Any | None = None) -> None:
        self.config = config or JudgeConfig()
        self._gateway = gateway
        self.handle: Any = None
        self.pool: OcrPool | None = None
        self.grounder: Any = None
        self.asserter: Asserter = OfflineAsserter()
        self.visual = VisualScorer()
        self.chromium_version = ""

    # -- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> Judge:
        from ...tools.sandbox import BrowserHandle

        cfg = self.config
        if cfg.uses_model and self._gateway is None:
            self._gateway = make_gateway(cfg)
        ocr_cache = OcrCache(cfg.ocr_cache_dir)
        self.pool = OcrPool(ocr_cache, workers=cfg.ocr_workers)
        self.pool.warm_up()
        self.grounder = make_grounder(cfg, self._gateway)
        self.asserter = LLMAsserter(self._gateway) if cfg.asserter == "llm" else OfflineAsserter(ocr_cache)
        self.visual = VisualScorer(gateway=self._gateway if cfg.mllm else None, dino_weights=cfg.dino_weights)
        self.handle = BrowserHandle()
        await self.handle.start()
        self.chromium_version = str(self.handle.browser.version)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.handle is not None:
            await self.handle.close()
        if self.pool is not None:
            await asyncio.to_thread(self.pool.close)

    @property
    def protocol(self) -> Protocol:
        return self.protocol_for(self.config.visual)

    def protocol_for(self, visual: bool, trajectory: Trajectory | None = None) -> Protocol:
        """The protocol of a judgement with visual scores on or off (`video` for a trajectory
        perceived from a recording alone)."""
        cfg = self.config
        protocol = make_protocol(
            grounder=cfg.grounder,
            asserter=cfg.asserter,
            visual=self.visual.methods if visual else [],
            judge_model=cfg.judge_model if cfg.uses_model else None,
            grounder_uses_model=cfg.grounder == "llm",
            asserter_uses_model=cfg.asserter == "llm",
            visual_uses_model=visual and cfg.mllm,
            extra_versions={"chromium": self.chromium_version},
        )
        return video_protocol(protocol) if trajectory is not None and trajectory.source == "video" else protocol

    # -- OCR helpers -----------------------------------------------------------------------
    def _ocr(self, path: Path | None) -> Future[OcrResult] | None:
        if path is None or not Path(path).is_file():
            return None
        assert self.pool is not None
        return self.pool.submit(path)

    def _release(self, jobs: OcrJobs, keep: set[int]) -> None:
        assert self.pool is not None
        for job in jobs.pop_except(keep):
            self.pool.release(job)

    @staticmethod
    async def _text(job: Future[OcrResult] | None) -> str:
        if job is None:
            return ""
        return (await asyncio.wrap_future(job)).text

    # -- judging ---------------------------------------------------------------------------
    async def judge(
        self,
        page_dir: Path,
        trajectory: Trajectory,
        resolution: Resolution,
        assets_dir: Path | None,
        out_dir: Path,
        task_id: str,
        *,
        save: bool = True,
        visual: bool | None = None,
    ) -> JudgeResult:
        """Replay `trajectory` on `page_dir/index.html`, score it, write `out_dir/eval.json`.

        `visual` overrides `config.visual` for this judgement (None = the config's)."""
        visual = self.config.visual if visual is None else visual
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        try:
            result = await self._judge(Path(page_dir), trajectory, resolution, assets_dir, out_dir, task_id, visual)
        except Exception as e:  # noqa: BLE001 - anything escaping here is the judge's own trouble
            log.error("judge.infra_error", task_id=task_id, error=repr(e))
            result = JudgeResult.not_run(task_id, trajectory, self.protocol_for(visual, trajectory), Status.INFRA_ERROR,
                                  f"{type(e).__name__}: {e}")
        result.timings["total"] = time.perf_counter() - start
        if save:
            result.save(out_dir / "eval.json")
        return result

    async def _judge(self, page_dir: Path, trajectory: Trajectory, resolution: Resolution,
                     assets_dir: Path | None, out_dir: Path, task_id: str, visual: bool) -> JudgeResult:
        from ...tools.sandbox import Sandbox
        from .replay import replay_page

        if not (page_dir / "index.html").is_file():
            return JudgeResult.not_run(task_id, trajectory, self.protocol_for(visual, trajectory), Status.INFRA_ERROR,
                                f"page not found: {page_dir / 'index.html'}")
        cfg = self.config
        # OCR only what a score reads. With visuals on, state 0 and the visually flagged steps
        # are OCR'd eagerly (overlapped with the replay) while the performed prefix holds;
        # checkpoint texts for assertions only when the task recorded no DOM text.
        flagged = visual_steps(trajectory) if visual else set()
        needed = set() if has_reference_texts(trajectory) else {
            k for i, a in enumerate(trajectory.actions, start=1)
            if a.logical_assertion or trajectory.expected_change(i) is not None for k in (i - 1, i)}
        refs = OcrJobs(self._ocr)
        for k, path in enumerate(trajectory.checkpoints):
            refs.add(k, path, eager=k in flagged or k in needed)
        shots = OcrJobs(self._ocr)

        def on_screenshot(step: int, path: Path) -> None:
            shots.add(step, path, eager=step in flagged and shots.has_all(range(step)))

        t0 = time.perf_counter()
        async with Sandbox(self.handle, load_timeout=cfg.load_timeout) as sb:
            site = sb.site(page_dir, mounted_assets(page_dir, assets_dir))
            trace = await replay_page(
                self.handle, site, trajectory, resolution, out_dir, self.grounder,
                continue_after_failure=cfg.continue_after_failure, action_timeout=cfg.action_timeout,
                on_screenshot=on_screenshot, load_timeout=cfg.load_timeout,
                clock=trajectory.page_clock or PageClockPolicy(),  # the reference's page time, else the default
                probe=recorded_change_probe(trajectory, lambda k: self._text(refs.get(k)), lambda p: self._text(self._ocr(p))),
            )
        replay_seconds = time.perf_counter() - t0
        t1 = time.perf_counter()
        verdicts = await self._verdicts(trajectory, trace, shots, refs, out_dir, visual)
        assert_seconds = time.perf_counter() - t1

        passed = [v.passed for v in verdicts]
        success = prefix_success(passed)
        # screenshots after the official prefix never enter a visual score: drop their queued OCR
        reached = {0} | {v.index for v in verdicts if v.index <= success and v.performed}
        self._release(shots, keep=reached)
        self._release(refs, keep=reached | needed)
        t2 = time.perf_counter()
        states: list[VisualState] = []
        state0: VisualScores | None = None
        if visual:
            state0 = await self._visual(trace.state0_screenshot, trajectory.checkpoint(0), shots.get(0), refs.get(0))
            states.append(VisualState(step=0, scores=state0, reached=state0 is not None))
            for v in verdicts:
                if not trajectory.actions[v.index - 1].visual_evaluation_flag:
                    continue
                step_reached = v.index <= success and v.performed
                shot = Path(out_dir / v.screenshot) if v.screenshot else None
                if step_reached:
                    v.visual = await self._visual(shot, trajectory.checkpoint(v.index), shots.get(v.index), refs.get(v.index))
                states.append(VisualState(step=v.index, scores=v.visual, reached=step_reached and v.visual is not None))
        visual_seconds = time.perf_counter() - t2

        total = len(trajectory.actions)
        official = passed[:success] + ([False] if success < total else [])
        scores = compute_scores(official, total, states, continued_passed=passed if cfg.continue_after_failure else None)
        status, error = self._status(trace, verdicts, state0)
        assert self.pool is not None
        return JudgeResult(
            task_id=task_id,
            trajectory=trajectory.name,
            status=status,
            error=error,
            protocol=self.protocol_for(visual, trajectory),
            state0=state0,
            state0_screenshot=_rel(trace.state0_screenshot, out_dir),
            steps=verdicts,
            success_steps=success,
            total_steps=total,
            scores=scores,
            blocked_requests=len(trace.blocked_urls),
            blocked_urls=list(trace.blocked_urls)[:100],
            page_clock=trace.page_clock,
            timings={
                **{f"replay_{k}": v for k, v in trace.timings.items()},
                "replay": replay_seconds,
                "assertions": assert_seconds,
                "visual": visual_seconds,
                **_step_timing_sums(trace.steps),
            },
        )

    async def _verdicts(self, trajectory: Trajectory, trace: Any, shots: OcrJobs, refs: OcrJobs,
                        out_dir: Path, visual: bool) -> list[StepVerdict]:
        verdicts: list[StepVerdict] = []
        # the OCR of every checkpoint (official tasks): which words the reference shows at which step
        step_ocr = [] if has_reference_texts(trajectory) else [
            await self._text(refs.get(k)) for k in range(len(trajectory.checkpoints))]
        recording_ocr = "\n".join(step_ocr)
        prev_shot: Path | None = trace.state0_screenshot
        prev_index = 0
        for st in trace.steps:
            action = st.replayed_as or trajectory.actions[st.index - 1]
            verdict = StepVerdict(
                index=st.index, action=action, grounding=st.grounding, performed=st.performed,
                error=st.error, screenshot=_rel(st.screenshot, out_dir),
                checkpoint=str(trajectory.checkpoint(st.index)) if trajectory.checkpoint(st.index) else None,
                timings=dict(st.timings),
            )
            expected = trajectory.expected_change(st.index)
            if st.performed and (action.logical_assertion or expected is not None):
                ctx = step_context(trajectory, action, st, prev_shot)
                if not has_reference_texts(trajectory):
                    ctx.reference_text_before = await self._text(refs.get(st.index - 1))
                    ctx.reference_text_after = await self._text(refs.get(st.index))
                    ctx.reference_text_recording = recording_ocr
                    ctx.reference_text_later = "\n".join(step_ocr[st.index + 1:])
                t = time.perf_counter()
                # candidate OCR is evidence only against OCR'd reference text (symmetric sources)
                ocr_sides = ctx.reference_text_source == "ocr"
                if ocr_sides and (visual or not isinstance(self.asserter, OfflineAsserter) or needs_candidate_ocr(ctx)
                                  or needs_early_ocr(ctx)):
                    ctx.candidate_ocr_before = await self._text(shots.get(prev_index))
                    ctx.candidate_ocr_after = await self._text(shots.get(st.index))
                verdict.assertion = await check_step(self.asserter, ctx)
                if read_screens_again(ctx, verdict.assertion):  # the rule may accept OCR evidence: read them only now
                    ctx.candidate_ocr_before = await self._text(shots.get(prev_index))
                    ctx.candidate_ocr_after = await self._text(shots.get(st.index))
                    verdict.assertion = await check_step(self.asserter, ctx)
                verdict.timings["assert"] = time.perf_counter() - t
            verdict.passed = st.performed and not (verdict.assertion is not None and verdict.assertion.passed is False)
            if st.performed and st.screenshot is not None:
                prev_shot, prev_index = st.screenshot, st.index
            verdicts.append(verdict)
        # steps the replay never reached (it stopped) are failed verdicts
        verdicts.extend(StepVerdict(index=i, action=trajectory.actions[i - 1], error="not reached")
                        for i in range(len(verdicts) + 1, len(trajectory.actions) + 1))
        return verdicts

    async def _visual(self, shot: Path | None, checkpoint: Path | None, shot_job: Future[OcrResult] | None,
                      ref_job: Future[OcrResult] | None) -> VisualScores | None:
        if shot is None or checkpoint is None or not Path(shot).is_file() or not Path(checkpoint).is_file():
            return None
        cand_text, ref_text = await self._text(shot_job), await self._text(ref_job)
        t = time.perf_counter()
        scores = await asyncio.to_thread(self.visual.offline_scores, Path(shot), Path(checkpoint), cand_text, ref_text)
        scores.detail["image_metrics_seconds"] = time.perf_counter() - t
        if self.visual.gateway is not None:
            scores.mllm, detail = await self.visual.mllm_score(Path(shot), Path(checkpoint))
            scores.detail.update(detail)
        return scores

    @staticmethod
    def _status(trace: Any, verdicts: Sequence[StepVerdict], state0: VisualScores | None) -> tuple[Status, str | None]:
        model_errors = [f"step {v.index}: {v.assertion.error}" for v in verdicts
                        if v.assertion is not None and v.assertion.method == "llm" and v.assertion.error]
        model_errors += [f"step {v.index}: {v.error}" for v in verdicts if (v.error or "").startswith("model error")]
        visual_errors = [str(s.detail.get("mllm_error")) for s in ([state0] + [v.visual for v in verdicts])
                         if s is not None and s.detail.get("mllm_error")]
        model_errors += [f"visual: {e}" for e in visual_errors]
        if model_errors:
            return Status.MODEL_ERROR, "; ".join(model_errors[:5])
        return Status.OK, trace.error

    # -- tasks and probes ------------------------------------------------------------------
    async def judge_task(self, task: Task, page_dir: Path, out_dir: Path, *, visual: bool | None = None,
                         probes: bool | None = None) -> JudgeResult:
        """Judge the demo trajectory of `task` and every probe of its ground truth
        (`visual`/`probes` override the config for this task; None = the config's)."""
        out_dir = Path(out_dir)
        truth = load_truth(task)
        demo = demo_trajectory(task, truth)
        result = await self.judge(page_dir, demo, task.resolution, task.paths.assets, out_dir, task.key,
                                  save=False, visual=visual)
        if (self.config.probes if probes is None else probes) and truth is not None and truth.probes and result.status != Status.INFRA_ERROR:
            for probe in truth.probes:
                traj = probe_trajectory(task, probe, truth)
                sub = await self.judge(page_dir, traj, task.resolution, task.paths.assets,
                                       out_dir / "probes" / safe_name(probe.name), task.key, save=False,
                                       visual=visual if self.config.probe_visual else False)
                result.probes.append(sub)
            done = [p.scores.ifs for p in result.probes if p.status != Status.INFRA_ERROR]
            result.probe_ifs = sum(done) / len(done) if done else None
        result.save(out_dir / "eval.json")
        return result


def mounted_assets(page_dir: Path, assets_dir: Path | None) -> Path | None:
    """The task assets to mount at `/assets`: none when the page ships its own `assets/`
    folder (a self-contained page, e.g. a bundled reference app, whose own files the mount
    would hide), else the task's assets folder when it exists."""
    if (Path(page_dir) / "assets").is_dir():
        return None
    return Path(assets_dir) if assets_dir and Path(assets_dir).is_dir() else None


def _rel(path: Path | None, base: Path) -> str | None:
    if path is None:
        return None
    try:
        return str(Path(path).relative_to(base))
    except ValueError:
        return str(path)


def _step_timing_sums(steps: Sequence[Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for st in steps:
        for k, v in st.timings.items():
            out[f"steps_{k}"] = out.get(f"steps_{k}", 0.0) + float(v)
    return out


__all__ = [
    "SUMMARY_METRICS", "AssertionVerdict", "Judge", "JudgeConfig", "OcrJobs", "EvalMacro", "EvalTaskRow", "eval_macro", "default_cache_dir",
    "demo_trajectory", "has_reference_texts", "load_truth", "make_gateway", "missing_row",
    "mounted_assets", "probe_trajectory", "safe_name", "summary_row", "visual_steps",
]
