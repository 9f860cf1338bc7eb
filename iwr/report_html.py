"""Render ReportData as one HTML file with no external URLs.

Screenshots are linked by relative path inside the runs folder (lazy-loaded), charts are
inline SVG, the leaderboard sorts with a few lines of inline JS, and a task's page is put in
a sandboxed frame only when the reader asks for it.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from .report_data import CurvePoint, ReportData, TaskView

_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#1d2433;background:#fafbfc}
h1{margin:0 0 4px} h2{margin-top:32px;border-bottom:1px solid #dde;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px;background:#fff}
th,td{border:1px solid #d8dce3;padding:4px 8px;text-align:right} th{background:#eef1f6;cursor:pointer;user-select:none}
td.l,th.l{text-align:left} .muted{color:#6b7385;font-size:12px}
.ok{color:#137333} .bad{color:#b3261e} .und{color:#8a6d00}
.pair{display:flex;gap:8px;align-items:flex-start} .pair figure{margin:0} .pair img{width:360px;border:1px solid #ccd}
figcaption{font-size:11px;color:#555} details{background:#fff;border:1px solid #dde;margin:6px 0;padding:6px 10px}
summary{cursor:pointer;font-weight:bold} .kf img{height:90px;margin:2px;border:1px solid #ccd}
.step{border-top:1px dashed #dde;padding:6px 0} pre{white-space:pre-wrap;font-size:11px;background:#f3f4f7;padding:6px}
iframe{border:1px solid #99a;background:#fff}
"""

_JS = """
document.querySelectorAll('table.sortable th').forEach(function(th, col){
  th.addEventListener('click', function(){
    var table = th.closest('table'), body = table.tBodies[0];
    var asc = th.dataset.dir !== 'asc'; th.dataset.dir = asc ? 'asc' : 'desc';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function(a, b){
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
      return asc ? c : -c;
    });
    rows.forEach(function(r){ body.appendChild(r); });
  });
});
document.querySelectorAll('button.show-page').forEach(function(b){
  b.addEventListener('click', function(){
    var f = document.createElement('iframe');
    f.setAttribute('sandbox', 'allow-scripts'); f.width = b.dataset.w; f.height = b.dataset.h; f.src = b.dataset.src;
    b.replaceWith(f);
  });
});
"""

COLORS = ["#1a73e8", "#d93025", "#188038", "#f29900", "#9334e6", "#12b5cb", "#e8710a", "#5f6368"]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.2f}"


def _cell(v: float | None, fmt: str = "pct") -> str:
    sort = "" if v is None else f"{v:.6f}"
    text = _pct(v) if fmt == "pct" else ("unknown" if v is None else f"{v:.4f}")
    return f'<td data-v="{sort}">{text}</td>'


def _rel(path: Path | None, out_dir: Path) -> str | None:
    return None if path is None else os.path.relpath(path, out_dir)


def _leaderboard(data: ReportData) -> str:
    head = "".join(f'<th class="{"l" if i < 4 else ""}">{h}</th>' for i, h in enumerate(
        ["run", "agent", "model", "protocol", "tasks", "scored", "failed", "infra", "IFS", "VFS", "Final", "probe IFS", "cost $",
         "tokens", "time s"]))
    body = []
    for b in data.leaderboard:
        cost = "unknown" if b.cost_usd is None else f"{b.cost_usd:.4f}"
        body.append(
            f'<tr><td class="l" data-v="{_e(b.run_id)}">{_e(b.run_id)}</td><td class="l" data-v="{_e(b.agent)}">{_e(b.agent)}</td>'
            f'<td class="l" data-v="{_e(b.model)}">{_e(b.model)}</td><td class="l" data-v="{_e(b.protocol)}">{_e(b.protocol or "?")}</td>'
            f'<td data-v="{b.tasks}">{b.tasks}</td><td data-v="{b.scored}">{b.scored}</td>'
            f'<td data-v="{b.failed}" class="{"bad" if b.failed else ""}">{b.failed}{_kinds(b.failed_kinds)}</td>'
            f'<td data-v="{b.infra}" class="{"bad" if b.infra else ""}">{b.infra}</td>'
            f"{_cell(b.ifs)}{_cell(b.vfs)}{_cell(b.final)}{_cell(b.probe_ifs)}"
            f'<td data-v="{b.cost_usd if b.cost_usd is not None else -1}">{cost}</td><td data-v="{b.tokens}">{b.tokens}</td>'
            f'<td data-v="{b.wall_s:.3f}">{b.wall_s:.1f}</td></tr>'
        )
    return f'<table class="sortable" id="leaderboard"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _kinds(kinds: dict[str, int]) -> str:
    return "" if not kinds else " (" + ", ".join(f"{_e(k)}" + (f" x{n}" if n > 1 else "") for k, n in kinds.items()) + ")"


