// Accessibility: names for every control, the topology's processes as buttons a keyboard can reach and
// select, Space and the arrows as playback keys (but not while typing or in a dialog), and live regions that
// say what matters without reading out the clock.
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

// The accessible name as its sources give it, in the order browsers use: aria-labelledby, aria-label, a
// <label>, the text of a button, the title.
function unnamedControls() {
  const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : '');
  const nameOf = (el) => {
    const by = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
    const candidates = [
      by.map((id) => text(document.getElementById(id))).join(' '),
      el.getAttribute('aria-label') || '',
      [...(el.labels || [])].map(text).join(' '),
      el.tagName === 'BUTTON' ? text(el) : '',
      el.getAttribute('title') || '',
    ];
    return candidates.map((c) => c.trim()).find(Boolean) || '';
  };
  return [...document.querySelectorAll('button, select, input:not([type="hidden"]), textarea')]
    .filter((el) => !nameOf(el))
    .map((el) => el.outerHTML.slice(0, 120));
}

test('every button, select and input has an accessible name', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=sentinel&seed=1');
  await page.locator('#topology [data-proc-name="redis-2"]').click();
  expect(await page.evaluate(unnamedControls)).toEqual([]);
  // The Network tool builds its dialog when first opened: its controls too.
  await page.getByRole('button', { name: /^Network: partition hosts/ }).click();
  await expect(page.locator('dialog[open]')).toHaveCount(1);
  expect(await page.evaluate(unnamedControls)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(page.locator('dialog[open]')).toHaveCount(0);

  // The panels are labelled regions; the page's landmarks are there.
  for (const name of ['Topology', 'Timeline', 'Inspector', 'Checks']) {
    await expect(page.getByRole('region', { name, exact: true })).toBeVisible();
  }
  await expect(page.getByRole('banner')).toBeVisible();
  await expect(page.getByRole('main')).toBeVisible();
  // The timeline has a text alternative; the event log, its Sentinel counterpart, is labelled.
  await expect(page.getByRole('figure', { name: /^Timeline/ })).toHaveAccessibleDescription(/Status line .* Sentinel events/);
  await expect(page.getByRole('list', { name: /^Sentinel events/ })).toBeAttached();
  expect(errors).toEqual([]);
});

test('the topology names each process as a button, with what it is, where and its state', async ({ page }) => {
  await open(page, '?scenario=sentinel&seed=1');
  await expect(page.getByRole('group', { name: /^Topology: \d+ hosts, 7 processes$/ })).toBeVisible();
  await expect(page.getByRole('button', { name: /^redis-1, master on db1, up, \d+ keys?$/ })).toHaveCount(1);
  await expect(page.getByRole('button', { name: /^redis-2, replica on db2, up, \d+ keys?, replicates from redis-1/ })).toHaveCount(1);
  await expect(page.getByRole('button', { name: /^sentinel-1, sentinel on db1, up/ })).toHaveCount(1);
  await expect(page.getByRole('button', { name: /^app, client on app, up, sends to redis-1$/ })).toHaveCount(1);
  // The selected one is pressed: a screen reader says which process the inspector shows.
  await page.locator('#topology [data-proc-name="redis-3"]').click();
  await expect(page.getByRole('button', { name: /^redis-3,/, pressed: true })).toHaveCount(1);
  await expect(page.getByRole('button', { name: /^redis-1,/, pressed: false })).toHaveCount(1);
  // A crash changes the name.
  await page.evaluate(() => window.app.inject({ do: 'crash', process: 'redis-1' }));
  await expect(page.getByRole('button', { name: /^redis-1, master on db1, crashed, memory lost$/ })).toHaveCount(1);
});

test('Space plays and pauses, the arrows step; not while typing in the console or in a dialog', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone&seed=3');
  const playing = () => page.evaluate(() => window.app.playing);
  const now = () => page.evaluate(() => window.app.sim.now());

  // Nothing focused (the page itself): Space is play / pause.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('Space');
  await expect.poll(playing).toBe(true);
  await expect(page.getByRole('button', { name: 'Pause', exact: true })).toBeVisible();
  await expect.poll(now).toBeGreaterThan(0);
  await page.keyboard.press('Space');
  await expect.poll(playing).toBe(false);
  await expect(page.getByRole('button', { name: 'Play', exact: true })).toBeVisible();
  expect(await now()).toBeGreaterThan(0);

  // → processes the next event and says it in the Status line (a polite live region).
  const status = page.locator('#step-status');
  await expect(status).toHaveAttribute('aria-live', 'polite');
  for (let i = 0; i < 3; i++) {
    const len = await page.evaluate(() => window.app.sim.traceLen());
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.evaluate(() => window.app.sim.traceLen())).toBeGreaterThan(len);
    await expect(status).toHaveText(/\d+\.\d{3}s /);
  }
  const stepped = await now();
  await page.keyboard.press('ArrowLeft');
  await expect.poll(now).toBeLessThan(stepped);
  await expect(status).toHaveText(/^Back to /);
  // The clock changes every frame: not a live region, or a screen reader would read it without end.
  await expect(page.getByRole('timer', { name: 'Virtual time' })).toHaveAttribute('aria-live', 'off');

  // Typing in the console: a space is a space, an arrow moves the caret.
  const input = page.getByRole('textbox', { name: 'Redis command' });
  await input.click();
  const t = await now();
  await page.keyboard.type('SET greeting hello world');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowRight');
  await expect(input).toHaveValue('SET greeting hello world');
  expect(await playing()).toBe(false);
  expect(await now()).toBe(t);

  // In a dialog, Space presses its buttons and the arrows move its radios: no playback behind it.
  await page.getByRole('button', { name: /^Network: partition hosts/ }).click();
  const dlg = page.locator('dialog[open]');
  await dlg.getByRole('button').first().focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowRight');
  expect(await playing()).toBe(false);
  expect(await now()).toBe(t);
  await page.keyboard.press('Escape');
  expect(errors).toEqual([]);
});

