// Browser end-to-end tests of the page, with the system Chromium (no browser downloads on this machine).
// Run from this directory: `npx playwright test`. The page needs the wasm package in www/pkg/ (see README).
const { defineConfig } = require('@playwright/test');

// Not 8080, so a running `make serve` does not get in the way; E2E_PORT lets two checkouts test side by side.
const PORT = Number(process.env.E2E_PORT) || 8181;

module.exports = defineConfig({
  testDir: './specs',
  outputDir: 'results/',
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  globalSetup: require.resolve('./global-setup.js'),
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 720 },
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [{ name: 'chromium' }],
  webServer: {
    command: `python3 -m http.server ${PORT} --bind 127.0.0.1 --directory ../../www`,
    url: `http://127.0.0.1:${PORT}/index.html`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'ignore',
  },
});
