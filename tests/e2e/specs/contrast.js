// WCAG contrast of the text the page shows, measured from computed colours: each visible element with text of
// its own, its colour against the colour behind it (its own background, else its ancestors', composited with
// their alpha, down to the page's). Text inside a disabled control is exempt (WCAG 1.4.3), as are images.
// The SVG drawings (topology, timeline) are measured too: their labels' fill against what is painted under them.
// Runs in the page (page.evaluate); returns the pieces of text below the ratio they need.
function lowContrast(rootSelectors) {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1,
  });
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  // The colour behind `el`: its and its ancestors' backgrounds, the nearest on top, down to white.
  const behind = (el) => {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg && bg.a > 0) layers.push(bg);
      if (bg && bg.a >= 1) break;
    }
    let c = { r: 255, g: 255, b: 255, a: 1 };
    for (const l of layers.reverse()) c = over(l, c);
    return c;
  };
  const out = [];
  // The drawings' text (SVG): its fill against what is painted under it — the rectangles before it in the
  // drawing (cards, pills, badges, lane bands), composited with their opacity over the drawing's own background;
  // or, for a label with a halo (a stroke painted first, 2 px or wider), that halo.
  const need = 4.5; // SVG labels are all small text
  for (const svg of rootSelectors.flatMap((s) => [...document.querySelectorAll(s)]).flatMap((r) => (r.matches('svg') ? [r] : [...r.querySelectorAll('svg')]))) {
    if (!svg.getClientRects().length) continue;
    const base = behind(svg.parentElement);
    const alphaOf = (el) => {
      let a = 1;
      for (let e = el; e && e !== svg.parentElement; e = e.parentElement) {
        const cs = getComputedStyle(e);
        if (cs.display === 'none' || cs.visibility === 'hidden') return 0;
        a *= Number(cs.opacity);
      }
      return a;
    };
    const rects = [...svg.querySelectorAll('rect')].map((r) => {
      const cs = getComputedStyle(r);
      const fill = parse(cs.fill);
      if (!fill || fill.a === 0) return null;
      const a = fill.a * Number(cs.fillOpacity) * alphaOf(r);
      return a > 0 ? { el: r, box: r.getBoundingClientRect(), fill: { ...fill, a } } : null;
    }).filter(Boolean);
    for (const t of svg.querySelectorAll('text')) {
      const own = t.textContent.trim();
      const alpha = alphaOf(t);
      if (!own || !alpha || !t.getClientRects().length || t.closest('[hidden], defs, marker, .sr-only')) continue;
      const cs = getComputedStyle(t);
      const fill = parse(cs.fill);
      if (!fill) continue;
      const box = t.getBoundingClientRect();
      if (!box.width || !box.height) continue;
      const x = box.left + box.width / 2;
      const y = box.top + box.height / 2;
      let bg = base;
      const halo = parse(cs.stroke);
      if (halo && halo.a > 0 && parseFloat(cs.strokeWidth) >= 2 && cs.paintOrder.startsWith('stroke')) {
        bg = over({ ...halo, a: halo.a * Number(cs.strokeOpacity) * alpha }, bg);
      } else {
        for (const r of rects) {
          if (!(r.el.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
          if (x >= r.box.left && x <= r.box.right && y >= r.box.top && y <= r.box.bottom) bg = over(r.fill, bg);
        }
      }
      const fg = over({ ...fill, a: fill.a * Number(cs.fillOpacity) * alpha }, bg);
      const r = ratio(fg, bg);
      if (r < need - 0.005) {
        const where = t.closest('[data-proc-name], [data-host], [data-lane], [data-repl-label]');
        const tag = where ? ` in ${Object.entries(where.dataset).map(([k, v]) => `${k}=${v}`).join(' ').slice(0, 40)}` : '';
        out.push(`svg text.${[...t.classList].join('.')} "${own.slice(0, 30)}"${tag}: ${r.toFixed(2)}:1 (${cs.fill} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
      }
    }
  }
  for (const root of rootSelectors.flatMap((s) => [...document.querySelectorAll(s)])) {
    for (const el of root.querySelectorAll('*')) {
      if (el.closest('svg, :disabled, [hidden], .sr-only')) continue;
      const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
      if (!own || !el.getClientRects().length) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility !== 'visible' || Number(cs.opacity) === 0) continue;
      const bg = behind(el);
      const fg = over(parse(cs.color), bg);
      const size = parseFloat(cs.fontSize);
      const bold = Number(cs.fontWeight) >= 700;
      const large = size >= 24 || (bold && size >= 18.66);
      const need = large ? 3 : 4.5;
      const r = ratio(fg, bg);
      if (r < need - 0.005) out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${own.slice(0, 40)}": ${r.toFixed(2)}:1 (${cs.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
    }
  }
  return [...new Set(out)];
}
module.exports = { lowContrast };
