// Page-state probes for the replay engine, evaluated as `(args) => ...` with args.op:
//   'text'   -> the text visible in the viewport (text nodes of visible elements in viewport,
//               plus values of visible form fields), one line per element, capped.
//   'snap'   -> remember the scroll offsets of the window and every scrolled/scrollable element.
//   'moved'  -> the largest scroll offset change since 'snap' (px).
//   'scrollFromSnap' -> programmatic fallback scroll: the element under args.point (or the window)
//               goes to its offset at 'snap' plus args.delta. Absolute, so a wheel that lands late
//               (before or after it) is not added twice: calling it again restores the target.
//   'frame'  -> resolves after two real animation frames (the paused page clock does not hold
//               them), at most 250 ms of real time: scroll offsets the compositor applied are
//               visible to the page by then.
(args) => {
  const vw = innerWidth, vh = innerHeight;
  if (args.op === 'text') {
    const maxChars = args.maxChars || 20000, maxNodes = args.maxNodes || 30000;
    const seen = new Map();
    const visible = (el) => {
      let v = seen.get(el);
      if (v !== undefined) return v;
      const r = el.getBoundingClientRect();
      v = r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < vw && r.top < vh;
      if (v) { const s = getComputedStyle(el); v = s.visibility !== 'hidden' && parseFloat(s.opacity) > 0.05; }
      seen.set(el, v);
      return v;
    };
    const lines = [];
    let chars = 0, nodes = 0, last = null;
    const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'HEAD']);
    const walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT,
      { acceptNode: (n) => {
        if (n.nodeType !== 1) return NodeFilter.FILTER_ACCEPT;
        if (SKIP.has(n.tagName)) return NodeFilter.FILTER_REJECT;
        // a sized box wholly outside the viewport: its subtree is too (a wrapper of only
        // fixed/absolute children has no size and is kept)
        const r = n.getBoundingClientRect();
        if (r.width > 0 && r.height > 0 && (r.bottom < 0 || r.top > vh || r.right < 0 || r.left > vw)) return NodeFilter.FILTER_REJECT;
        return NodeFilter.FILTER_ACCEPT;
      } });
    for (let n = walker.nextNode(); n && chars < maxChars && nodes < maxNodes; n = walker.nextNode()) {
      nodes++;
      if (n.nodeType === 1) {
        const tag = n.tagName;
        if ((tag === 'INPUT' || tag === 'TEXTAREA') && n.type !== 'hidden' && n.type !== 'password' && visible(n)) {
          const v = (n.value || '').trim() || (n.getAttribute('placeholder') || '').trim();
          if (v) { lines.push(v); chars += v.length; last = null; }
        } else if (tag === 'SELECT' && visible(n) && n.selectedOptions && n.selectedOptions[0]) {
          const v = n.selectedOptions[0].text.trim();
          if (v) { lines.push(v); chars += v.length; last = null; }
        }
        continue;
      }
      const t = n.nodeValue.replace(/\s+/g, ' ').trim();
      if (!t) continue;
      const p = n.parentElement;
      if (!p || p.tagName === 'OPTION' || !visible(p)) continue;
      if (p === last && lines.length) lines[lines.length - 1] += ' ' + t;
      else lines.push(t);
      last = p;
      chars += t.length;
    }
    return lines.join('\n');
  }
  if (args.op === 'snap' || args.op === 'moved') {
    const se = document.scrollingElement || document.documentElement;
    const els = [];
    const all = document.getElementsByTagName('*');
    for (let i = 0; i < all.length && i < 30000; i++) {
      const el = all[i];
      if (el === se) continue;
      if (el.scrollTop || el.scrollLeft || el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) els.push(el);
    }
    if (args.op === 'snap') {
      const m = new Map();
      for (const el of els) m.set(el, [el.scrollTop, el.scrollLeft]);
      window.__iwrScrollSnap = { win: [scrollX, scrollY], m };
      return els.length;
    }
    const s = window.__iwrScrollSnap;
    if (!s) return 0;
    let moved = Math.max(Math.abs(scrollX - s.win[0]), Math.abs(scrollY - s.win[1]));
    for (const el of els) {
      const b = s.m.get(el) || [0, 0];
      moved = Math.max(moved, Math.abs(el.scrollTop - b[0]), Math.abs(el.scrollLeft - b[1]));
    }
    return moved;
  }
  if (args.op === 'scrollFromSnap') {
    const [dx, dy] = args.delta;
    const s = window.__iwrScrollSnap;
    let el = args.point ? document.elementFromPoint(args.point[0], args.point[1]) : null;
    while (el && el !== document.body && el !== document.documentElement) {
      const st = getComputedStyle(el);
      if ((dy && /(auto|scroll|overlay)/.test(st.overflowY) && el.scrollHeight > el.clientHeight) ||
          (dx && /(auto|scroll|overlay)/.test(st.overflowX) && el.scrollWidth > el.clientWidth)) {
        const [top, left] = (s && s.m.get(el)) || [el.scrollTop, el.scrollLeft];
        el.scrollTo({ left: left + dx, top: top + dy, behavior: 'instant' });
        return true;
      }
      el = el.parentElement;
    }
    const [x, y] = s ? s.win : [scrollX, scrollY];
    window.scrollTo({ left: x + dx, top: y + dy, behavior: 'instant' });
    return true;
  }
  if (args.op === 'frame') {
    const real = window.__iwrReal;
    return new Promise((resolve) => {
      let done = false;
      const finish = () => { if (!done) { done = true; resolve(true); } };
      if (!real) { setTimeout(finish, 30); return; }
      real.raf(() => real.raf(finish));
      real.setTimeout(finish, 250);
    });
  }
  return null;
}
