import { defineConfig } from '@playwright/test';

// cargo-leptos starts the server with LEPTOS_SITE_ADDR and runs this suite without waiting for
// it; global-setup polls until the site answers.
const siteAddr = process.env.LEPTOS_SITE_ADDR ?? '127.0.0.1:3000';
export const baseURL = process.env.VITRINE_E2E_URL ?? `http://${siteAddr}`;

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's Chromium, installed by the setup step: Playwright never downloads a browser.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
