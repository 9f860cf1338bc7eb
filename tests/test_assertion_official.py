"""The offline asserter on official-layout tasks (no ground_truth.json: the checkpoints' OCR is
the reference text), on two small pages made for what only the DOM's text used to show:

- a board whose points show a hover marker: without the click handler the candidate's only
  change is that marker on the clicked point, while the reference also placed a stone,
  logged the move elsewhere and enabled a button (`assertion_change`: a change confined to
  the clicked element against a reference change beyond it);
- a capture credited to the other side: both counts are on screen either way, but where the
  reference's count now reads 1 the candidate's still reads 0 (`assertion_place`, each
  changed place read on its own);
- a heading shown one step early: 'Authorized' appears when the dialog opens, before the
  Authorize click; the reference's OCR reads that word only at a later step
  (`assertion_early`).

Each reference page keeps IFS 1 and a restyled copy passes too.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import yaml

from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.judge.judge import Judge
from iwr.benchmark.judge.types import JudgeResult, Status
from iwr.benchmark.task import Task

HEAD = """<!DOCTYPE html><html><head><style>body { font: 16px sans-serif; margin: 20px; background: #fff; }
button { padding: 6px 12px; background: #eee; border: 1px solid #999; }"""

BOARD = HEAD + """
#board { display: grid; grid-template-columns: repeat(3, 48px); gap: 4px; }
.pt { width: 48px; height: 48px; padding: 0; background: #dcb35c; border: 1px solid #865; }
.pt:hover { background: radial-gradient(circle, rgba(0,0,0,.35) 40%, #dcb35c 42%); }
.pt.black { background: radial-gradient(circle, #111 55%, #dcb35c 57%); }
#moves { margin-top: 16px; font-size: 20px; } #next:disabled { opacity: .4; }
</style></head><body>
<div id="board"><button class="pt"></button><button class="pt"></button><button class="pt"></button>
<button class="pt"></button><button class="pt"></button><button class="pt"></button></div>
<p>Moves: <span id="moves">none</span></p><button id="next" disabled>Next move</button>
<script>
const log = [];
document.querySelectorAll('.pt').forEach((b, i) => b.addEventListener('click', () => {
  b.classList.add('black'); log.push('B' + (i + 1));
  document.getElementById('moves').textContent = log.join(' '); document.getElementById('next').disabled = false;
}));
</script></body></html>"""

KEYS = HEAD + """
#dialog { border: 1px solid #999; padding: 8px; width: 360px; margin-top: 12px; }
</style></head><body>
<h1>Petstore API</h1><button id="keys">Authorize</button>
<div id="dialog" hidden><h3>Available authorizations</h3><h4 id="authd">Authorized</h4>
<p>api_key (apiKey) in header</p><button id="authorize">Confirm</button></div>
<script>
let authorized = false;
const $ = (id) => document.getElementById(id);
function render() { $('authd').hidden = !(authorized); }
$('keys').addEventListener('click', () => { render(); $('dialog').hidden = false; });
$('authorize').addEventListener('click', () => { authorized = true; render(); });
</script></body></html>"""


def _click(target: str, description: str, assertion: str) -> dict:
    return {"type": "Click", "target": target, "description": description, "logical_assertion": assertion}


COUNTS = HEAD + """
b { display: inline-block; width: 40px; text-align: center; }
</style></head><body>
<div><span>Black</span> <b id="black">0</b> <span>White</span> <b id="white">0</b></div>
<button id="capture">Capture a stone</button>
<script>
document.getElementById('capture').addEventListener('click', () => {
  const c = document.getElementById('black'); c.textContent = Number(c.textContent) + 1;
});
</script></body></html>"""

APPS = {
    "hover-board": (BOARD, [
        _click(".pt:nth-child(2)", "Click the second point of the top row of the board",
               "A black stone appears on that point and the 'Next move' button is enabled"),
        _click(".pt:nth-child(4)", "Click the first point of the bottom row of the board",
               "A black stone appears on that point and the moves read 'B2 B4'"),
    ], [("clicks-ignored", "b.addEventListener('click'", "b.addEventListener('x-never'", 1, "only the element it clicked"),
        ("restyled", "#moves { margin-top: 16px;", "#moves { margin-top: 24px; color: #253;", None, "")]),
    "capture-count": (COUNTS, [
        _click("#capture", "Click the 'Capture a stone' button", "Black's capture count reads 1 while White's reads 0"),
    ], [("credited-to-white", "getElementById('black'); c.textContent", "getElementById('white'); c.textContent", 1,
         "the candidate's shows '0'"),
        ("restyled", "width: 40px;", "width: 40px; color: #a33;", None, "")]),
    "early-heading": (KEYS, [
        _click("#keys", "Click the 'Authorize' button under the heading",
               "A box 'Available authorizations' opens with the line 'api_key (apiKey) in header'"),
        _click("#authorize", "Click the 'Confirm' button in the box", "The box now reads 'Authorized'"),
    ], [("authorized-inverted", "!(authorized)", "!(!authorized)", 1, "other steps"),
        ("restyled", "padding: 8px;", "padding: 16px; color: #235;", None, "")]),
}


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Task]:
    """The apps recorded once, then copied as IWR-Bench ships tasks (without ground_truth.json)."""
    from iwr.benchmark.recorder import record_demos

    base = tmp_path_factory.mktemp("official_apps")
    demos = []
    for name, (html, actions, _) in APPS.items():
        folder = base / "apps" / name
        folder.mkdir(parents=True)
        (folder / "index.html").write_text(html, encoding="utf-8")
        demo = {"id": name, "title": name, "resolution": "640x480", "entry": "index.html", "actions": actions}
        (folder / "demo.yaml").write_text(yaml.safe_dump(demo, sort_keys=False))
        demos.append(folder / "demo.yaml")
    record_demos(demos, base / "dataset")
    out = {}
    for task in load_tasks(base / "dataset" / "data.jsonl"):
        dest = base / "official" / "data" / task.key
        shutil.copytree(task.paths.dir, dest, ignore=shutil.ignore_patterns("ground_truth.json"))
        out[task.key] = task.model_copy(update={"root": base / "official", "data_dir": base / "official" / "data"})
        assert not out[task.key].paths.ground_truth.is_file()
    return out


@pytest.fixture(scope="module")
def judge(steps_judge: Judge) -> Judge:
    return steps_judge


def _explain(r: JudgeResult) -> str:
    bad = [s for s in r.steps if not s.passed]
    return "all passed" if not bad else f"step {bad[0].index}: {bad[0].error} {bad[0].assertion.evidence if bad[0].assertion else ''}"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", list(APPS))
def test_defects_fail_at_their_step_without_ground_truth(loop: asyncio.AbstractEventLoop, judge: Judge,
                                                        official: dict[str, Task], name: str, tmp_path: Path) -> None:
    html, _, defects = APPS[name]
    pages = {"reference": html}
    for label, find, replace, _, _ in defects:
        assert html.count(find) == 1, label
        pages[label] = html.replace(find, replace)

    async def run() -> list[JudgeResult]:
        jobs = []
        for label, page in pages.items():
            (tmp_path / label).mkdir()
            (tmp_path / label / "index.html").write_text(page, encoding="utf-8")
            jobs.append(judge.judge_task(official[name], tmp_path / label, tmp_path / "out" / label))
        return list(await asyncio.gather(*jobs))

    results = dict(zip(pages, loop.run_until_complete(run()), strict=True))
    assert all(r.status == Status.OK for r in results.values()), {k: r.error for k, r in results.items()}
    assert results["reference"].scores.ifs == 1.0, _explain(results["reference"])
    for label, _, _, breaks_at, reason in defects:
        r = results[label]
        if breaks_at is None:
            assert r.scores.ifs == 1.0, (label, _explain(r))
            continue
        assert r.success_steps == breaks_at - 1, (label, _explain(r))
        evidence = r.steps[breaks_at - 1].assertion.evidence  # type: ignore[union-attr]
        assert evidence["reference_text_source"] == "ocr" and reason in evidence["reason"], (label, evidence)


def test_early_text_is_not_a_misread_of_this_steps_words() -> None:
    from iwr.benchmark.judge.assertion_context import AssertionContext
    from iwr.benchmark.judge.assertion_early import early_check

    base = AssertionContext(assertion="A box opens", step=1, action_type="Click", reference_text_source="ocr",
                            reference_text_before="Petstore Authorize", reference_text_after="Petstore Authorize Available",
                            reference_text_recording="Petstore Authorize\nPetstore Authorize Available Authorized",
                            candidate_ocr_before="Petstore Authorize")
    early = early_check(base.model_copy(update={"candidate_ocr_after": "Petstore Authorize Available Authorized"}))
    assert early is not None and early.words == ["authorized"]
    # the button's word read one letter longer (and no longer read as itself) is a misread
    misread = early_check(base.model_copy(update={"candidate_ocr_after": "Petstore Authorized Available"}))
    assert misread is not None and misread.ok
    assert early_check(base.model_copy(update={"candidate_ocr_after": "Petstore Authorize Available Authorized",
                                               "action_type": "Scroll"})) is None


def test_text_of_a_state_the_reference_ended_fails_when_the_candidate_keeps_it() -> None:
    from iwr.benchmark.judge.assertion_change import ChangeEvidence
    from iwr.benchmark.judge.assertion_context import AssertionContext
    from iwr.benchmark.judge.assertion_early import early_check
    from iwr.benchmark.judge.assertions import decide

    # a dialog (title, description) closes at this step; the reference never shows its description again
    base = AssertionContext(assertion="The dialog closes", step=6, action_type="Click", reference_text_source="ocr",
                            reference_text_before="New card Title Write release notes Description Summarise changes Create",
                            reference_text_after="To do Define onboarding Created: Write release notes",
                            reference_text_recording="New card Summarise changes To do Edit card Refresh icon system heroicons",
                            reference_text_later="Edit card Refresh icon system heroicons",
                            candidate_ocr_before="New card Title Write release notes Description Summarise changes Create")
    kept = early_check(base.model_copy(update={
        "candidate_ocr_after": "To do Write release notes Summarise changes Define onboarding Created: Write release notes"}))
    assert kept is not None and kept.ended == ["summarise"] and not kept.ok
    assert decide([], ChangeEvidence(), early=kept)[0] is False
    # the reference's own screen: nothing of the dialog stays
    same = early_check(base.model_copy(update={"candidate_ocr_after": base.reference_text_after}))
    assert same is not None and same.ok
    # a word the reference shows again at a later step is not of an ended state (a card scrolled into view later)
    later = early_check(base.model_copy(update={
        "reference_text_later": base.reference_text_later + " Summarise changes",
        "candidate_ocr_after": "To do Write release notes Summarise changes Define onboarding"}))
    assert later is not None and later.ok
    # without the later checkpoints (the last step) there is no evidence
    last = early_check(base.model_copy(update={
        "reference_text_later": "", "candidate_ocr_after": "To do Summarise changes Define onboarding"}))
    assert last is not None and last.ok
    # one letter away from a word the reference reads after the step ('Create' -> 'Created: ...'): no evidence
    near = early_check(base.model_copy(update={"candidate_ocr_after": "To do Define onboarding Create Write release notes"}))
    assert near is not None and near.ok
