(args) => {
  const dir = args.direction, vw = innerWidth, vh = innerHeight;
  const canScroll = (el) => {
    const s = getComputedStyle(el);
    if (dir === 'left' || dir === 'right') {
      return /(auto|scroll|overlay)/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 2 &&
        (dir === 'right' ? el.scrollLeft + el.clientWidth < el.scrollWidth - 2 : el.scrollLeft > 0);
    }
    return /(auto|scroll|overlay)/.test(s.overflowY) && el.scrollHeight > el.clientHeight + 2 &&
      (dir === 'down' ? el.scrollTop + el.clientHeight < el.scrollHeight - 2 : el.scrollTop > 0);
  };
  const se = document.scrollingElement || document.documentElement;
  const winCan = (dir === 'down') ? (innerHeight + scrollY < se.scrollHeight - 2) : (dir === 'up') ? scrollY > 0
    : (dir === 'right') ? (innerWidth + scrollX < se.scrollWidth - 2) : scrollX > 0;
  const describe = (el) => '<' + el.tagName.toLowerCase() + '> ' + (el.getAttribute('aria-label') || (el.innerText || '').trim().slice(0, 40));
  const boxOf = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
  const inner = (x, y) => {
    let el = document.elementFromPoint(x, y);
    while (el && el !== document.body && el !== document.documentElement) {
      if (canScroll(el)) return el;
      el = el.parentElement;
    }
    return null;
  };
  if (args.page && winCan) {
    // the description names the page itself: wheel where no inner scroller catches the wheel
    const pts = args.hint ? [args.hint] : [];
    for (const fy of [0.5, 0.25, 0.75, 0.1, 0.9]) for (const fx of [0.5, 0.1, 0.9, 0.3, 0.7]) pts.push([vw * fx, vh * fy]);
    for (const pt of pts) if (!inner(pt[0], pt[1])) return { kind: 'window', point: pt, box: [0, 0, vw, vh], desc: 'window' };
  }
  if (args.hint) {
    const el = inner(args.hint[0], args.hint[1]);
    if (el) return { kind: 'element', point: args.hint, box: boxOf(el), desc: describe(el) };
    if (winCan) return { kind: 'window', point: args.hint, box: [0, 0, vw, vh], desc: 'window' };
  }
  if (winCan) return { kind: 'window', point: [vw / 2, vh / 2], box: [0, 0, vw, vh], desc: 'window' };
  let best = null, area = 0;
  const all = document.body ? document.body.getElementsByTagName('*') : [];
  for (let i = 0; i < all.length && i < 20000; i++) {
    const el = all[i];
    if (el.scrollHeight <= el.clientHeight + 2 && el.scrollWidth <= el.clientWidth + 2) continue;
    const r = el.getBoundingClientRect();
    const w = Math.min(r.right, vw) - Math.max(r.left, 0), h = Math.min(r.bottom, vh) - Math.max(r.top, 0);
    if (w <= 0 || h <= 0 || !canScroll(el)) continue;
    if (w * h > area) { area = w * h; best = el; }
  }
  if (best) {
    const b = boxOf(best);
    const x = Math.max(0, b[0]) + Math.min(b[2], vw) / 2, y = Math.max(0, b[1]) + Math.min(b[3], vh) / 2;
    return { kind: 'element', point: [Math.min(x, vw - 1), Math.min(y, vh - 1)], box: b, desc: describe(best) };
  }
  return { kind: 'window', point: [vw / 2, vh / 2], box: [0, 0, vw, vh], desc: 'window (nothing scrollable)' };
}
