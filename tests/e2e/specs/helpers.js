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

module.exports = { trackErrors, open, type, metric };