def _failures(data: ReportData) -> str:
    """Failed final pages by kind, each kind once with its first message; infra failures apart."""
    if not data.failures:
        return '<p class="muted">Every task was scored.</p>'
    items = []
    for g in data.failures:
        label = "infra failure, not scored" if g.status == "infra_error" else "failed, counted as 0"
        cells = ", ".join(g.cells[:10]) + (", ..." if len(g.cells) > 10 else "")
        items.append(f'<li><b class="bad">{_e(g.kind)}</b> x{g.count} ({_e(label)}): {_e(cells)}<pre>{_e(g.message or "")}</pre></li>')
    return f'<ul id="failures">{"".join(items)}</ul>'


def _categories(data: ReportData) -> str:
    parts = []
    for axis, labels in data.categories.items():
        configs = sorted({k for cfg in labels.values() for k in cfg})
        head = "".join(f"<th>{_e(c.replace('|', ' / '))}</th>" for c in configs)
        rows = "".join(
            f'<tr><td class="l" data-v="{_e(label)}">{_e(label)}</td>' + "".join(_cell(cfg.get(c)) for c in configs) + "</tr>"
            for label, cfg in labels.items()
        )
        parts.append(f'<h3>{_e(axis)}</h3><table class="sortable"><thead><tr><th class="l">{_e(axis)}</th>{head}</tr></thead>'
                     f'<tbody>{rows}</tbody></table>')
    return "".join(parts) or '<p class="muted">No task classifications found.</p>'


