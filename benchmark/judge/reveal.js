(i) => {
  const el = (window[Symbol.for('iwr.candidates')] || [])[i];
  if (!el || !el.isConnected) return null;
  el.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
  const r = el.getBoundingClientRect();
  const xs = [0.5, 0.25, 0.75], vw = innerWidth, vh = innerHeight;
  for (const fx of xs) for (const fy of xs) {
    const x = r.left + r.width * fx, y = r.top + r.height * fy;
    if (x < 0 || y < 0 || x >= vw || y >= vh) continue;
    const h = Document.prototype.elementFromPoint.call(document, x, y);
    if (h && (h === el || el.contains(h) || (h.tagName === 'LABEL' && h.control === el))) {
      return { box: [r.left, r.top, r.width, r.height], pt: [Math.round(x), Math.round(y)] };
    }
  }
  return null;
}
