// The page's performance budget, measured in headless Chromium (not a test suite: it prints figures).
// Run from this directory: `npx playwright test -c perf.config.js` (or `make bench-page` from the root).
const base = require('./playwright.config.js');

const PORT = 8282; // apart from the browser tests' 8181, so both can run at once

module.exports = {
  ...base,
  testDir: './perf',
  testMatch: '*.perf.js',
  workers: 1,
  timeout: 300_000,
  use: { ...base.use, baseURL: `http://127.0.0.1:${PORT}` },
  webServer: { ...base.webServer, command: `python3 -m http.server ${PORT} --bind 127.0.0.1 --directory ../../www`, url: `http://127.0.0.1:${PORT}/index.html` },
};
