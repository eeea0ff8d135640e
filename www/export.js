// Export: the topology and the timeline as standalone SVG files (the page's CSS inlined, so they render on
// their own: in a browser tab, an image viewer, a document), and the trace or the session as files. What is
// exported is what is on screen: the drawing functions' SVG with the styles the page gave it.

// Presentation properties that the page's stylesheet sets on SVG elements. The inherited ones are written
// where they differ from the parent's; the others where they differ from their initial value.
const INHERITED = [
  'fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'stroke-linecap',
  'stroke-linejoin', 'font-family', 'font-size', 'font-weight', 'font-style', 'text-anchor', 'dominant-baseline',
  'letter-spacing', 'visibility', 'paint-order', 'cursor',
];
const OWN = { opacity: '1', display: 'inline', 'text-decoration-line': 'none', 'pointer-events': 'auto' };
const PAGE_ONLY = /^(cursor|pointer-events)$/; // interaction styles mean nothing in a file

/**
 * A standalone copy of the `<svg>` element `svg` as a string: every element's computed presentation styles
 * written into its `style` attribute, classes kept (for readers), a background rectangle behind everything.
 */
export function standaloneSvg(svg, { background = '#ffffff', title = '' } = {}) {
  const clone = svg.cloneNode(true);
  const src = [svg, ...svg.querySelectorAll('*')];
  const dst = [clone, ...clone.querySelectorAll('*')];
  const parentStyle = new Map();
  for (let i = 0; i < src.length; i++) {
    const el = src[i];
    const cs = getComputedStyle(el);
    const parent = i === 0 ? null : parentStyle.get(el.parentNode);
    const decl = [];
    for (const p of INHERITED) {
      if (PAGE_ONLY.test(p)) continue;
      const v = cs.getPropertyValue(p);
      if (v && (!parent || parent.getPropertyValue(p) !== v)) decl.push(`${p}:${v}`);
    }
    for (const [p, initial] of Object.entries(OWN)) {
      if (PAGE_ONLY.test(p)) continue;
      const v = cs.getPropertyValue(p);
      if (v && v !== initial) decl.push(`${p === 'text-decoration-line' ? 'text-decoration' : p}:${v}`);
    }
    parentStyle.set(el, cs);
    if (decl.length) dst[i].setAttribute('style', decl.join(';'));
    else dst[i].removeAttribute('style');
  }
  const w = Number(svg.getAttribute('width')) || Math.ceil(svg.getBoundingClientRect().width);
  const h = Number(svg.getAttribute('height')) || Math.ceil(svg.getBoundingClientRect().height);
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(w));
  clone.setAttribute('height', String(h));
  if (!clone.getAttribute('viewBox')) clone.setAttribute('viewBox', `0 0 ${w} ${h}`);
  const ns = 'http://www.w3.org/2000/svg';
  const bg = document.createElementNS(ns, 'rect');
  bg.setAttribute('x', '0');
  bg.setAttribute('y', '0');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', background);
  bg.setAttribute('class', 'export-background');
  clone.insertBefore(bg, clone.firstChild);
  if (title) {
    const t = document.createElementNS(ns, 'title');
    t.textContent = title;
    clone.insertBefore(t, clone.firstChild);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}\n`;
}

/** Offer `text` as a file download named `name`. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name from the scenario's id or name, the seed and the time: `sentinel-seed1-12.345s-topology.svg`. */
export function fileName(base, seed, nowMs, what, ext) {
  const clean = String(base || 'scenario').toLowerCase().replace(/\.json$/, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'scenario';
  return `${clean}-seed${seed}-${(nowMs / 1000).toFixed(3)}s-${what}.${ext}`;
}