test('a keyboard user can Tab to a process card and select it with Enter; the focus ring shows', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=sentinel&seed=1');
  // The Network button comes just before the topology; the cards follow in the order of the processes.
  await page.getByRole('button', { name: /^Network: partition hosts/ }).focus();
  const focused = page.locator(':focus');
  const order = ['redis-1', 'sentinel-1', 'redis-2'];
  for (const name of order) {
    await page.keyboard.press('Tab');
    await expect(focused).toHaveAttribute('data-proc-name', name);
  }
  await expect(page.locator('#selected-name')).not.toHaveText('redis-2');
  await page.keyboard.press('Enter');
  await expect(page.locator('#selected-name')).toHaveText('redis-2');
  await expect(page.getByRole('button', { name: /^Crash process: kill redis-2/ })).toBeEnabled();
  // The topology was redrawn (the selection is drawn): the focus stayed on redis-2's new card.
  await expect(focused).toHaveAttribute('data-proc-name', 'redis-2');
  await expect(focused).toHaveAttribute('aria-pressed', 'true');
  const ring = await focused.locator('.focus-ring').evaluate((r) => getComputedStyle(r).stroke);
  expect(ring).not.toBe('none');
  await page.locator('.topology-panel').screenshot({ path: 'results/a11y-focus.png' });

  // The focus ring is not the selection's blue ring: the two read apart on one card.
  const look = (el) => el.evaluate((r) => ({ stroke: getComputedStyle(r).stroke, dash: getComputedStyle(r).strokeDasharray }));
  const ringLook = await look(focused.locator('.focus-ring'));
  const cardLook = await look(focused.locator('.card'));
  expect(ringLook.stroke).not.toBe(cardLook.stroke);
  expect(ringLook.dash).not.toBe('none');

  // Space on a focused card selects it, as on any button: it does not play.
  await page.keyboard.press('Tab');
  await expect(focused).toHaveAttribute('data-proc-name', 'sentinel-2');
  await page.keyboard.press('Space');
  await expect(page.locator('#selected-name')).toHaveText('sentinel-2');
  expect(await page.evaluate(() => window.app.playing)).toBe(false);
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  await expect(page.locator('#selected-name')).toHaveText('redis-2');

  // It stays there while playing, though the topology is redrawn several times a second.
  await page.evaluate(() => window.app.play());
  await expect.poll(() => page.evaluate(() => window.app.playing)).toBe(true);
  await page.waitForFunction(() => window.app.sim.now() > 1500);
  await page.evaluate(() => window.app.pause());
  await expect(focused).toHaveAttribute('data-proc-name', 'redis-2');
  await page.keyboard.press('Tab');
  await expect(focused).toHaveAttribute('data-proc-name', 'sentinel-2');

  // The dark theme draws the ring in its own colour, visible on its dark cards.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.keyboard.press('Shift+Tab');
  await expect(focused).toHaveAttribute('data-proc-name', 'redis-2');
  const darkRing = await focused.locator('.focus-ring').evaluate((r) => getComputedStyle(r).stroke);
  expect(darkRing).toBe('rgb(227, 232, 239)'); // the dark theme's text colour, light on its dark cards
  expect(darkRing).not.toBe(await focused.locator('.card').evaluate((r) => getComputedStyle(r).stroke));
  await page.locator('.topology-panel').screenshot({ path: 'results/a11y-focus-dark.png' });
  expect(errors).toEqual([]);
});

test('while playing, a crash, the new master and the failover are announced once, politely', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=sentinel&seed=1');
  const announcer = page.locator('#announcer');
  await expect(announcer).toHaveAttribute('aria-live', 'polite');
  await page.evaluate(() => {
    window.__said = [];
    const el = document.getElementById('announcer');
    new MutationObserver(() => window.__said.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
    document.getElementById('lesson-stop').checked = false; // play through the lesson's questions
  });
  // Stepping says each event in the Status line: the announcer stays quiet.
  for (let i = 0; i < 5; i++) await page.getByRole('button', { name: 'Step: process the next event' }).click();
  expect(await page.evaluate(() => window.__said)).toEqual([]);

  await page.locator('#speed').selectOption('100');
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForFunction(() => window.app.sim.now() >= 20000, null, { timeout: 20000 });
  await page.evaluate(() => window.app.pause());
  const said = (await page.evaluate(() => window.__said)).join(' ');
  expect(said).toContain('redis-1 crashed');
  expect(said).toMatch(/redis-\d is now a master/);
  expect(said).toMatch(/sentinels switched mymaster to redis-\d \(\+switch-master\)/);
  // Three sentinels log +switch-master: it is said once.
  expect(said.match(/\+switch-master/g)).toHaveLength(1);
  expect(errors).toEqual([]);
});

