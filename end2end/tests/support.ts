import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

import { expect as baseExpect, Page, test as base } from '@playwright/test';

// What the specs share: a `test` that fails on any Content-Security-Policy violation, files
// from outside end2end/, waiting for hydration, fresh accounts, signing up and in, and the
// emails the site sends.

export const expect = baseExpect;

/**
 * Playwright's `test`, whose pages report every Content-Security-Policy violation: a test
 * fails if anything its pages did was blocked by the policy (every spec imports this one).
 */
export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: async ({}, use) => {
    await use([]);
  },
  page: async ({ page, cspViolations }, use) => {
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
      });
    });
    page.on('console', (message) => {
      const text = message.text();
      if (message.type() === 'error' && /CSP violation|Content Security Policy/.test(text)) {
        cspViolations.push(text);
      }
    });
    await use(page);
    expect(cspViolations, 'Content-Security-Policy violations').toEqual([]);
  },
});

// Files the tests need from outside end2end/: the repository, and the demo catalog's images as
// `vitrine seed` read them (the catalog the e2e database holds).
export const repoRoot = path.resolve(__dirname, '../..');

const demoData = path.resolve(
  repoRoot,
  process.env.VITRINE_DEMO_DATA ?? '.vitrine/demo/emoji-datasource-google/package',
);

/** A catalog product's image file, by its emoji image name (`1f9ee.png` is the abacus). */
export const catalogImage = (file: string): Buffer =>
  readFileSync(path.join(demoData, 'img/google/64', file));

/** Waits until the page's WASM has hydrated it (the header says so). */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator('header.site-header')).toHaveAttribute('data-hydrated', 'true');
}

/** An email no other test (or earlier run) uses. */
export const freshEmail = (who: string) =>
  `${who}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

/** The password the tests' own accounts are created with. */
export const PASSWORD = 'a long and unusual passphrase';

/** The admin scripts/test.sh creates in the e2e database. */
export const adminEmail = process.env.VITRINE_E2E_ADMIN_EMAIL ?? 'admin@vitrine.test';
export const adminPassword = process.env.VITRINE_E2E_ADMIN_PASSWORD ?? 'e2e admin passphrase, not secret';

/** Fills in the sign-up form for `email` (with `PASSWORD`) and submits it; checks nothing. */
export async function submitSignUp(page: Page, email: string): Promise<void> {
  await page.goto('/account/sign-up');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** Creates the account `email` and waits for the account page to show it. */
export async function signUp(page: Page, email: string): Promise<void> {
  await submitSignUp(page, email);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
}

/** Fills in the sign-in form and submits it; checks nothing. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/account/sign-in');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The development mail folder, where the worker's relay writes each email as a file. */
export const mailFolder = path.join(repoRoot, '.vitrine/mail');

/**
 * The email sent to `to` whose text matches `pattern` (its Subject line, say), once the worker's
 * relay has written it; retried for up to 15 seconds.
 */
export async function emailTo(to: string, pattern: RegExp): Promise<string> {
  let found: string | undefined;
  await expect(async () => {
    const mails = readdirSync(mailFolder).map((name) => readFileSync(path.join(mailFolder, name), 'utf8'));
    found = mails.find((text) => text.includes(`To: ${to}`) && pattern.test(text));
    expect(found).toBeDefined();
  }).toPass({ timeout: 15_000 });
  return found!;
}
