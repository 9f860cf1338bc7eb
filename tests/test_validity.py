"""Validity machinery: the JS tokenizer, mechanical mutants, DOM probes and one small
end-to-end measurement (real Chromium; the judge offline)."""

from __future__ import annotations

import asyncio
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from iwr.benchmark.bundled import bundled_apps
from iwr.benchmark.dataset import load_tasks
from iwr.benchmark.demo import load_demo
from iwr.benchmark.judge.judge import Judge
from iwr.benchmark.validity import (
    DomTrace,
    MutantError,
    Outcome,
    ValidityApp,
    all_mutants,
    apply_mutant,
    first_difference,
    first_pixel_difference,
    measure_app,
    probe_app,
    select_mutants,
    unapply_mutant,
    validity_judge_config,
)
from iwr.benchmark.validity.js_tokens import inline_scripts, significant, tokenize
from iwr.benchmark.validity.measure import gather_limited
from iwr.benchmark.validity.mutants import own_scripts
from iwr.tools.browser import launch_browser

REPO = Path(__file__).resolve().parent.parent
OCR_CACHE = REPO / ".cache-test" / "ocr"

TRICKY = r"""
// a < b in a comment; addEventListener(
/* x === y; 7 */
const s = "a < b; 3 + 4";
const t = 'it\'s 5 > 2';
const r = /a<b[/]+/g.test(s) ? 1 : 2;
const tpl = `width < ${w > 9 ? `${1 + 2}` : "x"} px; ${n}`;
const q = total / count / 2;
"""


def kinds(src: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in significant(tokenize(src))]


def test_tokenizer_skips_strings_comments_regex_and_template_text() -> None:
    toks = tokenize(TRICKY)
    by_kind = {k: [t.text for t in toks if t.kind == k] for k in ("comment", "string", "regex", "template")}
    assert by_kind["comment"] == ["// a < b in a comment; addEventListener(", "/* x === y; 7 */"]
    assert '"a < b; 3 + 4"' in by_kind["string"] and r"'it\'s 5 > 2'" in by_kind["string"]
    assert by_kind["regex"] == ["/a<b[/]+/g"]
    # a template's text parts are one token each; the code in its holes is tokenized as code
    assert by_kind["template"] == ["`width < ${", "`${", "}`", '} px; ${', "}`"]
    code = kinds(TRICKY)
    assert ("punct", ">") in code and ("punct", "+") in code and ("number", "9") in code
    assert [t for k, t in code if k == "punct" and t == "/"] == ["/", "/"]  # `total / count / 2`: division
    assert ("punct", "<") not in code  # every `<` is in a string, comment, regex or template text


def test_regex_or_division_by_previous_token() -> None:
    assert kinds("x = a / b / c")[3] == ("punct", "/")
    assert ("regex", "/b/g") in kinds("return /b/g.exec(s)")
    assert ("regex", "/=/") in kinds("s.split(/=/)")
    assert ("punct", "/=") in kinds("n /= 2")


def test_inline_scripts_only_javascript_blocks() -> None:
    html = '<script src="a.js"></script><script type="application/json">{"a": 1}</script><script>go(1 < 2)</script>'
    (span,) = inline_scripts(html)
    assert html[span[0]:span[1]] == "go(1 < 2)"


def _app(tmp: Path, js: str, html: str = '<!DOCTYPE html><html><body><script src="app.js"></script></body></html>') -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "app.js").write_text(textwrap.dedent(js))
    (tmp / "index.html").write_text(html)
    return tmp


def test_mutants_touch_only_code_and_keep_syntax_shapes(tmp_path: Path) -> None:
    app = _app(tmp_path / "app", TRICKY + """
function* gen() { yield* other(); }
for (let i = 0; i < n; i++) { step(); }
if (ok) go(); else stop();
el.onclick = () => hit();
el.addEventListener("click", hit);
""")
    ms = all_mutants(app)
    text = (app / "app.js").read_text()
    for m in ms:
        assert text[m.offset:m.offset + len(m.original)] == m.original
        tok = [t for t in tokenize(text) if t.start <= m.offset < t.end]
        assert tok and tok[0].kind not in ("string", "comment", "regex", "template"), m.description
    originals = {(m.operator, m.original) for m in ms}
    assert ("arithmetic", "*") not in originals  # `function*` and `yield*` are not multiplications
    assert ("statement", "go();") not in originals  # an `if` body with an `else` after it stays
    assert not any(m.operator == "statement" and m.original.startswith(("i <", "let i")) for m in ms)  # for header
    assert ("statement", "step();") in originals and ("statement", "yield* other();") in originals
    assert not any(m.operator == "statement" and m.original.startswith(("else", "if")) for m in ms)
    listeners = {m.original: m.replacement for m in ms if m.operator == "listener"}
    assert listeners == {"onclick": "removed_onclick", "addEventListener": "removeEventListener"}
    assert ("comparison", "<") in originals and ("constant", "0") in originals


