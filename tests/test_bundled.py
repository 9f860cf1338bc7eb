"""The bundled benchmark: recorded once into the cache, re-recorded per changed app, every app a valid task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_demo_variant

from iwr.benchmark.bundled import bundled_apps, bundled_tasks_jsonl, fingerprint
from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.demo import load_demo
from iwr.benchmark.ground_truth import GroundTruth
from iwr.benchmark.references import reference_page_dir
from iwr.benchmark.task import ActionType
from iwr.errors import IwrError
from iwr.tools.video import video_info


def test_bundled_cache_records_once_and_follows_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iwr.benchmark import recorder

    apps = tmp_path / "apps"
    make_demo_variant(apps / "alpha", id="alpha", probes=[])
    make_demo_variant(apps / "beta", id="beta", probes=[])
    make_demo_variant(apps / "gamma", id="gamma", entry="gone.html")
    calls: list[str] = []

    def fake_record(demos: list[Path], out: Path, **_: object) -> list:
        spec = load_demo(demos[0])  # the broken app raises here, as the real recorder does
        calls.append(spec.id)
        (out / "data" / spec.id).mkdir(parents=True)
        (out / "data" / spec.id / "video.mp4").write_bytes(b"x")
        (out / "data.jsonl").write_text(json.dumps({"id": spec.id}) + "\n")
        return []

    monkeypatch.setattr(recorder, "record_demos", fake_record)
    monkeypatch.setenv("IWR_CACHE_DIR", str(tmp_path / "cache"))
    first = bundled_tasks_jsonl(apps_dir=apps)
    again = bundled_tasks_jsonl(apps_dir=apps)
    assert first == again and sorted(calls) == ["alpha", "beta"]  # apps record side by side
    assert first.parent.parent == tmp_path / "cache" / "bundled"
    assert [t.key for t in load_tasks(first)] == ["alpha", "beta"]
    assert [t.paths.video.read_bytes() for t in load_tasks(first)] == [b"x", b"x"]
    assert "gamma" in (first.parent / "failed.txt").read_text()
    # editing one app re-records that app only
    (apps / "beta" / "index.html").write_text((apps / "beta" / "index.html").read_text() + "<!-- changed -->")
    changed = bundled_tasks_jsonl(apps_dir=apps)
    assert changed != first and calls[2:] == ["beta"]
    assert fingerprint(bundled_apps(apps)) == changed.parent.name
    assert len(list((tmp_path / "cache" / "bundled" / "apps").glob("beta-*"))) == 1  # old version pruned
    with pytest.raises(IwrError, match="no bundled apps"):
        bundled_tasks_jsonl(apps_dir=tmp_path / "empty")


def test_recording_workers_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from iwr.benchmark.bundled import recording_workers

    monkeypatch.setenv("IWR_RECORD_WORKERS", "1")
    assert recording_workers() == 1
    monkeypatch.setenv("IWR_RECORD_WORKERS", "0")
    assert recording_workers() == 1
    monkeypatch.setenv("IWR_RECORD_WORKERS", "two")
    with pytest.raises(IwrError, match="IWR_RECORD_WORKERS"):
        recording_workers()


def test_every_bundled_app_is_recorded_as_a_valid_task(bundled_jsonl: Path) -> None:
    """The real bundled apps, recorded into the shared per-tree cache (see conftest)."""
    tasks = {t.key: t for t in load_tasks(bundled_jsonl)}
    failed = (bundled_jsonl.parent / "failed.txt").read_text().strip()
    assert not failed, f"bundled apps that did not record: {failed}"
    apps = bundled_apps()
    assert sorted(tasks) == sorted(a.task_id for a in apps)
    agent_visible = bundled_jsonl.read_text()
    for app_ in apps:
        task, spec = tasks[app_.task_id], load_demo(app_.demo_path)
        assert reference_page_dir(app_.task_id) == app_.dir
        assert len(task.actions) == len(spec.actions)
        assert len(list(task.paths.checkpoints.glob("step_*.png"))) == len(spec.actions) + 1
        info = video_info(task.paths.video)
        gt = GroundTruth.load(task.paths.ground_truth)
        assert (info.width, info.height) == (spec.resolution.width, spec.resolution.height)
        assert info.fps >= 10 and info.duration >= gt.steps[-1].span[1] - 0.1
        assert [p.name for p in gt.probes] == [p.name for p in spec.probes]
        for probe in spec.probes:
            shots = list((task.paths.checkpoints / "probes" / probe.name).glob("step_*.png"))
            assert len(shots) == len(probe.actions) + 1
        for step, act in zip(gt.steps, spec.actions, strict=False):  # the step count is not what this loop checks
            if act.target and act.type in (ActionType.CLICK, ActionType.TYPE):
                assert step.target_box is not None and step.target_box.contains(step.pointer)
        visible = agent_visible + task.paths.metadata.read_text()
        visible += " ".join(p.name for p in task.paths.asset_files() + task.paths.contact_sheets())
        originals = {Path(v).name for v in gt.asset_names.values()}  # stems can be plain words
        assert originals and not [n for n in originals if n in visible], app_.name
        assert not [p.name for p in spec.probes if p.name in visible], app_.name
