// The redis-cli-like console, and Kill / Restart of the selected server.
const { test, expect } = require('@playwright/test');
const { trackErrors, open, type } = require('./helpers');

const REFUSED = 'Could not connect to Redis at 10.0.0.1:6379: Connection refused';

test('SET/GET, kill the server, restart it: the key is gone', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone&seed=1');
  await expect(page.locator('#console-target')).toHaveValue('redis');
  await expect(page.locator('.console-prompt')).toHaveText('10.0.0.1:6379> ');

  let reply = await type(page, 'SET foo bar');
  await expect(reply).toHaveText('OK');
  reply = await type(page, 'GET foo');
  await expect(reply).toHaveText('"bar"');
  await expect(reply).not.toHaveClass(/error/);
  // The typed command is echoed after its prompt, as in a terminal.
  await expect(page.locator('.console-entry.echo').last()).toHaveText('10.0.0.1:6379> GET foo');
  // ...and marked on the server's lane in the timeline.
  await expect(page.locator('#timeline [data-console="GET foo"]')).toHaveCount(1);
  await expect(page.locator('#inspector table.keys')).toContainText('foo');
  // INFO prints raw, one field a line, as redis-cli prints it on a terminal (not as a quoted string).
  reply = await type(page, 'INFO keyspace');
  await expect(reply).toHaveText(/^# Keyspace\ndb0:keys=\d+,expires=0,avg_ttl=0$/);
  await page.screenshot({ path: 'results/console-set-get.png' });

  await page.getByRole('button', { name: 'Kill redis (crash it)' }).click();
  const server = page.locator('#topology [data-proc-name="redis"]');
  await expect(server).toHaveAttribute('data-proc-state', 'crashed');
  await expect(server).toContainText('CRASHED');
  await expect(page.locator('.console-prompt')).toHaveText('not connected> ');
  reply = await type(page, 'GET foo');
  await expect(reply).toHaveText(REFUSED);
  await expect(reply).toHaveClass(/error/);
  // Errors are red.
  expect(await reply.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(251, 113, 133)');
  await expect(page.getByRole('button', { name: 'Restart redis' })).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Kill redis (crash it)' })).toBeDisabled();
  await page.screenshot({ path: 'results/console-killed.png' });

  await page.getByRole('button', { name: 'Restart redis' }).click();
  await expect(server).toHaveAttribute('data-proc-state', 'up');
  await expect(page.locator('.console-prompt')).toHaveText('10.0.0.1:6379> ');
  reply = await type(page, 'GET foo');
  await expect(reply).toHaveText('(nil)');
  await page.screenshot({ path: 'results/console-restarted.png' });

  // The session recorded what we did, in order.
  const actions = await page.evaluate(() => window.app.sim.actions().map((a) => a.action.do));
  expect(actions).toEqual(['command', 'command', 'command', 'crash', 'command', 'restart', 'command']);
  expect(errors).toEqual([]);
});

test('error replies are red, history recalls lines with the arrow keys', async ({ page }) => {
  await open(page);
  const reply = await type(page, 'NOSUCHCOMMAND x');
  await expect(reply).toHaveText(/^\(error\) ERR unknown command 'NOSUCHCOMMAND'/);
  await expect(reply).toHaveClass(/error/);
  await type(page, 'SET counter 1');
  await expect(await type(page, 'INCR counter')).toHaveText('(integer) 2');

  const input = page.locator('#console-input');
  await input.fill('half-typed');
  await input.press('ArrowUp');
  await expect(input).toHaveValue('INCR counter');
  await input.press('ArrowUp');
  await expect(input).toHaveValue('SET counter 1');
  await input.press('ArrowUp');
  await expect(input).toHaveValue('NOSUCHCOMMAND x');
  await input.press('ArrowUp'); // the oldest line stays
  await expect(input).toHaveValue('NOSUCHCOMMAND x');
  await input.press('ArrowDown');
  await input.press('ArrowDown');
  await expect(input).toHaveValue('INCR counter');
  await input.press('ArrowDown');
  await expect(input).toHaveValue('half-typed');
  await input.press('Enter');
  await expect(page.locator('.console-entry.reply').last()).toHaveText(/^\(error\) ERR unknown command 'half-typed'/);
  await page.screenshot({ path: 'results/console-history.png' });

  // Typing a space in the console must not start playback.
  await input.fill('');
  await input.press('Space');
  expect(await page.evaluate(() => window.app.playing)).toBe(false);

  await page.getByRole('button', { name: 'Clear the console' }).click();
  await expect(page.locator('.console-entry')).toHaveCount(0);
});

test('clicking a process in the topology selects it for Kill and the inspector', async ({ page }) => {
  await open(page);
  await page.locator('#topology [data-proc-name="app"]').click();
  await expect(page.locator('#selected-name')).toHaveText('app');
  await expect(page.locator('#inspector')).toContainText('sends to');
  await page.locator('#topology [data-proc-name="redis"]').click();
  await expect(page.locator('#selected-name')).toHaveText('redis');
  await expect(page.locator('#topology [data-proc-name="redis"]')).toHaveClass(/selected/);
});

/** Type a line without waiting for a reply (a blocked command prints a note, its reply comes later). */
async function typeLine(page, line) {
  await page.locator('#console-input').fill(line);
  await page.locator('#console-input').press('Enter');
}

test('a blocked WAIT prints its reply when it returns; a seek back undoes it, a crash ends it', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=replication&seed=1');
  await page.evaluate(() => window.app.seek(3000));
  await page.selectOption('#console-target', 'master');
  await expect(await type(page, 'SET k v')).toHaveText('OK');
  const entries = page.locator('.console-entry');
  await typeLine(page, 'WAIT 2 1000');
  // redis-cli would wait: the console says so, as a note, not as a reply.
  await expect(entries.last()).toHaveText(/^\(blocked: redis-cli waits for the reply/);
  await expect(entries.last()).toHaveClass(/muted/);
  const replies = await page.locator('.console-entry.reply').count();

  // Stepping on: both replicas acknowledge, and the reply appears right under the command, as in redis-cli.
  await page.evaluate(() => window.app.stepUntil((r) => r.type === 'console' && r.line === '(WAIT 2 returned)'));
  await expect(page.locator('.console-entry.reply')).toHaveCount(replies + 1);
  await expect(entries.last()).toHaveText('(integer) 2');
  await expect(entries.nth(-2)).toHaveText(/^\(blocked: /);
  await page.screenshot({ path: 'results/console-wait-returned.png' });

  // A WAIT no replica count can satisfy, with no timeout: a seek back before it was typed undoes it...
  await typeLine(page, 'WAIT 5 0');
  await expect(entries.last()).toHaveText(/^\(blocked: /);
  await page.evaluate(() => window.app.seek(2500));
  await expect(entries.last()).toHaveText(/^# A seek back to 2\.500 s undid WAIT 5 0 \(typed at 3\.\d{3} s\)/);
  // ...and playing to it again types it again (the session recorded it): it blocks once more.
  await page.evaluate(() => window.app.seek(3500));
  await expect(page.locator('.console-entry.reply')).toHaveCount(replies + 1);

  // The master crashes while it waits: redis-cli prints the connection's end, in red.
  await page.getByRole('button', { name: 'Kill master (crash it)' }).click();
  await expect(entries.nth(-2)).toHaveText('Error: Server closed the connection');
  await expect(entries.nth(-2)).toHaveClass(/error/);
  await expect(entries.last()).toHaveText(/^# 10\.0\.0\.1:6379 went away at 3\.500 s before WAIT 5 0 returned\.$/);
  await expect(page.locator('.console-prompt')).toHaveText('not connected> ');
  expect(errors).toEqual([]);
});

test('a paused server: the console says redis-cli would hang, as a note', async ({ page }) => {
  await open(page, '?scenario=replication&seed=1');
  await page.selectOption('#console-target', 'replica-1');
  await page.getByRole('button', { name: 'Pause replica-1 (SIGSTOP)' }).click();
  await typeLine(page, 'GET k');
  const last = page.locator('.console-entry').last();
  await expect(last).toHaveText(
    '(paused: 10.0.0.2:6379 is stopped by SIGSTOP; redis-cli would hang here until it resumes. The command was not sent.)');
  await expect(last).toHaveClass(/muted/);
});