def test_library_files_are_not_mutated(tmp_path: Path) -> None:
    app = _app(tmp_path / "app", "go(1 + 2);\n")
    (app / "node_modules" / "lib").mkdir(parents=True)
    (app / "node_modules" / "lib" / "index.js").write_text("go(1 + 2);\n")
    (app / "vendor.min.js").write_text("go(1 + 2);\n")
    (app / "bundle.js").write_text("go(1+2);" * 200 + "\n")  # one 1,600-character line: minified
    assert [p.name for p in own_scripts(app)] == ["app.js", "index.html"]


def test_mutants_deterministic_and_apply_cleanly(tmp_path: Path) -> None:
    app_dir = next(a.dir for a in bundled_apps() if a.name == "task_board")
    first, again = select_mutants(app_dir, 12, seed=7), select_mutants(app_dir, 12, seed=7)
    assert [m.id for m in first] == [m.id for m in again] and len(first) == 12
    assert [m.id for m in select_mutants(app_dir, 12, seed=8)] != [m.id for m in first]
    assert {m.operator for m in first} == {"listener", "comparison", "arithmetic", "constant", "statement"}
    root = tmp_path / "copy"
    shutil.copytree(app_dir, root)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    for m in first:
        apply_mutant(root, m)
        assert (root / m.file).read_bytes() != before[root / m.file]
        with pytest.raises(MutantError):
            apply_mutant(root, m)  # already applied: the original text is gone
        unapply_mutant(root, m)
        assert (root / m.file).read_bytes() == before[root / m.file]


COUNTER_JS = """\
let count = 0;
const out = document.getElementById('out');
function show() { out.textContent = 'Count: ' + count; }
document.getElementById('add').addEventListener('click', () => { count = count + 1; show(); });
show();
"""
COUNTER_HTML = ('<!DOCTYPE html><html><body><button id="add">Add one</button><p id="out"></p>'
                '<script src="app.js"></script></body></html>')


def _counter_demo(app: Path) -> Path:
    step = {"type": "Click", "target": "#add", "description": "Click the 'Add one' button"}
    demo = {"id": "counter", "resolution": "640x360", "entry": "index.html", "actions": [step, step, step]}
    (app / "demo.yaml").write_text(yaml.safe_dump(demo))
    return app / "demo.yaml"


def _patched(app: Path, dest: Path, find: str, replace: str) -> Path:
    shutil.copytree(app, dest)
    js = dest / "app.js"
    assert js.read_text().count(find) == 1
    js.write_text(js.read_text().replace(find, replace))
    return dest


def test_first_difference_finds_the_step_and_equivalent_changes(tmp_path: Path) -> None:
    app = _app(tmp_path / "counter", COUNTER_JS, COUNTER_HTML)
    spec = load_demo(_counter_demo(app))
    variants = {
        "second click adds two": (_patched(app, tmp_path / "v1", "count = count + 1", "count = count + (count >= 1 ? 2 : 1)"), 2),
        "no listener": (_patched(app, tmp_path / "v2", "addEventListener", "removeEventListener"), 1),
        "same sum written otherwise": (_patched(app, tmp_path / "v3", "count = count + 1", "count += 1"), None),
        # differs from the start: at the first step whose change differs ('1' for '0' vs '2' for '1')
        "starts at one": (_patched(app, tmp_path / "v4", "let count = 0", "let count = 1"), 1),
        "unparsable": (_patched(app, tmp_path / "v5", "show();\n", "show(;\n"), 1),
    }

    async def run() -> list[Any]:
        async with launch_browser() as browser:
            return await gather_limited([probe_app(browser, spec)]
                                        + [probe_app(browser, spec, d) for d, _ in variants.values()], 3)

    original, *traces = asyncio.run(run())
    assert original.texts == ["Add one\nCount: 0", "Add one\nCount: 1", "Add one\nCount: 2", "Add one\nCount: 3"]
    assert original.performed == [True] * 3 and not original.load_errors
    for (name, (_, step)), trace in zip(variants.items(), traces, strict=True):
        assert first_difference(original, trace) == step, name
    assert traces[4].syntax_error and not traces[0].syntax_error
    assert first_pixel_difference(original, traces[2]) is None  # equivalent: the same pixels too
    assert first_pixel_difference(original, traces[3]) == 0


def test_a_variant_different_from_the_start_differs_at_its_first_step_that_changes_otherwise() -> None:
    original = DomTrace(texts=["Deck\nslide one", "Deck\nslide two", "Deck\nslide three"], performed=[True, True])
    relabelled = DomTrace(texts=["Talk\nslide one", "Talk\nslide two", "Talk\nslide three"], performed=[True, True])
    assert first_difference(original, relabelled) == 0  # every step changes alike: a difference at load only
    skips = DomTrace(texts=["Talk\nslide one", "Talk\nslide two", "Talk\nslide four"], performed=[True, True])
    assert first_difference(original, skips) == 2  # step 1 changes alike, step 2 brings 'four' for 'three'
    stuck = DomTrace(texts=["Talk\nslide one", "Talk\nslide two", "Talk\nslide two"], performed=[True, False])
    assert first_difference(original, stuck) == 2


