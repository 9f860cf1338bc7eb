// Init script of the judge's pages: marks every element the page gives a pointer listener
// through addEventListener (click, dblclick, mouse/pointer down or up, touch start or end)
// in a WeakSet that the DOM grounder reads (dom_candidates.js). A control whose only sign is
// its handler (a transparent SVG point of a game board, a div with a listener and no pointer
// cursor) is then a candidate like a button. The page's own calls behave exactly as before.
(() => {
  const KEY = Symbol.for('iwr.listeners');
  if (window[KEY]) return;
  const marked = new WeakSet();
  Object.defineProperty(window, KEY, { value: marked });
  const TYPES = new Set(['click', 'dblclick', 'mousedown', 'mouseup', 'pointerdown', 'pointerup', 'touchstart', 'touchend']);
  const proto = EventTarget.prototype;
  const add = proto.addEventListener;
  const wrapped = {
    addEventListener(type, listener, options) {
      if (TYPES.has(type) && this instanceof Element) marked.add(this);
      return add.call(this, type, listener, options);
    },
  }.addEventListener;
  Object.defineProperty(wrapped, 'toString', { value: () => add.toString() });
  Object.defineProperty(proto, 'addEventListener', { value: wrapped, writable: true, configurable: true });
})();
