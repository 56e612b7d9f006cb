import * as path from 'node:path';

import { adminEmail, adminPassword, expect, hydrated, repoRoot, signIn, test } from './support';

// The admin's product form, as a shop owner uses it: a new product with two variants and an
// image, found in the shop and by search, then its price edited and seen on its page.

test('an admin creates a product with two variants and an image, finds it, and edits its price', async ({
  page,
  browser,
}) => {
  test.setTimeout(150_000);
  const stamp = `${Date.now()}`;
  const name = `Porcelain Owl ${stamp}`;
  const slug = `porcelain-owl-${stamp}`;
  await signIn(page, adminEmail, adminPassword);
  await expect(page).toHaveURL(/\/account$/);
  await page.goto('/admin/products/new');
  await hydrated(page);

  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Category').selectOption({ index: 1 });
  await page.getByLabel('Description').fill('A small porcelain owl, painted by hand.');
  await page.getByLabel('Attributes').fill('material: porcelain');
  for (const [row, size, price, stock] of [
    [1, 'S', '12', '4'],
    [2, 'L', '18.50', '2'],
  ] as const) {
    await page.getByLabel(`SKU of variant ${row}`).fill(`OWL-${size}-${stamp}`);
    await page.getByLabel(`Options of variant ${row}`).fill(`size: ${size}`);
    await page.getByLabel(`Price of variant ${row}`).fill(price);
    await page.getByLabel(`Opening stock of variant ${row}`).fill(stock);
  }
  await page.getByRole('button', { name: 'Create product' }).click();
  // A created product opens on its own edit page.
  await expect(page).toHaveURL(/\/admin\/products\/[0-9a-f-]{36}$/, { timeout: 20_000 });
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await expect(page.getByTestId('product-state')).toHaveText('Shown in the shop');

  // Its image, prepared in the browser and uploaded.
  await hydrated(page);
  await page.waitForLoadState('networkidle');
  const upload = page.locator('form.image-upload');
  await expect(upload).toHaveAttribute('data-live', 'true', { timeout: 30_000 });
  await expect(async () => {
    const input = upload.getByLabel(`Photo for ${name}`);
    await input.setInputFiles([]);
    await input.setInputFiles(path.join(repoRoot, 'server/tests/fixtures/photos/coffee.png'));
    await expect(upload.getByRole('status')).toHaveText(/JPEG/, { timeout: 20_000 });
  }).toPass({ timeout: 60_000 });
  const stored = page.waitForResponse((response) => response.url().endsWith('/api/admin/product-images'));
  await upload.getByRole('button', { name: 'Upload' }).click();
  expect((await stored).status()).toBe(201);

  // A shopper finds it: its page with both sizes and the image, and by name in search.
  const shopper = await browser.newPage();
  await shopper.goto(`/products/${slug}`);
  await expect(shopper.getByRole('heading', { level: 1 })).toHaveText(name);
  await expect(shopper.locator('.product-detail')).toContainText('€12.00');
  await expect(shopper.locator('img.product-detail-image')).toHaveCount(1);
  await shopper.goto(`/search?q=${encodeURIComponent(`porcelain owl ${stamp}`)}`);
  await expect(shopper.locator(`article[data-product-slug="${slug}"]`)).toHaveCount(1);

  // The price changes, and the shop shows the new one.
  await page.getByLabel('Price of variant 1').fill('14.50');
  await page.getByRole('button', { name: 'Save product' }).click();
  await expect(page.getByTestId('product-saved')).toBeVisible();
  await shopper.goto(`/products/${slug}`);
  await expect(shopper.locator('.product-detail')).toContainText('€14.50');
});

test('an admin adds a category under another and sees it in the tree', async ({ page }) => {
  const stamp = `${Date.now()}`;
  const name = `Tea sets ${stamp}`;
  await signIn(page, adminEmail, adminPassword);
  await expect(page).toHaveURL(/\/account$/);
  await page.goto('/admin/categories');
  await hydrated(page);
  await page.getByLabel("New category's name").fill(name);
  await page.getByLabel("New category's parent").selectOption({ label: 'Food & Drink' });
  await page.getByRole('button', { name: 'Create' }).click();
  // Its address is made from its name.
  const row = page.locator(`tr[data-category="tea-sets-${stamp}"]`);
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('0 products, 0 subcategories');
  // An empty category may go; one holding products offers no delete.
  await expect(row.getByRole('button', { name: `Delete ${name}` })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Delete Food & Drink', exact: true })).toHaveCount(0);
});
