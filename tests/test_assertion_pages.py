"""The offline asserter end to end on small pages made for issue 19's classes 2-4.

Four tiny apps are recorded with the real recorder (one `record_demos` call), then the real
judge (one per module, offline, no visual scores) judges each reference page (IFS 1) and
defective copies that must fail exactly at their step:

- class 2, values that trade places: a swap button without its click handler; a sort in
  the wrong direction (every named value is still on the page);
- class 3, a dialog that must close and stays open: the reference's step changes most of
  the screen, the candidate's only a hover style; a restyle of the same app still passes;
- class 4, the same number in several places: a merge whose score no longer adds the tile
  ('4' appears once instead of three times);
- what goes unnamed: a filter box without its handler keeps every card, the ones the
  assertion names among them; the words the reference removed are the evidence;
- where text sits among its neighbours: a capture credited to the other side (the same
  numbers on screen), a new task put first instead of last (the words are right), a heading
  shown one step early inside a dialog that is otherwise right; a restyle still passes.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from verdicts import explain

from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.judge.judge import Judge
from iwr.benchmark.judge.types import JudgeResult, Status
from iwr.benchmark.task import Task

STYLE = """body { font: 16px sans-serif; margin: 20px; background: #fff; }
button { padding: 6px 12px; background: #eee; border: 1px solid #999; }
button:hover { background: #cde; }"""

FARES = STYLE + """
</style></head><body>
<h1>Flight search</h1>
<label>From <input id="from" value="Lisbon (LIS)"></label>
<label>To <input id="to" value="Berlin (BER)"></label>
<button id="swap">Swap</button>
<h2>Fares</h2>
<button id="sort">Sort by price</button>
<ul id="fares"><li>Rome $240</li><li>Oslo $89</li><li>Nice $120</li></ul>
<script>
const price = (li) => Number(li.textContent.split('$')[1]);
function swap() { const f = document.getElementById('from'), t = document.getElementById('to'); [f.value, t.value] = [t.value, f.value]; }
document.getElementById('swap').addEventListener('click', swap);
document.getElementById('sort').addEventListener('click', () => {
  const ul = document.getElementById('fares');
  [...ul.children].sort((a, b) => price(a) - price(b)).forEach((li) => ul.appendChild(li));
});
</script></body></html>"""

PLAN = STYLE + """
#modal { position: fixed; inset: 0; background: rgba(20, 20, 40, 0.7); display: flex; align-items: center; justify-content: center; }
#modal[hidden] { display: none; }
.box { background: #fff; padding: 24px; width: 320px; }
</style></head><body>
<div class="card"><h2>Team plan</h2><p>$48.00 / month</p><button id="upgrade">Upgrade</button></div>
<div id="modal" hidden><div class="box"><h2>Confirm upgrade</h2><p>You will be charged monthly.</p>
<button id="close">Close</button></div></div>
<script>
const modal = document.getElementById('modal');
document.getElementById('upgrade').addEventListener('click', () => { modal.hidden = false; });
document.getElementById('close').addEventListener('click', () => { modal.hidden = true; });
</script></body></html>"""

MERGE = STYLE + """
.tile { display: inline-block; width: 60px; height: 60px; line-height: 60px; text-align: center; background: #eee4da; margin: 4px; font-size: 24px; }
</style></head><body>
<div>Score <span id="score">0</span> Best <span id="best">0</span></div>
<div id="board"><div class="tile">2</div></div>
<button id="spawn">New tile</button> <button id="merge">Merge</button>
<script>
let score = 0, best = 0;
const board = document.getElementById('board');
function render() { document.getElementById('score').textContent = score; document.getElementById('best').textContent = best; }
document.getElementById('spawn').addEventListener('click', () => { board.insertAdjacentHTML('beforeend', '<div class="tile">2</div>'); });
document.getElementById('merge').addEventListener('click', () => {
  const v = [...board.children].reduce((s, t) => s + Number(t.textContent), 0);
  board.innerHTML = '<div class="tile">' + v + '</div>';
  score += v; best = Math.max(best, score); render();
});
</script></body></html>"""


FILTER = STYLE + """
.card { border: 1px solid #ccc; padding: 6px; margin: 4px 0; width: 300px; }
</style></head><body>
<input id="filter" placeholder="Filter cards">
<div id="cards"><div class="card">Design product detail page</div><div class="card">Migrate build to Vite</div>
<div class="card">Refresh icon system design</div><div class="card">Write quarterly report</div>
<div class="card">Fix login timeout bug</div></div>
<script>
document.getElementById('filter').addEventListener('input', (e) => {
  const q = e.target.value.toLowerCase();
  for (const c of document.querySelectorAll('.card')) c.hidden = !c.textContent.toLowerCase().includes(q);
});
</script></body></html>"""


BOARD = STYLE + """
li b { margin-right: 8px; }
#dialog { border: 1px solid #999; padding: 8px; width: 300px; }
</style></head><body>
<div><span>Black</span> <b id="black">0</b> <span>White</span> <b id="white">0</b></div>
<button id="capture">Capture a stone</button>
<h2>Tasks</h2>
<ul id="tasks"><li><b>Plan sprint</b><i>PM</i></li><li><b>Review designs</b><i>Design</i></li></ul>
<input id="title" placeholder="Task title"> <button id="add">Add task</button> <button id="keys">Keys</button>
<div id="dialog" hidden><h3>api_key</h3><h4 id="authd">Authorized</h4><p>Name: api_key</p>
<button id="authorize">Authorize</button></div>
<script>
let authorized = false;
const $ = (id) => document.getElementById(id);
function render() { $('authd').hidden = !(authorized); }
$('capture').addEventListener('click', () => { $('black').textContent = Number($('black').textContent) + 1; });
$('add').addEventListener('click', () => {
  const li = document.createElement('li');
  li.innerHTML = '<b></b><i>New</i>';
  li.firstChild.textContent = $('title').value;
  $('tasks').append(li);
  $('title').value = '';
});
$('keys').addEventListener('click', () => { render(); $('dialog').hidden = false; });
$('authorize').addEventListener('click', () => { authorized = true; render(); });
</script></body></html>"""


def _demo(task_id: str, actions: list[dict]) -> dict:
    return {"id": task_id, "title": task_id, "resolution": "640x480", "entry": "index.html", "actions": actions}


def _click(target: str, description: str, assertion: str) -> dict:
    return {"type": "Click", "target": target, "description": description, "logical_assertion": assertion}


@dataclass(frozen=True)
class App:
    """A small app, its demo and its defects: (name, find, replace, breaks_at_step or None, a word of
    the failing step's reason)."""

    task_id: str
    html: str
    actions: list[dict]
    defects: list[tuple[str, str, str, int | None, str]]


APPS = [
    App("swap-fares", FARES, [
        _click("#swap", "Click the Swap button next to the From and To fields",
               "From now reads 'Berlin (BER)' and To reads 'Lisbon (LIS)'"),
        _click("#sort", "Click the 'Sort by price' button above the fares",
               "The fares are listed cheapest first: Oslo $89, Nice $120, Rome $240"),
    ], [
        ("no-swap-handler", "document.getElementById('swap').addEventListener('click', swap);", "", 1, "order"),
        ("sort-descending", "price(a) - price(b)", "price(b) - price(a)", 2, "order"),
    ]),
    App("plan-dialog", PLAN, [
        _click("#upgrade", "Click the Upgrade button on the Team plan card", "A dialog titled 'Confirm upgrade' opens"),
        _click("#close", "Click the 'Close' button in the 'Confirm upgrade' dialog",
               "The dialog closes; the 'Team plan' card still shows '$48.00 / month'"),
    ], [
        ("no-close-handler", "document.getElementById('close').addEventListener('click', () => { modal.hidden = true; });", "", 2,
         "screen"),
        ("restyled", "rgba(20, 20, 40, 0.7)", "rgba(90, 20, 20, 0.5)", None, ""),
    ]),
    App("merge-score", MERGE, [
        _click("#spawn", "Click the 'New tile' button", "A second tile showing 2 appears on the board"),
        _click("#merge", "Click the Merge button", "The two 2 tiles merge into one 4 tile; the score and the best score show 4"),
    ], [
        ("score-ignores-merge", "score += v;", "score += 0;", 2, "4"),
    ]),
    App("filter-cards", FILTER, [
        {"type": "Type", "target": "#filter", "text": "design", "description": "Type 'design' into the 'Filter cards' box",
         "logical_assertion": "Only cards about design remain, among them 'Design product detail page' and "
                              "'Refresh icon system design'"},
    ], [
        ("filter-box-dead", "addEventListener('input'", "addEventListener('x-never'", 1, "removed"),
    ]),
    App("lines-board", BOARD, [
        _click("#capture", "Click the 'Capture a stone' button", "Black's capture count reads 1 while White's reads 0"),
        {"type": "Type", "target": "#title", "text": "Write notes", "description": "Type 'Write notes' into the Task title box",
         "logical_assertion": "The Task title box shows 'Write notes'"},
        _click("#add", "Click the 'Add task' button", "A task 'Write notes' tagged 'New' is added to the list"),
        _click("#keys", "Click the 'Keys' button", "A box opens with an 'api_key' heading and the line 'Name: api_key'"),
        _click("#authorize", "Click the 'Authorize' button in the box", "The api_key section now reads 'Authorized'"),
    ], [
        ("capture-credited-to-white", "$('black').textContent = Number($('black')", "$('white').textContent = Number($('white')",
         1, "together"),
        ("new-task-on-top", "$('tasks').append(li)", "$('tasks').prepend(li)", 3, "together"),
        ("authorized-inverted", "!(authorized)", "!(!authorized)", 4, "another step"),
        ("restyled", "margin-right: 8px;", "margin-right: 30px; color: #a33;", None, ""),
    ]),
]


def _write_app(folder: Path, html: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "index.html").write_text("<!DOCTYPE html><html><head><style>" + html, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Task]:
    """The apps recorded once (one recorder run)."""
    from iwr.benchmark.recorder import record_demos

    base = tmp_path_factory.mktemp("assert_apps")
    demos = []
    for app in APPS:
        folder = _write_app(base / "apps" / app.task_id, app.html)
        (folder / "demo.yaml").write_text(yaml.safe_dump(_demo(app.task_id, app.actions), sort_keys=False))
        demos.append(folder / "demo.yaml")
    record_demos(demos, base / "dataset")
    return {t.key: t for t in load_tasks(base / "dataset" / "data.jsonl")}


@pytest.fixture(scope="module")
def judge(steps_judge: Judge) -> Judge:
    return steps_judge


@pytest.mark.timeout(600)
@pytest.mark.parametrize("app", APPS, ids=lambda a: a.task_id)
def test_reference_passes_and_defects_fail_at_their_step(loop: asyncio.AbstractEventLoop, judge: Judge,
                                                         recorded: dict[str, Task], app: App, tmp_path: Path) -> None:
    task = recorded[app.task_id]
    pages = [("reference", _write_app(tmp_path / "reference", app.html))]
    for name, find, replace, _, _ in app.defects:
        assert app.html.count(find) == 1, name
        pages.append((name, _write_app(tmp_path / name, app.html.replace(find, replace))))

    async def run() -> list[JudgeResult]:
        return list(await asyncio.gather(*(judge.judge_task(task, page, tmp_path / "out" / name) for name, page in pages)))

    results = dict(zip([n for n, _ in pages], loop.run_until_complete(run()), strict=True))
    for r in results.values():
        assert r.status == Status.OK, r.error
    assert results["reference"].scores.ifs == 1.0, explain(results["reference"])
    for name, _, _, breaks_at, reason in app.defects:
        r = results[name]
        if breaks_at is None:
            assert r.scores.ifs == 1.0, (name, explain(r))
        else:
            assert r.success_steps == breaks_at - 1, (name, explain(r))
            step = r.steps[breaks_at - 1]
            assert step.performed and step.assertion is not None and step.assertion.passed is False, (name, explain(r))
            assert reason in step.assertion.evidence["reason"], (name, step.assertion.evidence)


def _official(task: Task, root: Path) -> Task:
    """The task as IWR-Bench ships it: no ground_truth.json (the reference text is then OCR)."""
    dest = root / "data" / task.key
    shutil.copytree(task.paths.dir, dest, ignore=shutil.ignore_patterns("ground_truth.json"))
    return task.model_copy(update={"root": root, "data_dir": root / "data"})


@pytest.mark.timeout(600)
def test_order_and_screen_change_also_without_ground_truth(loop: asyncio.AbstractEventLoop, judge: Judge,
                                                           recorded: dict[str, Task], tmp_path: Path) -> None:
    """Official-layout tasks (checkpoint OCR as reference text): the swap and the dialog still fail."""
    jobs, names = [], []
    for app in APPS[:2]:
        task = _official(recorded[app.task_id], tmp_path / "official")
        assert not task.paths.ground_truth.is_file()
        name, find, replace, breaks_at, _ = app.defects[0]
        for label, html in (("reference", app.html), (name, app.html.replace(find, replace))):
            page = _write_app(tmp_path / app.task_id / label, html)
            jobs.append(judge.judge_task(task, page, tmp_path / "out" / app.task_id / label))
            names.append((app.task_id, label, None if label == "reference" else breaks_at))

    async def run() -> list[JudgeResult]:
        return list(await asyncio.gather(*jobs))

    for (task_id, label, breaks_at), r in zip(names, loop.run_until_complete(run()), strict=True):
        assert r.status == Status.OK, r.error
        sources = {s.assertion.evidence.get("reference_text_source") for s in r.steps if s.assertion is not None}
        assert sources == {"ocr"}, (task_id, label, sources)
        if breaks_at is None:
            assert r.scores.ifs == 1.0, (task_id, explain(r))
        else:
            assert r.success_steps == breaks_at - 1, (task_id, label, explain(r))


@pytest.mark.timeout(600)
def test_a_filter_that_filters_nothing_fails_without_ground_truth(loop: asyncio.AbstractEventLoop, judge: Judge,
                                                                  recorded: dict[str, Task], tmp_path: Path) -> None:
    """Official layout: the words the checkpoints' OCR lost must go from the candidate's OCR too."""
    app = next(a for a in APPS if a.task_id == "filter-cards")
    task = _official(recorded[app.task_id], tmp_path / "official")
    name, find, replace, breaks_at, reason = app.defects[0]
    pages = {"reference": app.html, name: app.html.replace(find, replace)}

    async def run() -> list[JudgeResult]:
        return list(await asyncio.gather(*(judge.judge_task(task, _write_app(tmp_path / label, html), tmp_path / "out" / label)
                                           for label, html in pages.items())))

    ref, dead = loop.run_until_complete(run())
    assert ref.status == dead.status == Status.OK
    assert ref.scores.ifs == 1.0, explain(ref)
    assert dead.success_steps == breaks_at - 1, explain(dead)  # type: ignore[operator]
    evidence = dead.steps[0].assertion.evidence  # type: ignore[union-attr]
    assert evidence["reference_text_source"] == "ocr" and reason in evidence["reason"], evidence
    assert evidence["removal"]["source"] == "ocr", evidence