def curve_svg(curves: dict[str, list[CurvePoint]], width: int = 560, height: int = 260) -> str:
    """Score vs iteration for every agent x model: Final solid, IFS dashed."""
    if not curves:
        return '<p class="muted">No per-iteration scores.</p>'
    left, right, top, bottom = 44, 170, 14, 34
    max_it = max(max(p.iteration for p in pts) for pts in curves.values()) or 1
    def x(i: float) -> float: return left + (width - left - right) * i / max_it
    def y(v: float) -> float: return top + (height - top - bottom) * (1 - v)
    grid = "".join(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e6ec"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end">{int(v * 100)}</text>' for v in (0, .25, .5, .75, 1))
    ticks = "".join(f'<text x="{x(i):.1f}" y="{height - bottom + 14}" font-size="10" text-anchor="middle">{i}</text>' for i in range(max_it + 1))
    lines = []
    for n, (key, pts) in enumerate(sorted(curves.items())):
        color = COLORS[n % len(COLORS)]
        for metric, dash in (("final", ""), ("ifs", ' stroke-dasharray="5 3"')):
            coords = " ".join(f"{x(p.iteration):.1f},{y(getattr(p, metric)):.1f}" for p in pts)
            lines.append(f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{coords}"/>')
        lines.extend(f'<circle cx="{x(p.iteration):.1f}" cy="{y(p.final):.1f}" r="3" fill="{color}">'
                     f'<title>{_e(key)} it {p.iteration}: Final {_pct(p.final)}</title></circle>' for p in pts)
        lines.append(f'<text x="{width - right + 8}" y="{top + 14 + 16 * n}" font-size="11" fill="{color}">{_e(key.replace("|", " / "))}</text>')
    axis = f'<text x="{(left + width - right) / 2}" y="{height - 4}" font-size="11" text-anchor="middle">iteration (0 = single-shot draft)</text>'
    return (f'<svg class="chart" width="{width}" height="{height}" role="img" aria-label="score by iteration">'
            f'{grid}{ticks}{"".join(lines)}{axis}</svg>')


def _img(path: Path | None, out_dir: Path, caption: str) -> str:
    rel = _rel(path, out_dir)
    if rel is None or path is None or not path.is_file():
        return f'<figure><div class="muted">no image</div><figcaption>{_e(caption)}</figcaption></figure>'
    return f'<figure><img loading="lazy" src="{_e(rel)}" alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption></figure>'


def _resolve(base: Path | None, value: str | None) -> Path | None:
    if value is None:
        return None
    p = Path(value)
    return p if p.is_absolute() or base is None else base / p


def _task(view: TaskView, out_dir: Path, index: int) -> str:
    r = view.row
    status_class = "ok" if r.status == "ok" else "bad"
    status = r.status if r.status == "ok" else (
        ("infra failure" if r.status == "infra_error" else "failed") + (f": {r.error_kind}" if r.error_kind else ""))
    scores = f" · IFS {_pct(r.ifs)} · VFS {_pct(r.vfs)} · Final {_pct(r.final)}" if r.status == "ok" else " · no score"
    parts = [f'<details id="task-{index}"><summary>{_e(view.task_id)} · {_e(view.agent)} / {_e(view.model)} · '
             f'<span class="{status_class}">{_e(status)}</span>{scores}</summary>']
    if r.error:
        parts.append(f"<pre>{_e(r.error)}</pre>")
    if view.keyframes:
        parts.append('<div class="kf">'
                     + "".join(f'<img loading="lazy" src="{_e(_rel(k, out_dir))}" alt="keyframe">' for k in view.keyframes)
                     + "</div>")
    j = view.judge
    if j is not None:
        parts.append(f'<p class="muted">protocol {_e(j.protocol.name)} (grounder {_e(j.protocol.grounder)}, asserter {_e(j.protocol.asserter)}), '
                     f'{j.success_steps}/{j.total_steps} steps before the first failure, blocked requests {j.blocked_requests}</p>')
        for step in j.steps:
            a = step.action
            verdict = "ok" if step.passed else ("und" if step.performed else "bad")
            assertion = a.logical_assertion or "–"
            av = step.assertion
            evidence = "" if av is None else f"<pre>{_e(av.method)}: {_e(av.passed)} {_e(av.error or '')}\n{_e(av.evidence)}</pre>"
            ground = step.grounding
            gtext = "" if ground is None else (f"grounded by {_e(ground.method)} to {_e(ground.element or '?')}"
                                                + (" (ambiguous)" if ground.ambiguous else ""))
            parts.append(
                f'<div class="step"><b>step {step.index}</b> {_e(a.type.value)}: {_e(a.description)}<br>'
                f'<span class="muted">assertion: {_e(assertion)} · {gtext}</span> · '
                f'<span class="{verdict}">{"pass" if step.passed else "fail"}</span>'
                f'{" · " + _e(step.error) if step.error else ""}{evidence}<div class="pair">'
                f'{_img(_resolve(view.judge_dir, step.checkpoint), out_dir, f"reference step {step.index}")}'
                f'{_img(_resolve(view.judge_dir, step.screenshot), out_dir, f"candidate step {step.index}")}</div></div>'
            )
    if view.page is not None:
        w, h = 640, 360
        parts.append(f'<p><button class="show-page" data-src="{_e(_rel(view.page, out_dir))}" data-w="{w}" data-h="{h}">'
                     'show the page (sandboxed)</button></p>')
    if view.transcript is not None:
        parts.append(f'<p><a href="{_e(_rel(view.transcript, out_dir))}">transcript</a></p>')
    parts.append("</details>")
    return "".join(parts)


def render_html(data: ReportData, out_file: Path) -> None:
    """Write the report to `out_file` (image links are relative to its folder)."""
    out_dir = out_file.parent
    runs = ", ".join(f"{_e(r.run_id)} (commit {_e((r.git_commit or '?')[:10])})" for r in data.runs)
    body = (
        f"<h1>iwr report</h1><p class='muted'>runs: {runs}</p>"
        f"<h2>Leaderboard</h2><p class='muted'>Click a column to sort. Scores in %, macro-averaged over tasks; "
        f"never compare rows of different protocols. A failed task (no page, or a model that could not be used) counts as 0 "
        f"in the means, the official convention; infra failures are not scored and left out; with nothing scored there is no mean.</p>"
        f"{_leaderboard(data)}<h2>Failures</h2>{_failures(data)}"
        f"<h2>By category (Final %)</h2>{_categories(data)}"
        f"<h2>Score by iteration</h2>{curve_svg(data.curves)}"
        f"<h2>Tasks</h2>" + "".join(_task(v, out_dir, i) for i, v in enumerate(data.tasks))
    )
    doc = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>iwr report</title>'
           f'<meta http-equiv="Content-Security-Policy" content="default-src \'self\' \'unsafe-inline\' data:; '
           f'frame-src \'self\'; connect-src \'none\'">'
           f"<style>{_CSS}</style></head><body>{body}<script>{_JS}</script></body></html>")
    out_file.write_text(doc, encoding="utf-8")
