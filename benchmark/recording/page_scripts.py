"""JavaScript the recorder runs in the page: image scan, scrolling, cursor shape, next frame."""

# Every image an element uses: <img>, <input type=image>, <video poster>, SVG <image>,
# CSS background/list-style/border images (also on ::before/::after) and link icons.
# `box` is the part drawn inside the viewport (clipped by overflow ancestors) and not hidden
# under something opaque drawn over it (a sticky header, a panel, a dialog), or null. What
# covers an element is read by hit-testing a grid of points over its box: a point is hidden
# when the topmost element there is neither the element nor inside it, and that element (or
# an ancestor up to the one it shares with the element) paints an opaque background or is a
# picture, with no translucency on the way (a dimming backdrop or a caption's text leave the
# picture visible). Elements that take no pointer events cannot be hit-tested and keep the
# clipped box.
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
  const alpha = (colour) => { if (!colour || colour === 'transparent') return 0;
    const m = colour.match(/rgba\\(([^)]*)\\)/) || colour.match(/\\/\\s*([0-9.]+%?)\\s*\\)/);
    if (!m) return 1;
    const v = m[1].includes(',') ? m[1].split(',')[3] : m[1];
    return v.trim().endsWith('%') ? parseFloat(v) / 100 : parseFloat(v); };
  const covers = (hit, el) => {
    const chain = [];
    for (let a = hit; a && !a.contains(el); a = a.parentElement) chain.push(a);
    if (chain.some((a) => parseFloat(getComputedStyle(a).opacity) < 1)) return false;
    return chain.some((a) => { const cs = getComputedStyle(a);
      return alpha(cs.backgroundColor) >= 1 || cs.backgroundImage !== 'none' || a instanceof HTMLImageElement
        || a instanceof HTMLCanvasElement || a instanceof HTMLVideoElement || a instanceof HTMLIFrameElement; });
  };
  const unhidden = (el, b) => {
    if (!b || getComputedStyle(el).pointerEvents === 'none') return b;
    const nx = Math.min(16, Math.max(1, Math.ceil(b.width / 8))), ny = Math.min(16, Math.max(1, Math.ceil(b.height / 8)));
    const sx = b.width / nx, sy = b.height / ny;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) {
      const hit = document.elementFromPoint(b.x + (i + 0.5) * sx, b.y + (j + 0.5) * sy);
      if (hit && hit !== el && !el.contains(hit) && covers(hit, el)) continue;
      x0 = Math.min(x0, b.x + i * sx); y0 = Math.min(y0, b.y + j * sy);
      x1 = Math.max(x1, b.x + (i + 1) * sx); y1 = Math.max(y1, b.y + (j + 1) * sy);
    }
    return x1 > x0 ? {x: x0, y: y0, width: x1 - x0, height: y1 - y0} : null;
  };
  const drawnBox = (el) => {
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) return null;
    const r = el.getBoundingClientRect();
    return (r.width > 0 && r.height > 0) ? unhidden(el, clip(el, r)) : null;
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