COVERED_JS = """\
let count = 0;
const out = document.getElementById('out');
function show() { out.textContent = 'Count: ' + count; }
function neverCalled(n) { return n * 2 + 7; }
document.getElementById('add').addEventListener('click', () => { count = count + 1; show(); });
show();
"""
COVERED_HTML = ('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><button id="add">Add one</button><p id="out"></p><p id="note"></p>'
                '<script src="app.js"></script>\n<script>\nconst face = "\U0001F600";  // V8 counts it as two UTF-16 units\n'
                'function inlineUnused(a) { return a - 3; }\n'
                'document.getElementById("note").textContent = "note " + (2 + 2);\n</script></body></html>')


def test_coverage_maps_what_the_demo_ran_to_file_offsets_and_mutants_are_drawn_there(tmp_path: Path) -> None:
    app = _app(tmp_path / "covered", COVERED_JS, COVERED_HTML)
    spec = load_demo(_counter_demo(app))

    async def run() -> Any:
        async with launch_browser() as browser:
            return await probe_app(browser, spec, coverage={"app.js", "index.html"})

    covered = asyncio.run(run()).covered
    assert covered is not None and covered.files == ["app.js", "index.html"]
    js, html = COVERED_JS, COVERED_HTML
    assert covered.covers("app.js", js.index("count + 1"))  # the click handler ran
    assert covered.covers("app.js", js.index("'Count: ' + count"))
    assert not covered.covers("app.js", js.index("n * 2 + 7"))  # never called
    assert covered.covers("index.html", html.index("2 + 2"))  # inline block, top level
    assert not covered.covers("index.html", html.index("a - 3"))
    assert not covered.covers("other.js", 0)
    every = all_mutants(app)
    picked = select_mutants(app, 100, seed=0, ran=covered.covers)
    assert picked and len(picked) < len(every)
    assert all(covered.covers(m.file, m.offset) for m in picked)
    assert any(m.file == "app.js" and m.original == "*" for m in every)  # in neverCalled: a site, never drawn
    assert not any(m.file == "app.js" and m.original == "*" for m in picked)


# ---------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def judge(loop: asyncio.AbstractEventLoop) -> Iterator[Judge]:
    j = Judge(validity_judge_config(ocr_cache_dir=OCR_CACHE))
    loop.run_until_complete(j.__aenter__())
    yield j
    loop.run_until_complete(j.__aexit__(None, None, None))


@pytest.mark.timeout(900)
def test_one_bundled_app_judged_and_classified(loop: asyncio.AbstractEventLoop, judge: Judge, bundled_jsonl: Path,
                                               tmp_path: Path) -> None:
    app = next(a for a in bundled_apps() if a.name == "task_board")
    task = next(t for t in load_tasks(bundled_jsonl) if t.key == app.task_id)
    vapp = ValidityApp(name=app.name, spec=load_demo(app.demo_path), task=task, defects=[])
    chosen = [m for m in all_mutants(app.dir) if m.operator == "listener"][:1] + [
        m for m in all_mutants(app.dir) if m.operator == "arithmetic" and m.original == "++"][:1]
    assert len(chosen) == 2

    async def run() -> Any:
        async with launch_browser() as browser:
            import iwr.benchmark.validity.measure as measure

            original = measure.select_mutants
            measure.select_mutants = lambda app_dir, n, seed, ran=None: chosen  # type: ignore[assignment]
            try:
                return await measure_app(vapp, judge, browser, tmp_path, mutants=2, seed=0, visual=False)
            finally:
                measure.select_mutants = original

    report = loop.run_until_complete(run())
    assert report.deterministic
    assert not (tmp_path / "official" / "data" / task.key / "ground_truth.json").exists()
    assert (tmp_path / "official" / "data" / task.key / "checkpoints" / "step_0.png").is_file()
    ref = report.pages[0]
    assert ref.kind == "reference" and ref.judged["gt"].ifs == 1.0 and ref.judged["gt"].probe_ifs == 1.0
    assert ref.judged["official"].probe_ifs is None  # no ground truth: no probes to judge
    mutants = report.pages[1:]
    assert [p.description for p in mutants] == [m.description for m in chosen]
    assert mutants[0].truth is not None  # the demo needs that listener
    for page in report.pages:
        for proto in ("gt", "official"):
            j = page.judged[proto]
            expected = None if page.truth is None else max(1, page.truth)
            assert j.outcome is not None and j.outcome != Outcome.JUDGE_ERROR
            assert (j.outcome in (Outcome.AT_STEP, Outcome.KEPT)) == (j.step == expected), (page.name, proto, j)
