"""JavaScript the recorder runs in the page: image scan, scrolling, cursor shape, next frame."""

# Every image an element uses: <img>, <input type=image>, <video poster>, SVG <image>,
# CSS background/list-style/border images (also on ::before/::after) and link icons.
# `box` is the part drawn inside the viewport (clipped by overflow ancestors), or null.
SCAN_IMAGES_JS = """() => {
  const vw = innerWidth, vh = innerHeight, out = [];
  const abs = (u) => { try { return new URL(u, document.baseURI).href; } catch (e) { return null; } };
  const cssUrls = (v) => { const r = []; const re = /url\\(\\s*(['"]?)(.*?)\\1\\s*\\)/g; let m;
    while ((m = re.exec(v || ''))) r.push(m[2]); return r; };
  const clip = (el, r) => {
    let x0 = Math.max(0, r.left), y0 = Math.max(0, r.top), x1 = Math.min(vw, r.right), y1 = Math.min(vh, r.bottom);
    for (let a = el.parentElement; a && x0 < x1 && y0 < y1; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') {
        const ar = a.getBoundingClientRect();
        if (cs.overflowX !== 'visible') { x0 = Math.max(x0, ar.left); x1 = Math.min(x1, ar.right); }
        if (cs.overflowY !== 'visible') { y0 = Math.max(y0, ar.top); y1 = Math.min(y1, ar.bottom); }
      }
      if (cs.position === 'fixed') break;
    }
    return (x1 - x0 >= 1 && y1 - y0 >= 1) ? {x: x0, y: y0, width: x1 - x0, height: y1 - y0} : null;
  };
  const drawnBox = (el) => {
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) return null;
    const r = el.getBoundingClientRect();
    return (r.width > 0 && r.height > 0) ? clip(el, r) : null;
  };
  const push = (url, kind, box) => { const u = url && abs(url); if (u && /^https?:/.test(u)) out.push({url: u, kind, box}); };
  for (const l of document.querySelectorAll('link[rel~="icon"], link[rel="apple-touch-icon"]')) push(l.getAttribute('href'), 'icon', null);
  for (const el of document.querySelectorAll('body, body *')) {
    let box;
    const boxOnce = () => (box === undefined ? (box = drawnBox(el)) : box);
    if (el instanceof HTMLImageElement && el.currentSrc) push(el.currentSrc, 'img', el.complete && el.naturalWidth ? boxOnce() : null);
    else if (el instanceof HTMLInputElement && el.type === 'image' && el.src) push(el.src, 'img', boxOnce());
    else if (el instanceof HTMLVideoElement && el.poster) push(el.poster, 'poster', boxOnce());
    else if (el instanceof SVGImageElement) push(el.href.baseVal, 'img', boxOnce());
    const cs = getComputedStyle(el);
    for (const prop of ['backgroundImage', 'listStyleImage', 'borderImageSource'])
      for (const u of cssUrls(cs[prop])) push(u, 'background', boxOnce());
    for (const pseudo of ['::before', '::after']) {
      const ps = getComputedStyle(el, pseudo);
      if (!ps.content || ps.content === 'none' || ps.content === 'normal') continue;
      for (const u of [...cssUrls(ps.backgroundImage), ...cssUrls(ps.content)]) push(u, 'background', boxOnce());
    }
  }
  return out;
}"""

SCROLL_JS = """(el, [dx, dy]) => {
  const scrollable = (e) => { const cs = getComputedStyle(e);
    const y = /(auto|scroll|overlay)/.test(cs.overflowY) && e.scrollHeight > e.clientHeight;
    const x = /(auto|scroll|overlay)/.test(cs.overflowX) && e.scrollWidth > e.clientWidth;
    return (dy && y) || (dx && x); };
  let t = el;
  while (t && t !== document.body && t !== document.documentElement && !scrollable(t)) t = t.parentElement;
  if (!t || t === document.body || t === document.documentElement) t = document.scrollingElement || document.documentElement;
  const x0 = t.scrollLeft, y0 = t.scrollTop;
  t.scrollBy({left: dx, top: dy, behavior: 'instant'});
  return [t.scrollLeft - x0, t.scrollTop - y0];
}"""

CURSOR_AT_JS = """([x, y]) => { const el = document.elementFromPoint(x, y); return el ? getComputedStyle(el).cursor : 'auto'; }"""
# two real rendering frames (the page's own requestAnimationFrame follows the paused clock)
NEXT_FRAME_JS = """() => new Promise(r => { const raf = (window.__iwrReal || {}).raf || requestAnimationFrame;
  raf(() => raf(() => r(true))); })"""
