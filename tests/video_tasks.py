"""A tiny counter app recorded by the project's recorder, and its defective twins, for the
video-only judge's tests (real video, real Chromium)."""

from __future__ import annotations

from pathlib import Path

TALLY_ID = "tally"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Tally</title>
<style>
 body {{ font-family: sans-serif; margin: 40px; background: #fff; color: #111; }}
 #count {{ font-size: 64px; margin: 24px 0; }}
 #note {{ font-size: 28px; min-height: 40px; }}
 button {{ font-size: 28px; padding: 12px 28px; margin-right: 24px; }}
</style></head>
<body>
 <h1>Visitor tally</h1>
 <div id="count">Count 0</div>
 <div id="note">Nothing yet</div>
 <button id="add">Add one</button> <button id="ten">Add ten</button> <button id="reset">Reset</button>
 <script>
  let n = 0;
  const show = (note) => {{
    document.getElementById('count').textContent = 'Count ' + n;
    {note_line}
  }};
  document.getElementById('add').addEventListener('click', () => {{ n += {add}; show('Added one'); }});
  document.getElementById('ten').addEventListener('click', () => {{ {ten} }});
  document.getElementById('reset').addEventListener('click', () => {{ n = 0; show('Cleared'); }});
 </script>
</body></html>
"""

DEMO = """id: tally
title: Visitor tally (test fixture)
resolution: 960x540
entry: index.html
classification: {interaction_complexity: L2, visual_complexity: V1, domain: productivity, sub_domain: counter}
actions:
  - {type: Click, target: "#add", description: "Click the 'Add one' button", logical_assertion: "The count reads 'Count 1'"}
  - {type: Click, target: "#ten", description: "Click the 'Add ten' button", logical_assertion: "The count reads 'Count 11'"}
  - {type: Click, target: "#reset", description: "Click the 'Reset' button", logical_assertion: "The count reads 'Count 0'"}
"""

GOOD_TEN = "n += 10; show('Added ten');"


NOTE_LINE = "document.getElementById('note').textContent = note;"


def tally_page(dest: Path, *, add: int = 1, ten: str = GOOD_TEN, note_line: str = NOTE_LINE) -> Path:
    """The counter app at `dest` (index.html); `add`, `ten` and `note_line` plant defects."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "index.html").write_text(PAGE.format(add=add, ten=ten, note_line=note_line), encoding="utf-8")
    return dest


def record_tally(base: Path) -> Path:
    """Record the counter app's demo; returns the data.jsonl."""
    from iwr.benchmark.recording.record import record_demos

    app = tally_page(base / "app")
    (app / "demo.yaml").write_text(DEMO, encoding="utf-8")
    out = base / "dataset"
    record_demos([app / "demo.yaml"], out)
    return out / "data.jsonl"
