// The topology is updated in place, part by part (morph.js): whatever sequence of redraws, the DOM ends up
// exactly what the new SVG string describes, and the elements of parts that did not change are the same
// nodes as before (a focused card keeps its focus, nothing is parsed again).
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

test('morphParts leaves the DOM equal to the SVG it was given, and unchanged parts untouched', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=sentinel&seed=1');
  const r = await page.evaluate(async () => {
    const { morphParts } = await import('./morph.js');
    const { renderTopologyParts } = await import('./topology.js');
    const el = document.createElement('div');
    document.body.appendChild(el);
    const reference = document.createElement('div');
    const opts = { width: 600, height: 400 };
    const failures = [];
    let kept = 0;
    let parts = null;
    // The real topology at several moments of a Sentinel failover, and the same with a card selected, a part
    // dropped, a part added: the DOM must match a fresh parse of the joined string every time.
    for (const t of [0, 3000, 12000, 16000, 20000, 30000, 45000]) {
      window.app.runUntil(t);
      const snap = window.app.snapshot;
      for (const variant of ['plain', 'selected', 'fewer', 'more', 'plain']) {
        const before = el.querySelector('svg') ? [...el.querySelector('svg').children] : [];
        const prev = parts;
        parts = renderTopologyParts(snap, { ...opts, selected: variant === 'selected' ? snap.processes[1].id : null });
        if (variant === 'fewer') parts.splice(2, 1);
        if (variant === 'more') parts.splice(2, 0, '<g class="extra"><rect x="1" y="1" width="5" height="5"/></g>');
        morphParts(el, parts);
        reference.innerHTML = parts.join('');
        if (el.innerHTML !== reference.innerHTML) failures.push(`${t} ${variant}`);
        // Same number of parts and same opening tag: an unchanged part keeps its node.
        if (prev && prev.length === parts.length && prev[0] === parts[0]) {
          const after = [...el.querySelector('svg').children];
          for (let i = 1; i < parts.length - 1; i++) if (parts[i] === prev[i] && after[i - 1] === before[i - 1]) kept++;
        }
      }
    }
    return { failures, kept, parts: parts.length };
  });
  expect(r.failures).toEqual([]);
  expect(r.parts).toBeGreaterThan(10);
  expect(r.kept).toBeGreaterThan(20);
  expect(errors).toEqual([]);
});

test('morphParts with a limit patches that many changed parts a call, and gets there in the end', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=sentinel&seed=1');
  const r = await page.evaluate(async () => {
    const { morphParts } = await import('./morph.js');
    const { renderTopologyParts } = await import('./topology.js');
    const el = document.createElement('div');
    document.body.appendChild(el);
    const reference = document.createElement('div');
    const opts = { width: 600, height: 400 };
    window.app.runUntil(3000);
    const a = renderTopologyParts(window.app.snapshot, opts).filter((p) => p !== '');
    window.app.runUntil(9000); // before the failover: the same elements, with other figures
    const b = renderTopologyParts(window.app.snapshot, opts).filter((p) => p !== '');
    if (a.length !== b.length || a[0] !== b[0]) return { shape: 'changed' };
    morphParts(el, a);
    const changed = a.map((p, i) => i).filter((i) => a[i] !== b[i]);
    const steps = [];
    let done = false;
    for (let call = 1; !done && call <= 100; call++) {
      done = morphParts(el, b, 3);
      // After n calls the first 3n changed parts are the new ones, the others still the old.
      const expected = a.slice();
      for (const i of changed.slice(0, 3 * call)) expected[i] = b[i];
      reference.innerHTML = expected.join('');
      steps.push({ done, matches: el.innerHTML === reference.innerHTML });
    }
    reference.innerHTML = b.join('');
    return { shape: 'same', changed: changed.length, steps, final: el.innerHTML === reference.innerHTML };
  });
  expect(r.shape).toBe('same');
  expect(r.changed).toBeGreaterThan(4);
  expect(r.steps.length).toBe(Math.ceil(r.changed / 3));
  expect(r.steps.every((s) => s.matches)).toBe(true);
  expect(r.steps.map((s) => s.done)).toEqual(r.steps.map((_, i) => i === r.steps.length - 1));
  expect(r.final).toBe(true);
  expect(errors).toEqual([]);
});
