// Shared steps for the page tests.
const { expect } = require('@playwright/test');

/** Collect uncaught page errors and console errors, so a test can assert the page stayed clean. */
function trackErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Open the page and wait until it has loaded the wasm package and the first scenario (or failed to). */
async function open(page, query = '') {
  await page.goto(`/index.html${query}`);
  await page.waitForFunction(() => window.app && window.app.status !== 'loading');
  await expect(page.locator('#loading')).toBeHidden();
}

/** Type one line into the console and return the reply text it printed. */
async function type(page, line) {
  const before = await page.locator('.console-entry.reply').count();
  await page.locator('#console-input').fill(line);
  await page.locator('#console-input').press('Enter');
  await expect(page.locator('.console-entry.reply')).toHaveCount(before + 1);
  return page.locator('.console-entry.reply').last();
}

async function metric(page, name) {
  return Number(await page.locator(`[data-metric="${name}"] b`).textContent());
}

/**
 * Text in the topology drawn over other text: pairs of boxes that overlap, each a line of text or a label with
 * its background (a badge, a replication pill, a cluster tag, a partition tag), as they show on the screen.
 * Returns ["a" × "b"] descriptions, empty when every text stands clear of the others.
 */
async function topologyOverlaps(page, { margin = 1 } = {}) {
  return page.evaluate((margin) => {
    const svg = document.querySelector('#topology svg');
    if (!svg) return ['no topology'];
    const LABEL_BG = /\b(badge|pill|cut-tag|cl-tag-bg)\b/;
    const boxes = [];
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim() || t.closest('[data-host^="__gap"]')) continue;
      const r = t.getBoundingClientRect();
      if (!r.width || getComputedStyle(t).display === 'none' || getComputedStyle(t).visibility === 'hidden') continue;
      // The glyphs, not the line box: a text's box has room above its capitals and below its descenders.
      let box = { l: r.left, t: r.top + 0.18 * r.height, r: r.right, b: r.bottom - 0.05 * r.height };
      // A label's background (the rect just before it, or the rect of its cl-fail group) goes with it.
      const bg = t.previousElementSibling;
      const rect = bg && bg.tagName === 'rect' && (LABEL_BG.test(bg.getAttribute('class') || '') || t.parentNode.matches('.cl-fail')) ? bg : null;
      if (rect) {
        const q = rect.getBoundingClientRect();
        box = { l: Math.min(box.l, q.left), t: Math.min(box.t, q.top), r: Math.max(box.r, q.right), b: Math.max(box.b, q.bottom) };
      }
      boxes.push({ ...box, what: `${t.getAttribute('class') || 'text'} "${t.textContent.trim().slice(0, 24)}"`, label: !!t.closest('.labels') });
    }
    // The labels over the arrows (replication pills, partition tags, arrow words) must not cover a card either...
    for (const c of svg.querySelectorAll('.proc .card')) {
      const r = c.getBoundingClientRect();
      boxes.push({ l: r.left, t: r.top, r: r.right, b: r.bottom, card: true, what: `card of ${c.parentNode.dataset.procName}` });
    }
    // ...nor an arrow's head, which says where the arrow goes.
    const ctm = svg.getScreenCTM();
    for (const a of svg.querySelectorAll('.repl line, .repl polyline, line.link, polyline.link')) {
      const end = a.tagName === 'line' ? [a.getAttribute('x2'), a.getAttribute('y2')] : a.getAttribute('points').trim().split(/\s+/).pop().split(',');
      const p = new DOMPoint(+end[0], +end[1]).matrixTransform(ctm);
      const what = `head of ${a.closest('[data-repl]')?.dataset.repl || a.dataset.link}`;
      boxes.push({ l: p.x - 4, t: p.y - 4, r: p.x + 4, b: p.y + 4, card: true, what });
    }
    const out = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        if ((a.card || b.card) && !(a.card ? b.label : a.label)) continue;
        const w = Math.min(a.r, b.r) - Math.max(a.l, b.l);
        const h = Math.min(a.b, b.b) - Math.max(a.t, b.t);
        if (w > margin && h > margin) out.push(`${a.what} × ${b.what}`);
      }
    }
    return out;
  }, margin);
}

module.exports = { trackErrors, open, type, metric, topologyOverlaps };
