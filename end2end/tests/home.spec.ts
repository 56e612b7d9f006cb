import { expect, hydrated, test } from './support';

// The end-to-end database holds the full demo catalog (`vitrine seed`): 857 products made from
// the Noto emoji set. The home page lists 24 of them, newest first, then by name; all are
// seeded together, so the first ones alphabetically are shown.

test('the server-rendered home page lists products from the database', async ({ request }) => {
  // The raw HTML, before any JavaScript runs: the products are already in it.
  const response = await request.get('/');
  expect(response.status()).toBe(200);
  const html = await response.text();
  // The newest products' grid (the "Picked for you" row above it has cards of its own).
  const newest = html.split('data-testid="newest-products"')[1] ?? '';
  expect(newest.match(/<article[^>]*class="product-card"/g)?.length).toBe(24);
  expect(html).toContain('Abacus');
  expect(html).toMatch(/€\d+\.\d\d/);
  expect(html).toMatch(/<img src="\/media\/products\/[0-9a-f]{2}\/[0-9a-f]{64}\.png"/);
});

test('product images load from the media route', async ({ page }) => {
  await page.goto('/');
  const image = page.locator('article.product-card img').first();
  await expect(image).toBeVisible();
  // naturalWidth stays 0 for an image the browser could not load.
  await expect
    .poll(() => image.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : -1)))
    .toBe(64);
});

test('the page hydrates and the wishlist toggle works', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);

  const card = page.getByTestId('newest-products').locator('article.product-card', { hasText: 'Abacus' });
  const toggle = card.getByRole('button', { name: /Save Abacus/ });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.click();
  await expect(card.getByRole('button', { name: /Remove Abacus/ })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(card.locator('.wishlist-toggle')).toHaveText('♥ Saved');
  await expect(page.getByTestId('wishlist-count')).toHaveText('Wishlist (1)');

  // The wishlist lives in the browser and survives a reload.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('wishlist-count')).toHaveText('Wishlist (1)');
  await page
    .getByTestId('newest-products')
    .locator('article.product-card', { hasText: 'Abacus' })
    .locator('.wishlist-toggle')
    .click();
  await expect(page.getByTestId('wishlist-count')).toHaveText('Wishlist (0)');
});

test('without JavaScript the page still shows the catalog, and the toggle is inert', async ({
  browser,
}) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.locator('header.site-header')).toHaveAttribute('data-hydrated', 'false');
  await expect(page.getByTestId('newest-products').locator('article.product-card')).toHaveCount(24);
  await page.locator('.wishlist-toggle').first().click();
  await expect(page.getByTestId('wishlist-count')).toHaveText('Wishlist (0)');
  await context.close();
});

test('an unknown page answers 404 with a way back', async ({ page }) => {
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});
