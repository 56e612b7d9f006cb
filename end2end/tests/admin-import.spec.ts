import { adminEmail, adminPassword, expect, signIn, test } from './support';

// A bulk import as a shop owner runs it: a small CSV uploaded in the admin area, its progress
// followed to the end, the bad row reported on its line, the good product in the shop.

test('an import of a small CSV shows its progress and its result', async ({ page }) => {
  const stamp = `${Date.now()}`;
  const csv = [
    'product,name,category,sku,options,price,opening_stock',
    `linen-towel-${stamp},Linen towel ${stamp},animals-nature,TOWEL-S-${stamp},size: S,9.50,4`,
    `linen-towel-${stamp},,,TOWEL-L-${stamp},size: L,12,2`,
    `clay-cup-${stamp},Clay cup ${stamp},animals-nature,CUP-${stamp},,cheap,1`,
  ].join('\n');
  await signIn(page, adminEmail, adminPassword);
  await expect(page).toHaveURL(/\/account$/);
  await page.goto('/admin/imports');
  await page.getByLabel('CSV of products, one row per variant').setInputFiles({
    name: 'towels.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await page.getByRole('button', { name: 'Import' }).click();

  await expect(page).toHaveURL(/\/admin\/imports\/[0-9a-f-]{36}$/);
  const progress = page.getByTestId('import-progress');
  await expect(progress.locator('progress')).toBeVisible();
  await expect(progress).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  await expect(progress).toHaveAttribute('data-done', '2');
  await expect(progress).toHaveAttribute('data-failed', '1');
  await expect(progress).toContainText('3 of 3 rows: 2 imported, 1 failed');
  const error = page.getByTestId('import-error');
  await expect(error).toHaveCount(1);
  await expect(error).toHaveAttribute('data-line', '4');
  await expect(error).toContainText('price');

  // The list shows it; the shop has the towel with its two sizes.
  await page.goto('/admin/imports');
  await expect(page.getByTestId('import-row').first()).toContainText('towels.csv');
  await page.goto(`/products/linen-towel-${stamp}`);
  await expect(page.locator('.product-detail h1')).toHaveText(`Linen towel ${stamp}`);
  await expect(page.locator('.product-detail')).toContainText('€9.50');
});
