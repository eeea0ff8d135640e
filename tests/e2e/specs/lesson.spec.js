// The lesson panel: a scenario's narration shown as virtual time passes (and going back with it), questions
// to predict before the answer is revealed, and the verdicts on the scenario's expectations at the end.
const fs = require('fs');
const path = require('path');
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

const LESSON_FILE = path.resolve(__dirname, '../../scenarios/lesson-test.json');

const steps = (page) => page.locator('#lesson-body .lesson-step');
const current = (page) => page.locator('#lesson-body .lesson-step.current');

test('narration advances with virtual time, goes back with a seek; a question waits for a prediction', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone&seed=4');
  const narration = JSON.parse(fs.readFileSync(LESSON_FILE, 'utf8')).narration;
  await page.locator('#load-json-file').setInputFiles(LESSON_FILE);
  await expect(page.locator('#scenario')).toHaveValue('__file__');

  // The panel shows what the core says the narration is.
  const fromCore = await page.evaluate(() => window.app.sim.narration());
  expect(fromCore.map((n) => n.text)).toEqual(narration.map((n) => n.text));
  const panel = page.locator('#lesson-panel');
  await expect(panel).toBeVisible();
  await expect(steps(page)).toHaveCount(1);
  await expect(current(page)).toContainText(narration[0].text);
  await expect(page.locator('#lesson-progress')).toHaveText('step 1 of 4');
  await expect(panel).toContainText('3 more steps ahead');
  await expect(panel).toContainText('3 expectations, judged at the end of the run (12 s)');
  await page.screenshot({ path: 'results/lesson-1-start.png' });

  await page.evaluate(() => window.app.runUntil(2500));
  await expect(steps(page)).toHaveCount(2);
  await expect(current(page)).toContainText(narration[1].text);
  await expect(page.locator('#lesson-body .lesson-step.past')).toContainText(narration[0].text);

  // Playing stops at the question, before the answer can be seen.
  await page.locator('#speed').selectOption('10');
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expect.poll(() => page.evaluate(() => window.app.playing), { timeout: 15_000 }).toBe(false);
  expect(await page.evaluate(() => window.app.sim.now())).toBe(narration[2].at_ms);
  await expect(page.locator('#step-status')).toContainText('The lesson asks a question');
  await expect(current(page)).toContainText(narration[2].ask);
  await expect(page.locator('#lesson-body .lesson-answer')).toHaveCount(0);
  await page.getByRole('textbox', { name: /Your prediction/ }).fill('No, they time out');
  await page.screenshot({ path: 'results/lesson-2-question.png' });
  await page.getByRole('button', { name: /Reveal the answer/ }).click();
  await expect(page.locator('#lesson-body .lesson-answer')).toContainText(narration[2].answer);
  await expect(page.locator('#lesson-body .lesson-guessed')).toContainText('No, they time out');
  await page.screenshot({ path: 'results/lesson-3-revealed.png' });

  // Seeking back (the step's time, then the scrubber) shows the narration of that moment.
  await page.locator('#lesson-body .lesson-at[data-at="2000"]').first().click();
  expect(await page.evaluate(() => window.app.sim.now())).toBe(2000);
  await expect(steps(page)).toHaveCount(2);
  await expect(current(page)).toContainText(narration[1].text);
  await page.locator('#scrub').fill('500');
  expect(await page.evaluate(() => window.app.sim.now())).toBe(500);
  await expect(steps(page)).toHaveCount(1);
  await expect(page.locator('#time')).toHaveText('0.500 s');
  expect(errors).toEqual([]);
});

