// Collects the visible interactive elements of the viewport (and visible text blocks used as
// spatial anchors) for the DOM grounder. One function, evaluated with `args`:
//   {maxNodes, maxMillis, maxTexts}. Returns {vw, vh, candidates, texts, truncated}.
// Candidate fields: i (DOM order), tag, role, type, text, aria, label, placeholder, title, alt,
// value, name, ctx (nearest container text), ctx2 (larger container), card (own container of
// identical controls, when there are such), heading (the text of the last rendered heading
// before it in document order: its section's title), box [x,y,w,h],
// pt [x,y] (a point where the element is hit), reason, icon, img, checked, disabled, editable.
(args) => {
  // real time, also when the page lives on a paused page clock (page_clock.REAL_TIME_JS)
  const clockNow = (window.__iwrReal && window.__iwrReal.now) || performance.now.bind(performance);
  const t0 = clockNow();
  const maxNodes = args.maxNodes || 40000, maxMillis = args.maxMillis || 400, maxTexts = args.maxTexts || 1500;
  const vw = window.innerWidth, vh = window.innerHeight;
  const TAGS = new Set(['A', 'BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'SUMMARY', 'LABEL', 'OPTION']);
  const ROLES = new Set(['button', 'link', 'tab', 'checkbox', 'radio', 'menuitem', 'menuitemcheckbox',
    'menuitemradio', 'option', 'switch', 'textbox', 'searchbox', 'combobox', 'slider', 'spinbutton', 'treeitem']);
  const SKIP = new Set(['SCRIPT', 'STYLE', 'HEAD', 'META', 'LINK', 'NOSCRIPT', 'TEMPLATE', 'TITLE', 'BR']);
  const CONTAINERS = new Set(['LI', 'TR', 'ARTICLE', 'SECTION', 'FORM', 'FIELDSET', 'ASIDE', 'NAV', 'HEADER', 'FOOTER', 'DIALOG', 'TD', 'DL', 'FIGURE']);
  const clean = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const cut = (s, n) => (s.length > n ? s.slice(0, n) : s);
  const textCache = new Map();
  const textOf = (el) => {
    let t = textCache.get(el);
    if (t === undefined) {
      // text nodes joined by spaces (textContent glues "Jet</b><b>AU" into "JetAU")
      const parts = [];
      const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let len = 0;
      for (let n = w.nextNode(); n && len < 1400; n = w.nextNode()) {
        const p = n.parentElement;
        if (p && (p.tagName === 'SCRIPT' || p.tagName === 'STYLE')) continue;
        parts.push(n.nodeValue); len += n.nodeValue.length;
      }
      t = clean(parts.join(' '));
      textCache.set(el, t);
    }
    return t;
  };
  const visibleRect = (r) => r.width >= 2 && r.height >= 2 && r.right > 0 && r.bottom > 0 && r.left < vw && r.top < vh;
  const hits = (el, x, y) => {
    const root = el.getRootNode && el.getRootNode();
    // prototype methods: a page may shadow document.elementFromPoint
    const h = root instanceof ShadowRoot ? ShadowRoot.prototype.elementFromPoint.call(root, x, y)
      : Document.prototype.elementFromPoint.call(document, x, y);
    if (!h) return false;
    if (h === el || el.contains(h)) return true;
    // a label forwards clicks to its control; a control inside a hit label is reachable
    if (h.tagName === 'LABEL' && h.control === el) return true;
    return false;
  };
  const hitPoint = (el, r) => {
    const x0 = Math.max(r.left, 0), x1 = Math.min(r.right, vw), y0 = Math.max(r.top, 0), y1 = Math.min(r.bottom, vh);
    const fr = [[0.5, 0.5], [0.25, 0.5], [0.75, 0.5], [0.5, 0.25], [0.5, 0.75]];
    for (const [fx, fy] of fr) {
      const x = x0 + (x1 - x0) * fx, y = y0 + (y1 - y0) * fy;
      if (hits(el, x, y)) return [Math.round(x), Math.round(y)];
    }
    return null;
  };
  const labelText = (el) => {
    const parts = [];
    try { if (el.labels) for (const l of el.labels) parts.push(clean(l.innerText || l.textContent)); } catch (e) {}
    const lb = el.getAttribute('aria-labelledby');
    if (lb) for (const id of lb.split(/\s+/)) { const n = document.getElementById(id); if (n) parts.push(clean(n.textContent)); }
    const wrap = el.closest && el.closest('label');
    if (wrap && wrap !== el) parts.push(clean(wrap.innerText || wrap.textContent));
    return cut([...new Set(parts)].join(' | '), 200);
  };
  const imgInfo = (el, own) => {
    let alt = el.getAttribute('alt') || '';
    if (own.length > 2) return { alt: clean(alt), img: el.tagName === 'IMG' || !!el.querySelector('img,svg,canvas,picture') };
    const img = el.tagName === 'IMG' || el.tagName === 'SVG' || el.tagName === 'CANVAS' ? el : el.querySelector('img,svg,canvas,picture');
    if (!alt && img) alt = img.getAttribute('alt') || img.getAttribute('aria-label') || '';
    if (!alt && img && img.tagName && img.tagName.toLowerCase() === 'svg') { const t = img.querySelector('title'); if (t) alt = t.textContent; }
    return { alt: clean(alt), img: !!img };
  };
  const containers = (el, own) => {
    let ctx = '', ctx2 = '';
    let n = el.parentElement, depth = 0;
    while (n && n !== document.body && depth < 8) {
      const t = textOf(n);
      if (!ctx && t.length > own.length + 2 && t.length <= 400) ctx = t;
      const boundary = CONTAINERS.has(n.tagName) || (n.getAttribute && n.getAttribute('role'));
      if (ctx && t.length <= 1200 && (boundary || t.length > ctx.length * 1.5)) { ctx2 = t; break; }
      if (t.length > 1200) break;
      n = n.parentElement; depth++;
    }
    return { ctx: cut(ctx, 300), ctx2: cut(ctx2, 600) };
  };
  const candidates = [], texts = [], els = [];
  const maxOff = args.maxOffscreen || 200;
  let count = 0, truncated = false, order = 0, offCount = 0, heading = '';
  const stack = [document.body || document.documentElement];
  const pointerOf = new Map();
  const listens = window[Symbol.for('iwr.listeners')];  // set by listeners.js, when the judge installed it
  while (stack.length) {
    const el = stack.pop();
    if (++count > maxNodes || (count % 500 === 0 && clockNow() - t0 > maxMillis)) { truncated = true; break; }
    const tag = el.tagName;
    if (!tag || SKIP.has(tag)) continue;
    const kids = el.children;
    for (let k = kids.length - 1; k >= 0; k--) stack.push(kids[k]);
    if (el.shadowRoot) for (let k = el.shadowRoot.children.length - 1; k >= 0; k--) stack.push(el.shadowRoot.children[k]);
    order++;
    const r = el.getBoundingClientRect();
    if ((/^H[1-6]$/.test(tag) || el.getAttribute('role') === 'heading') && r.width >= 2 && r.height >= 2) heading = cut(textOf(el), 160);
    if (!visibleRect(r)) {
      // outside the viewport: controls by tag/role/handler only (a click scrolls them in)
      if (r.width < 2 || r.height < 2 || offCount >= maxOff) continue;
      const offRole = (el.getAttribute('role') || '').toLowerCase();
      if (!(TAGS.has(tag) || ROLES.has(offRole) || el.hasAttribute('onclick'))) continue;
      if (tag === 'INPUT' && (el.type || '').toLowerCase() === 'hidden') continue;
      if (tag === 'OPTION' || tag === 'LABEL') continue;
      if (el.checkVisibility && !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      offCount++;
      push(el, r, null, 'off', offRole);
      continue;
    }
    // direct text, for anchors
    if (texts.length < maxTexts) {
      let own = '';
      for (const c of el.childNodes) if (c.nodeType === 3) own += c.nodeValue;
      own = clean(own);
      if (own) texts.push({ text: cut(own, 160), box: [r.left, r.top, r.width, r.height] });
    }
    const role = (el.getAttribute('role') || '').toLowerCase();
    const tabindex = el.getAttribute('tabindex');
    let reason = '';
    if (TAGS.has(tag)) reason = 'tag';
    else if (ROLES.has(role)) reason = 'role';
    else if (el.hasAttribute('onclick')) reason = 'onclick';
    else if (el.isContentEditable && !(el.parentElement && el.parentElement.isContentEditable)) reason = 'editable';
    else if (tabindex !== null && parseInt(tabindex, 10) >= 0) reason = 'tabindex';
    else if (el.getAttribute('draggable') === 'true') reason = 'draggable';
    const style = getComputedStyle(el);
    // a hand, or a grab/move cursor (a draggable card opens on a click too)
    const pointer = style.cursor === 'pointer' || style.cursor === 'grab' || style.cursor === 'move';
    pointerOf.set(el, pointer);
    if (!reason && pointer && !pointerOf.get(el.parentElement)) reason = 'pointer';
    // a pointer listener and no other sign (a transparent SVG board point); listeners.js marks them
    if (!reason && ((listens && listens.has(el)) || typeof el.onclick === 'function' || typeof el.onmousedown === 'function'
                    || typeof el.onpointerdown === 'function')) reason = 'listener';
    if (!reason) continue;
    if (tag === 'INPUT' && (el.type || '').toLowerCase() === 'hidden') continue;
    if (tag === 'OPTION' && !(el.parentElement && el.parentElement.size > 1)) continue;
    // an invisible element that takes the clicks (a transparent board point with a listener) stays
    if (style.visibility === 'hidden' || parseFloat(style.opacity) < 0.05) {
      if (!(tag === 'INPUT' && el.labels && el.labels.length) && !(reason === 'listener' && style.visibility !== 'hidden')) continue;
    }
    let pt = hitPoint(el, r);
    if (!pt && tag === 'INPUT' && el.labels && el.labels.length) {
      const lr = el.labels[0].getBoundingClientRect();
      if (visibleRect(lr)) pt = hitPoint(el.labels[0], lr);
    }
    if (!pt) continue;
    push(el, r, pt, reason, role);
  }
  // identical controls (same tag, role, type and name: the 'Add to cart' of every product
  // card) get `card`: the text of their own container, the largest ancestor that holds the
  // control and none of its identical siblings
  function ownContainers(cands, nodes, maxSiblings) {
    const same = new Map();
    cands.forEach((c, k) => {
      const key = [c.tag, c.role, c.type, c.text, c.aria, c.alt].join('\u0001');
      let g = same.get(key);
      if (!g) { g = []; same.set(key, g); }
      g.push(k);
    });
    const up = (k, fn) => {
      for (let n = nodes[k].parentElement, d = 0; n && n !== document.body && d < 16; n = n.parentElement, d++) if (fn(n) === false) break;
    };
    for (const g of same.values()) {
      if (g.length < 2 || g.length > maxSiblings) continue;
      const count = new Map();
      for (const k of g) up(k, (n) => { count.set(n, (count.get(n) || 0) + 1); });
      for (const k of g) {
        let card = null;
        up(k, (n) => { if (count.get(n) > 1) return false; card = n; });
        if (card) cands[k].card = cut(textOf(card), 300);
      }
    }
  }
  function push(el, r, pt, reason, role) {
    const tag = el.tagName;
    const own = cut(clean(el.innerText || ''), 200);
    const { alt, img } = imgInfo(el, own);
    const { ctx, ctx2 } = containers(el, own);
    let value = '';
    if (tag === 'SELECT') value = el.selectedOptions && el.selectedOptions[0] ? clean(el.selectedOptions[0].text) : '';
    else if (tag === 'INPUT' || tag === 'TEXTAREA') value = cut(String(el.value || ''), 120);
    const type = (el.getAttribute('type') || '').toLowerCase();
    const checked = el.checked === true || el.getAttribute('aria-checked') === 'true' || el.getAttribute('aria-selected') === 'true' || el.getAttribute('aria-pressed') === 'true';
    els.push(el);
    candidates.push({
      i: order, off: pt === null, tag: tag.toLowerCase(), role, type, text: own,
      aria: clean(el.getAttribute('aria-label') || ''), label: labelText(el),
      placeholder: clean(el.getAttribute('placeholder') || ''), title: clean(el.getAttribute('title') || ''),
      alt, value, name: clean(el.getAttribute('name') || ''), ctx, ctx2, heading,
      box: [r.left, r.top, r.width, r.height], pt, reason,
      icon: own.length <= 2 && r.width <= 72 && r.height <= 72, img,
      checked, disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true',
      editable: !!el.isContentEditable, haspopup: !!el.getAttribute('aria-haspopup'),
    });
  }
  ownContainers(candidates, els, args.maxSiblings || 400);
  window[Symbol.for('iwr.candidates')] = els;  // for revealing an off-screen choice
  // one JSON string: much cheaper to ship than a large object graph
  return JSON.stringify({ vw, vh, candidates, texts, truncated, millis: clockNow() - t0 });
}
