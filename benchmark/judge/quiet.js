// Init script (runs before the page's scripts): tracks what the replay must wait for.
// Defines a non-writable `window.__iwrQuiet` holding: the time of the last DOM mutation,
// pending short timers (setTimeout <= 1 s) and in-flight fetch/XHR, plus helpers
// settle(), visibleText(), snapScroll(), scrollMoved() used by the replay engine.
// It keeps the real timers it found: under a page clock (installed after it) its own waits
// stay real, its timer tracking no longer sees the page's (the page-time tracker does).
(() => {
  if (window.__iwrQuiet) return;
  const st = { lastMutation: performance.now(), timers: new Set(), inflight: 0, scrollSnap: null };
  const sT = window.setTimeout.bind(window), cT = window.clearTimeout.bind(window);
  const raf = window.requestAnimationFrame.bind(window);
  const pnow = performance.now.bind(performance), now = () => pnow();  // real time, also under a page clock
  try {
    new MutationObserver(() => { st.lastMutation = now(); })
      .observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  } catch (e) {}
  window.setTimeout = function (fn, delay, ...rest) {
    const d = Number(delay) || 0;
    // short UI delays are awaited; sub-frame ticks (game loops) and long timers are not
    if (typeof fn !== 'function' || d > 1000 || d < 20) return sT(fn, delay, ...rest);
    const id = sT(function () { st.timers.delete(id); return fn.apply(this, arguments); }, delay, ...rest);
    st.timers.add(id);
    return id;
  };
  window.clearTimeout = function (id) { st.timers.delete(id); return cT(id); };
  const done = () => { st.inflight = Math.max(0, st.inflight - 1); };
  if (window.fetch) {
    const f = window.fetch;
    window.fetch = function () {
      st.inflight++;
      let p;
      try { p = f.apply(this, arguments); } catch (e) { done(); throw e; }
      p.then(done, done);
      return p;
    };
  }
  if (window.XMLHttpRequest) {
    const send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.send = function () {
      st.inflight++;
      this.addEventListener('loadend', done, { once: true });
      try { return send.apply(this, arguments); } catch (e) { done(); throw e; }
    };
  }
  const frame = () => new Promise((r) => { const t = sT(r, 50); raf(() => { cT(t); r(); }); });
  const finishAnimations = () => {
    let n = 0;
    try {
      for (const a of document.getAnimations()) {
        const t = a.effect && a.effect.getTiming ? a.effect.getTiming() : null;
        if (a.playState === 'running' && t && t.iterations !== Infinity && t.duration !== Infinity) {
          try { a.finish(); n++; } catch (e) {}
        }
      }
    } catch (e) {}
    return n;
  };
  const api = {
    state: st,
    // Resolve when the DOM was quiet for quietMin ms with no pending short timer or request,
    // or quiet for busyMax ms with something still pending, or after cap ms.
    // Finite animations are finished on the way.
    settle: async (o) => {
      const t0 = now();
      let anims = 0, frames = 0;
      for (;;) {
        await frame();
        frames++;
        if (o.finish !== false) anims += finishAnimations();  // off when animations follow a page clock
        const t = now(), quiet = t - st.lastMutation;
        const busy = st.timers.size > 0 || st.inflight > 0;
        if (frames >= 2 && !busy && quiet >= o.quietMin) return { ms: t - t0, anims, reason: 'quiet' };
        if (!busy && quiet >= o.quietMax) return { ms: t - t0, anims, reason: 'quiet' };
        if (quiet >= o.busyMax) return { ms: t - t0, anims, reason: 'quiet-busy' };
        if (t - t0 >= o.cap) return { ms: t - t0, anims, reason: 'cap' };
      }
    },
  };
  try {
    Object.defineProperty(window, '__iwrQuiet', { value: Object.freeze(api), configurable: false, writable: false, enumerable: false });
  } catch (e) {}
})();