test('an answer shows once the story moves past its question; verdicts at the end; hidden without narration', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone&seed=4');
  const scenario = JSON.parse(fs.readFileSync(LESSON_FILE, 'utf8'));
  // One expectation that cannot hold, to see a failed verdict too.
  scenario.expect.push({ check: 'lost_writes', min: 100000 });
  await page.evaluate((json) => window.app.loadJson(json, 4, 'lesson-failing.json'), JSON.stringify(scenario));
  await page.evaluate(() => window.app.runUntil(8500));
  await expect(steps(page)).toHaveCount(4);
  await expect(page.locator('#lesson-body .lesson-answer')).toContainText(scenario.narration[2].answer);
  await expect(page.locator('#lesson-body .lesson-guess')).toHaveCount(0);
  await expect(page.locator('#lesson-body .verdict')).toHaveCount(0);

  await page.evaluate(() => window.app.runUntil(12000));
  const verdicts = await page.evaluate(() => window.app.sim.judge());
  expect(verdicts.map((v) => v.passed)).toEqual([true, true, true, false]);
  const rows = page.locator('#lesson-body .verdict');
  await expect(rows).toHaveCount(4);
  for (let i = 0; i < 4; i++) {
    await expect(rows.nth(i)).toHaveClass(verdicts[i].passed ? /pass/ : /fail/);
    await expect(rows.nth(i)).toContainText(`${verdicts[i].passed ? '✓' : '✗'}${verdicts[i].expectation}`);
  }
  await expect(rows.nth(0)).toContainText('power off (between 4000 and 6000 ms)');
  await expect(page.locator('#lesson-body .lesson-verdicts h3')).toContainText('3 of 4 held in this run');
  await page.screenshot({ path: 'results/lesson-4-verdicts.png' });

  // Hide and show again.
  await page.getByRole('button', { name: 'Hide the lesson' }).click();
  await expect(page.locator('#lesson-body')).toBeHidden();
  await page.getByRole('button', { name: 'Show the lesson' }).click();
  await expect(page.locator('#lesson-body')).toBeVisible();

  // A scenario with no narration and no expectations: no panel.
  await page.locator('#load-json-file').setInputFiles(path.resolve(__dirname, '../../scenarios/standalone-crash.json'));
  await expect(page.locator('#lesson-panel')).toBeHidden();
  expect(errors).toEqual([]);
});

test('Reveal with the keyboard: Space presses it (no playback) and the focus moves to the answer it shows', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=sentinel&seed=1');
  const ask = (await page.evaluate(() => window.app.sim.narration())).find((n) => n.ask);
  await page.evaluate((t) => window.app.seek(t), ask.at_ms);
  const reveal = page.getByRole('button', { name: /Reveal the answer/ });
  await page.locator('#lesson-body .lesson-guess').focus();
  await page.keyboard.press('Tab'); // from the prediction to Reveal, as a keyboard user goes
  await expect(reveal).toBeFocused();
  await page.keyboard.press('Space');
  const answer = page.locator('#lesson-body .lesson-answer');
  await expect(answer).toContainText(ask.answer);
  await expect(answer).toBeFocused();
  expect(await page.evaluate(() => window.app.playing)).toBe(false);
  expect(errors).toEqual([]);
});

test('verdicts say how often and when an event was seen, in seconds, not as a list of milliseconds', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone&seed=1');
  await page.evaluate(() => window.app.runUntil(30000));
  const raw = await page.evaluate(() => window.app.sim.judge());
  // The core's texts (shared with the CLI) are as they were; the page words them for people.
  expect(raw.some((v) => /seen at \[/.test(v.detail))).toBe(true);
  const details = page.locator('#lesson-body .verdict-detail');
  await expect(details.first()).toBeVisible();
  const shown = await details.allTextContents();
  expect(shown.join('\n')).not.toMatch(/\[|\]/);
  await expect(page.locator('#lesson-body .lesson-verdicts')).not.toContainText('any ms');
  const fmt = await page.evaluate(async () => {
    const { humanDetail } = await import('./lesson.js');
    return ['seen at []', 'seen at [9015]', 'seen at [9015, 9017]', 'seen at [9015, 9017, 9020, 12000]', '3 lost']
      .map(humanDetail);
  });
  expect(fmt).toEqual(['never seen', 'seen once, at 9.015 s', 'seen twice, at 9.015 s and 9.017 s',
    'seen 4 times, first at 9.015 s, last at 12.000 s', '3 lost']);
  await page.locator('#lesson-panel').screenshot({ path: 'results/lesson-verdicts-human.png' });
  expect(errors).toEqual([]);
});

test('playing fast, playback still stops at each question, even when a frame falls short of it', async ({ page }) => {
  const errors = trackErrors(page);
  // Fifteen hosts and three applications: at 1000× a frame's simulation falls well short of its target.
  await open(page, '?scenario=compare-deployments&seed=1');
  await expect(page.locator('#lesson-stop')).toBeChecked();
  const questions = await page.evaluate(() => window.app.sim.narration().filter((n) => n.ask).map((n) => n.at_ms));
  expect(questions.length).toBeGreaterThanOrEqual(2);
  await page.locator('#speed').selectOption('1000');
  for (const at of questions) {
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Play', exact: true })).toBeVisible({ timeout: 30000 });
    expect(await page.evaluate(() => window.app.sim.now())).toBe(at);
    await expect(page.locator('#step-status')).toContainText('The lesson asks a question');
  }
  expect(errors).toEqual([]);
});
