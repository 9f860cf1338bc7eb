(p) => {
  const el = document.elementFromPoint(p[0], p[1]);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  const name = el.getAttribute('aria-label') || (el.innerText || el.value || '').trim().slice(0, 60);
  return { box: [r.left, r.top, r.width, r.height], desc: '<' + el.tagName.toLowerCase() + '> ' + name };
}
