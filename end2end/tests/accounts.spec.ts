import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { adminEmail, adminPassword, emailTo, expect, freshEmail, hydrated, PASSWORD, repoRoot, signIn, signUp, test } from './support';

// Accounts in the browser: sign-up, sign-out, sign-in, the account page, a password reset by
// email (read from the development mail folder), and the admin area's "not allowed".

test('a shopper signs up, signs out, signs in and sees the account page', async ({ page }) => {
  const email = freshEmail('shopper');
  await signUp(page, email);
  await expect(page.getByTestId('account-link')).toHaveText(email);

  await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('header').getByRole('link', { name: 'Sign in' })).toBeVisible();

  await signIn(page, email, 'not the password at all');
  await expect(page.getByRole('alert')).toHaveText('The email or password is wrong.');

  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
  // The session survives a reload (HttpOnly cookies; nothing in page storage).
  await page.reload();
  await expect(page.getByTestId('account-email')).toHaveText(email);
  expect(await page.evaluate(() => document.cookie)).toBe('');
});

test('a shopper downloads their data and deletes their account', async ({ page }) => {
  const email = freshEmail('leaving');
  await signUp(page, email);
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download your data' }).click();
  const file = await (await download).path();
  const data = JSON.parse(readFileSync(file, 'utf8'));
  expect(data.account.email).toBe(email);
  expect(data.sessions.length).toBe(1);

  await page.getByLabel('Password', { exact: true }).fill('not the password at all');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.locator('[data-error="wrong_password"]')).toBeVisible();
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/\?account=deleted$/);
  await expect(page.locator('header').getByRole('link', { name: 'Sign in' })).toBeVisible();
  await signIn(page, email, PASSWORD);
  await expect(page.getByRole('alert')).toHaveText('The email or password is wrong.');
});

test('a customer who opens an admin page sees "not allowed", not the page', async ({ page }) => {
  await signUp(page, freshEmail('customer'));
  const response = await page.goto('/admin/users');
  expect(response?.status()).toBe(403);
  await expect(page.getByTestId('not-allowed')).toBeVisible();
  await expect(page.locator('table.admin-table')).toHaveCount(0);
});

test('a visitor who opens an admin page is asked to sign in', async ({ page }) => {
  const response = await page.goto('/admin');
  expect(response?.status()).toBe(401);
  await expect(page.getByRole('heading', { name: 'Sign in to continue' })).toBeVisible();
});

test('a forgotten password is reset from the emailed link', async ({ page }) => {
  const email = freshEmail('forgetful');
  await signUp(page, email);
  await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
  await expect(page.locator('header').getByRole('link', { name: 'Sign in' })).toBeVisible();

  await page.goto('/account/forgot');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'a link is on its way' })).toBeVisible();

  // The development mail folder holds the email (the worker's relay writes it); find the reset
  // link among the emails to this address (the welcome email is there too).
  const resetLink = /https?:\/\/\S+\/account\/reset\?token=\S+/;
  const link = resetLink.exec(await emailTo(email, resetLink))![0];

  await page.goto(new URL(link).pathname + new URL(link).search);
  await hydrated(page);
  await page.getByLabel(/New password/).fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await expect(page).toHaveURL(/\/account\/sign-in\?reset=done/);
  await expect(page.getByRole('status')).toContainText('Your password has been changed');
  await signIn(page, email, 'a brand new passphrase');
  await expect(page.getByTestId('account-email')).toHaveText(email);
});

test('an admin changes a role and the audit log shows it', async ({ page, browser }) => {
  const email = freshEmail('promoted');
  const shopper = await browser.newPage();
  await signUp(shopper, email);
  await shopper.close();

  await signIn(page, adminEmail, adminPassword);
  await expect(page).toHaveURL(/\/account$/);
  await page.goto(`/admin/users?q=${encodeURIComponent(email)}`);
  await hydrated(page);
  const row = page.locator(`tr[data-user="${email}"]`);
  await row.getByLabel(`Role of ${email}`).selectOption('staff');
  // The select shows "staff" as soon as it is picked: wait for the server's answer instead (and
  // leaving the page before it would cancel the change).
  const saved = page.waitForResponse((response) => response.url().endsWith('/api/admin/users/role'));
  await row.getByRole('button', { name: 'Save' }).click();
  expect((await saved).ok()).toBe(true);

  await expect(page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Audit log' })).toBeVisible();
  await page.goto('/admin/audit');
  await expect(page.locator('table.admin-table tbody tr').first()).toContainText('users.role.update');
  await expect(page.locator('table.admin-table tbody tr').first()).toContainText('{"role":"staff"}');
});

test('an admin adds a phone photo to a product; the browser uploads only the display image', async ({ page }) => {
  test.setTimeout(120_000);
  const photo = path.join(repoRoot, 'server/tests/fixtures/photos/coffee-large.jpg');
  await signIn(page, adminEmail, adminPassword);
  await expect(page).toHaveURL(/\/account$/);
  await page.goto('/admin/products?q=Hot%20Beverage');
  await hydrated(page);
  // The table may be rendered again once the page's own requests are answered; pick the file
  // into the final one.
  await page.waitForLoadState('networkidle');
  const row = page.locator('tr[data-product="coffee"]');
  const before = await row.locator('.admin-thumbnails img').count();

  // The form reacts once the page's WASM runs it; picked again if the table was rendered anew.
  await expect(row.locator('form.image-upload')).toHaveAttribute('data-live', 'true', { timeout: 30_000 });
  await expect(async () => {
    const input = row.getByLabel('Photo for Hot Beverage');
    await input.setInputFiles([]);
    await input.setInputFiles(photo);
    await expect(row.getByRole('status')).toHaveText(/^1024×768 JPEG, \d+ KB \(the photo is 2434 KB\)$/, {
      timeout: 25_000,
    });
  }).toPass({ timeout: 75_000 });
  const upload = page.waitForResponse((response) => response.url().endsWith('/api/admin/product-images'));
  await row.getByRole('button', { name: 'Upload' }).click();
  const stored = await (await upload).json();
  expect(stored.width).toBe(1024);
  expect(stored.height).toBe(768);
  expect(stored.bytes * 10).toBeLessThan(readFileSync(photo).length);
  await expect(row.locator('.admin-thumbnails img')).toHaveCount(before + 1);
});

test('an admin hides a product from the shop and shows it again', async ({ page, browser }) => {
  await signIn(page, adminEmail, adminPassword);
  await expect(page).toHaveURL(/\/account$/);
  await page.goto('/admin/products?q=Hedgehog');
  await hydrated(page);
  const row = page.locator('tr[data-product="hedgehog"]');
  await expect(row.getByTestId('publish-state')).toHaveText('Shown');
  await row.getByRole('button', { name: 'Hide Hedgehog in the shop' }).click();
  await expect(row.getByTestId('publish-state')).toHaveText('Hidden');

  const visitor = await browser.newPage();
  expect((await visitor.goto('/products/hedgehog'))?.status()).toBe(404);

  await row.getByRole('button', { name: 'Show Hedgehog in the shop' }).click();
  await expect(row.getByTestId('publish-state')).toHaveText('Shown');
  expect((await visitor.goto('/products/hedgehog'))?.status()).toBe(200);
  await visitor.close();
});
