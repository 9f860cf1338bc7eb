"""Events: what changed between consecutive stable states, where, and how (kind guess)."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

import cv2
import numpy as np

from ...core.geometry import Point, merge_boxes, union_all
from .field_text import MASK_ROW, glyph_start, strip_rules, typed_after, typed_at_once
from .masked import masked_typed
from .ocr import read_text
from .pointer import PointerHit
from .scan import Sample, Scan, StableRun, _paint_pointer, change_mask, strong_blobs
from .scroll import _scroll
from .types import ChangeRegion, EventKind, PBox, PerceivedEvent

MERGE_GAP = 12  # full-res px: change boxes closer than this are one region
POINTER_MOVE_PX = 4.0
MASK_DOT = "\u2022"  # what a masked field shows for each character typed


@dataclass
class StatePair:
    """Two consecutive stable runs and the samples between them."""

    before: StableRun
    after: StableRun
    between: list[Sample]


def state_diff(scan: Scan, a: StableRun, b: StableRun) -> list[ChangeRegion]:
    """Changed regions between two stable frames, pointer silhouettes masked out
    (remembered per pair of runs: events and asset matching ask for the same pairs)."""
    key = (a.first, a.last, b.first, b.last)
    if key not in scan.diffs:
        scan.diffs[key] = _state_diff(scan, a, b)
    return scan.diffs[key]


def _state_diff(scan: Scan, a: StableRun, b: StableRun) -> list[ChangeRegion]:
    diff = change_mask(a.small, b.small)
    if not diff.any():
        return []
    pmask = np.zeros_like(diff)
    _paint_pointer(pmask, a.pointer, scan.scale)
    _paint_pointer(pmask, b.pointer, scan.scale)
    diff &= 1 - pmask
    W, H = scan.info.width, scan.info.height
    boxes: list[tuple[PBox, float]] = []  # full-res box, share of its pixels changed
    for x, y, w, h, raw in strong_blobs(diff, a.small, b.small):
        fb = PBox(x=int(x / scan.scale), y=int(y / scan.scale), width=int(np.ceil(w / scan.scale)),
                  height=int(np.ceil(h / scan.scale)))
        boxes.append((fb, raw / max(1, w * h)))
    merged = merge_boxes([b for b, _ in boxes], MERGE_GAP)
    out = []
    for m in merged:
        inside = [f for b, f in boxes if b.within(m)]
        x, y, w, h = m.as_tuple()
        out.append(ChangeRegion(box=PBox(x=x, y=y, width=min(w, W - x), height=min(h, H - y)),
                                changed_fraction=round(float(np.mean(inside)) if inside else 0.0, 3)))
    return out


def _significant(regions: list[ChangeRegion], width: int) -> bool:
    """Some region is larger than compression noise (a few pixels at text edges)."""
    return any(max(r.box.width, r.box.height) >= 0.02 * width for r in regions)


def merge_static_runs(scan: Scan) -> list[StableRun]:
    """Join consecutive runs whose pages are equal and with no click between them."""
    if not scan.runs:
        return []
    kept = [scan.runs[0]]
    for run in scan.runs[1:]:
        prev = kept[-1]
        between = scan.samples[prev.last + 1: run.first + 1]
        if not _significant(state_diff(scan, prev, run), scan.info.width) and not _click_sample(between):
            prev.last, prev.end, prev.frame_no = run.last, run.end, run.frame_no
            prev.image, prev.small, prev.pointer = run.image, run.small, run.pointer
        else:
            kept.append(run)
    return kept


def _dist(a: PointerHit | None, b: PointerHit | None) -> float:
    if a is None or b is None:
        return 0.0
    return float(np.hypot(a.x - b.x, a.y - b.y))


def _click_sample(between: list[Sample]) -> Sample | None:
    """The first sample with a change around a still pointer (a click indicator)."""
    for _prev, s in itertools.pairwise(between):
        if s.ring is not None and s.pointer is not None:
            return s
    for prev, s in itertools.pairwise(between):
        if s.near_pointer and _dist(prev.pointer, s.pointer) <= POINTER_MOVE_PX:
            return s
    return None


def _bursts(between: list[Sample]) -> list[list[Sample]]:
    """Groups of consecutive changed samples."""
    out: list[list[Sample]] = []
    cur: list[Sample] = []
    for s in between:
        if s.changes:
            cur.append(s)
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def _typing_boxes(between: list[Sample], regions: list[ChangeRegion], height: int,
                  jumps: bool = False) -> list[PBox] | None:
    """Boxes of a text line that grew rightwards in small steps over at least three samples
    (with `jumps`, two: a grabber dropping frames shows a typed word in two or three jumps).

    Looked for inside each changed region of text-line height, and in each line of a taller
    region (a text area, a field whose focus ring changed with it), counting only samples
    where nothing else in that region changed; None when none grew so.
    """
    for rb, parent in ((line, r.box) for r in regions for line in _lines(r.box, between, height)):
        rights: list[int] = []
        lefts: list[int] = []
        boxes: list[list[PBox]] = []
        chars: list[PBox] = []  # also those next to the pointer
        for s in between:
            sized = [b for b in s.changes if b.height <= rb.height + 4 and b.width <= 2 * rb.height
                     and rb.contains(b.center, margin=4)]  # character-sized changes
            chars.extend(sized)
            if rb != parent and any(parent.contains(b.center, margin=4) and b not in sized and b not in s.near for b in s.changes):
                continue  # a line of a taller region grows alone (a dialog fading in changes all its lines)
            inside = [b for b in sized if b not in s.near or not _pointer_busy(between, s, b)]
            if inside:
                rights.append(max(b.right for b in inside))
                lefts.append(min(b.x for b in inside))
                boxes.append(inside)
        # the line grows from some sample on (what the click that focused the field changed comes first)
        for start in range(max(1, len(rights) - 2)):
            steps = [r2 - r1 for r1, r2 in itertools.pairwise(rights[start:])]
            growing = [d for d in steps if 0 < d <= 4 * rb.height]
            # new characters appear to the right: both edges move right (an expanding ring widens both ways)
            forward = [l2 >= l1 for l1, l2 in itertools.pairwise(lefts[start:])]
            steady = len(steps) >= 2 and len(growing) >= 2 and len(growing) >= 0.6 * len(steps)
            jumped = jumps and rb == parent and len(steps) == 1 and len(growing) == 1  # a line of a taller region: steady only
            if (steady or jumped) and sum(forward) >= 0.6 * len(forward):
                return _text_run([b for bs in boxes[start:] for b in bs], chars, rb.height)
    return None


def _pointer_busy(between: list[Sample], s: Sample, box: PBox) -> bool:
    """Whether a change next to the pointer in sample `s` may be the pointer's own doing: it
    moved since the sample before (what it left behind), a click ring shows, or the change
    lies over its hotspot (a ring still small, a button pressed under it). Characters typed
    beside a resting pointer are not."""
    if s.ring is not None or s.pointer is None:
        return True
    i = between.index(s)
    prev = between[i - 1].pointer if i > 0 else None
    return prev is None or _dist(prev, s.pointer) > POINTER_MOVE_PX \
        or box.contains(Point(x=s.pointer.x, y=s.pointer.y), margin=2)


def _lines(rb: PBox, between: list[Sample], height: int) -> list[PBox]:
    """The text lines a changed region may hold: itself when it is of line height, else the
    bands of its character-sized changes (overlapping heights joined), across its width."""
    line = 0.1 * height
    if rb.height <= line:
        return [rb]
    spans = sorted((b.y, b.bottom) for s in between for b in s.changes
                   if b.height <= line and b.width <= 2 * line and rb.contains(b.center, margin=4))
    bands: list[list[int]] = []
    for y0, y1 in spans:
        if bands and y0 < bands[-1][1]:
            bands[-1][1] = max(bands[-1][1], y1)
        else:
            bands.append([y0, y1])
    return [PBox(x=rb.x, y=y0, width=rb.width, height=y1 - y0) for y0, y1 in bands if y1 - y0 <= line]


def _text_run(seed: list[PBox], chars: list[PBox], line: int) -> list[PBox]:
    """The typed characters: from the leftmost growing box, every character-sized change
    that continues the line without a word-sized gap (a clear button further right, a
    counter elsewhere in the field are not typed text)."""
    start = min(seed, key=lambda b: b.x)
    run = [start]
    right = start.right
    top = min(b.y for b in seed)
    bottom = max(b.bottom for b in seed)
    glyph = float(np.median([b.height for b in seed]))
    same_line = [b for b in chars if top <= b.y + b.height / 2 <= bottom and b.height <= 1.5 * glyph and b.width <= 3 * glyph]
    for b in sorted(same_line, key=lambda b: b.x):
        if b.right <= right:
            if b.x >= start.x:
                run.append(b)
            continue
        if b.x > right + 1.5 * line:
            break
        run.append(b)
        right = b.right
    return run


def _rests_after(previous: PerceivedEvent, before: PointerHit | None, arrived: PointerHit) -> bool:
    """Whether the pointer rests, through this event, where the previous event clicked or typed."""
    if previous.kind not in ("click", "typing") or previous.pointer is None or _dist(before, arrived) > POINTER_MOVE_PX:
        return False
    return float(np.hypot(previous.pointer[0] - arrived.x, previous.pointer[1] - arrived.y)) <= POINTER_MOVE_PX


def _moved_before(scan: Scan, run: StableRun, window: float = 2.0) -> bool:
    """Whether the pointer moved during the last `window` seconds of a stable run."""
    end = scan.samples[run.last]
    for s in scan.samples[run.first: run.last + 1]:
        if end.time - s.time <= window and s.pointer is not None and _dist(s.pointer, end.pointer) > POINTER_MOVE_PX:
            return True
    return False


def _typed_text(a: StableRun, b: StableRun, boxes: list[PBox], carets: tuple[list[PBox], list[PBox]] = ([], [])) -> str | None:
    """OCR of the typed line before and after; the text added. `carets`: the blinking carets
    seen while each state lasted, painted out (OCR reads a caret as 'l' or 'I')."""
    x, y, w, h = union_all(boxes).as_tuple()
    H, W = b.image.shape[:2]
    x = glyph_start(b.image, x, y, h)
    x0, y0 = max(0, x - h // 3), max(0, y - h // 3)
    x1, y1 = min(W, x + w + h // 2), min(H, y + h + h // 3)
    crops = []
    for run, seen in zip((a, b), carets, strict=True):
        crop = run.image[y0:y1, x0:x1].copy()
        fill = [int(v) for v in np.median(crop.reshape(-1, 3), axis=0)]
        if run.pointer is not None:
            px, py, pw, ph = run.pointer.box.as_tuple()
            cv2.rectangle(crop, (px - x0 - 1, py - y0 - 1), (px - x0 + pw + 1, py - y0 + ph + 1), fill, -1)
        for box in set(seen):
            _paint_caret(crop, PBox(x=box.x - x0, y=box.y - y0, width=box.width, height=box.height), fill)
        crops.append(strip_rules(crop))
    before, after = (read_text(c).strip(" |") for c in crops)  # '|': a field border or caret
    if not after:
        return None
    if before and after.startswith(before):
        return after[len(before):].strip() or after
    return after


def _masked_typing(a: StableRun, b: StableRun, at: PointerHit | None, regions: list[ChangeRegion]) -> int | None:
    """How many characters went into a masked field (a password's dots, `masked_typed`):
    a row of dots that grew on the pointer's row, starting left of it, where the page
    changed; None when there is none."""
    if at is None:
        return None
    band = PBox(x=0, y=max(0, round(at.y - MASK_ROW)), width=b.image.shape[1], height=2 * MASK_ROW)
    found = masked_typed(cv2.cvtColor(a.image, cv2.COLOR_BGR2GRAY), cv2.cvtColor(b.image, cv2.COLOR_BGR2GRAY), band, max_x=at.x)
    if found is None:
        return None
    count, run = found
    run = PBox(x=run.x + band.x, y=run.y + band.y, width=run.width, height=run.height)
    return count if any(r.box.overlaps(run) for r in regions) else None


def _blinking(samples: list[Sample]) -> list[PBox]:
    """Caret-like marks that changed at least twice in the same place (on, off): a blinking
    caret, not a narrow glyph typed once."""
    seen = Counter(c for s in samples for c in s.carets)
    return [c for c, n in seen.items() if n >= 2]


def _paint_caret(crop: np.ndarray, box: PBox, fill: list[int]) -> None:
    """Paint out the caret inside `box` (crop coordinates) when it is drawn: the rightmost
    column run, at most 3 px wide, whose pixels differ from the background over most of the
    box height (a glyph's stem left of it stays)."""
    x, y, w, h = box.as_tuple()
    H, W = crop.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    ink = (np.abs(crop[y0:y1, x0:x1].astype(np.int16) - np.array(fill, np.int16)).max(axis=2) > 60).mean(axis=0) >= 0.6
    cols = np.flatnonzero(ink)
    if cols.size == 0:
        return
    right = int(cols[-1])
    left = right
    while left - 1 >= 0 and ink[left - 1]:
        left -= 1
    if right - left + 1 <= 3:
        crop[y0:y1, x0 + left:x0 + right + 1] = fill


@dataclass
class TypingJob:
    """What OCR needs to read the text typed in event `index`."""

    index: int
    before: StableRun
    after: StableRun
    boxes: list[PBox]
    carets: tuple[list[PBox], list[PBox]] = ([], [])

    def run(self) -> str | None:
        return _typed_text(self.before, self.after, self.boxes, self.carets)


def build_events(scan: Scan, runs: list[StableRun], ocr: bool = True,
                 jobs: list[TypingJob] | None = None) -> list[PerceivedEvent]:
    """One event per pair of consecutive stable runs (keyframe indices = run indices).

    With `ocr` the typed text is read now; else typing events are appended to `jobs`.
    """
    events: list[PerceivedEvent] = []
    H = scan.info.height
    for k, (a, b) in enumerate(itertools.pairwise(runs)):
        between = scan.samples[a.last + 1: b.first + 1]
        regions = state_diff(scan, a, b)
        click = _click_sample(between)
        kind: EventKind = "unknown"
        conf = 0.4
        arrived = scan.samples[b.first].pointer
        pointer = (arrived.x, arrived.y) if arrived is not None else None
        typed: str | None = None
        key: str | None = None
        dxdy = _scroll(scan, a, b, regions)
        typing = _typing_boxes(between, regions, H, jumps=dxdy is None)  # a line growing by jumps is no match for a scroll
        if typing is None and dxdy is None and click is not None:  # a short entry drawn at once into the clicked field
            typing = typed_at_once(between, regions, a, b, click)
        since = a  # the state the typed text is read against
        if typing is None and dxdy is None and click is None and arrived is not None and events \
                and _rests_after(events[-1], a.pointer, arrived):  # typing went on into the field just clicked
            typing = typed_after(between, regions, a, b, Point(x=arrived.x, y=arrived.y))
            if typing is not None and events[-1].kind == "click":
                since = runs[k - 1]  # its first keys landed in the click's own change
        hidden = _masked_typing(a, b, click.pointer if click is not None and click.pointer is not None else arrived, regions) \
            if click is not None or typing is not None else None
        if hidden is not None:  # typed into a masked field: what shows is its dots
            kind, conf, typed = "typing", 0.7, MASK_DOT * hidden
            if click is not None and click.pointer is not None:
                pointer = (click.pointer.x, click.pointer.y)
        elif click is not None and click.ring is not None and typing is None:  # a click indicator beats a translation
            kind, conf = "click", 0.9
            if click.pointer is not None:
                pointer = (click.pointer.x, click.pointer.y)
        elif dxdy is not None and typing is None:  # typing may push content below it down
            kind, conf = "scroll", 0.8
        elif typing is not None:
            kind, conf = "typing", 0.7
            carets = (_blinking(scan.samples[since.first:since.last + 1]), _blinking(scan.samples[b.first:b.last + 1]))
            if ocr:
                typed = _typed_text(since, b, typing, carets)
            elif jobs is not None:
                jobs.append(TypingJob(k, since, b, typing, carets))
            if click is not None and click.pointer is not None:
                pointer = (click.pointer.x, click.pointer.y)
        elif click is not None:
            kind, conf = "click", 0.9 if click.ring is not None else 0.7
            if click.pointer is not None:
                pointer = (click.pointer.x, click.pointer.y)
        elif _moved_before(scan, a) and regions:
            kind, conf = "click", 0.5
            if a.pointer is not None:
                pointer = (a.pointer.x, a.pointer.y)
        elif regions and _dist(a.pointer, arrived) <= POINTER_MOVE_PX:
            kind, conf, key = "key", 0.5, "Enter"
        events.append(PerceivedEvent(
            index=k, start=round(a.end, 3), end=round(b.start, 3), kind=kind, regions=regions,
            pointer=(round(pointer[0], 1), round(pointer[1], 1)) if pointer else None,
            click=kind == "click" or (kind == "typing" and click is not None), typed_text=typed, key=key,
            pressed=kind in ("click", "typing") and click is not None and click.ring is not None,
            scroll_dx=round(dxdy[0], 1) if dxdy else 0.0, scroll_dy=round(dxdy[1], 1) if dxdy else 0.0,
            before_keyframe=k, after_keyframe=k + 1, confidence=conf,
        ))
    return events