test('Space and Enter press the focused control, and the focus stays on the page when that control goes', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=sentinel&seed=1');
  const focused = page.locator(':focus');
  const playing = () => page.evaluate(() => window.app.playing);
  await page.locator('#topology [data-proc-name="redis-2"]').click();
  await page.keyboard.press('Tab'); // a key, so the focus that follows is a keyboard focus (:focus-visible)

  // Space on Crash process crashes redis-2 (it does not play); the button, now disabled, hands the focus to
  // Restart, which Enter presses; the focus goes back to Crash process.
  await page.getByRole('button', { name: /^Crash process: kill redis-2/ }).focus();
  await page.keyboard.press('Space');
  await expect(page.locator('#topology [data-proc-name="redis-2"]')).toHaveAttribute('data-proc-state', 'crashed');
  expect(await playing()).toBe(false);
  await expect(focused).toHaveId('restart');
  await page.keyboard.press('Enter');
  await expect(page.locator('#topology [data-proc-name="redis-2"]')).toHaveAttribute('data-proc-state', 'up');
  await expect(focused).toHaveId('kill');

  // A checkbox the keyboard is on: Space ticks it.
  await page.locator('#heartbeats').focus();
  await page.keyboard.press('Space');
  await expect(page.locator('#heartbeats')).toBeChecked();
  expect(await playing()).toBe(false);

  // A button clicked with the mouse keeps the focus in Chrome without showing it: Space still plays.
  await page.getByRole('button', { name: 'Step: process the next event' }).click();
  await page.keyboard.press('Space');
  await expect.poll(playing).toBe(true);
  await page.keyboard.press('Space');
  await expect.poll(playing).toBe(false);
  expect(errors).toEqual([]);
});

test('the seek slider moves by 1% of the run per arrow and 10% per page key, to the millisecond when dragged', async ({ page }) => {
  await open(page, '?scenario=standalone&seed=1');
  const scrub = page.getByRole('slider', { name: /^Seek/ });
  const now = () => page.evaluate(() => window.app.sim.now());
  const max = Number(await scrub.getAttribute('max'));
  expect(await scrub.getAttribute('step')).toBe('1'); // dragging still reaches any millisecond
  await scrub.focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(now).toBe(Math.round(max / 100));
  await page.keyboard.press('PageUp');
  await expect.poll(now).toBe(11 * Math.round(max / 100));
  await page.keyboard.press('ArrowLeft');
  await expect.poll(now).toBe(10 * Math.round(max / 100));
  await expect(scrub).toHaveValue(String(10 * Math.round(max / 100)));
  await page.keyboard.press('End');
  await expect.poll(now).toBe(max);
  await page.keyboard.press('Home');
  await expect.poll(now).toBe(0);
});

test('a scenario description cut to one line opens with a button, for keyboard and touch as for the mouse', async ({ page }) => {
  const errors = trackErrors(page);
  for (const width of [1280, 600]) {
    await page.setViewportSize({ width, height: 720 });
    await open(page, '?scenario=sentinel&seed=1');
    const text = page.locator('#description-text');
    const more = page.getByRole('button', { name: 'more', exact: true });
    const cut = () => text.evaluate((t) => t.scrollWidth > t.clientWidth);
    expect(await cut()).toBe(true);
    await expect(more).toHaveAttribute('aria-expanded', 'false');
    await more.focus();
    await page.keyboard.press('Enter');
    const less = page.getByRole('button', { name: 'less', exact: true });
    await expect(less).toHaveAttribute('aria-expanded', 'true');
    await expect(less).toBeFocused();
    expect(await cut()).toBe(false);
    const full = await page.evaluate(() => window.app.scenarios.find((s) => s.id === 'sentinel').description);
    await expect(text).toHaveText(full);
    // Its whole text shows (several lines), none of it hidden by the panel below.
    expect(await text.evaluate((t) => t.getBoundingClientRect().height)).toBeGreaterThan(30);
    if (width === 600) await page.screenshot({ path: 'results/a11y-description-600.png' });
    await page.keyboard.press('Enter');
    await expect(more).toHaveAttribute('aria-expanded', 'false');
  }
  // A description that fits has no button.
  await page.setViewportSize({ width: 1280, height: 720 });
  await open(page, '?scenario=standalone-crash&seed=1');
  await expect(page.locator('#description-more')).toBeHidden();
  expect(errors).toEqual([]);
});
