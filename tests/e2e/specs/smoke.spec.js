const { test, expect } = require('@playwright/test');
test('smoke', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' || m.type()==='warning') errors.push(m.text()); });
  await page.goto('/index.html?scenario=standalone-crash&seed=7');
  await page.waitForFunction(() => window.app && window.app.status === 'ready');
  await page.screenshot({ path: 'results/smoke-0.png' });
  await page.evaluate(() => window.app.runUntil(6300));
  await page.screenshot({ path: 'results/smoke-1.png' });
  await page.evaluate(() => window.app.runUntil(9500));
  await page.screenshot({ path: 'results/smoke-2.png' });
  console.log(errors);
});
