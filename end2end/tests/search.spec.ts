import { Page } from '@playwright/test';

import { catalogImage, expect, hydrated, test } from './support';

// Search by photo over the full demo catalog, embedded by `vitrine reindex` before the suite
// runs. The query photos are the catalog's own image files, as the seed read them.
const ABACUS = '1f9ee.png';

/** The slugs of the result cards, best match first. */
async function resultSlugs(page: Page): Promise<string[]> {
  const cards = page.locator('.photo-results article.product-card');
  await expect(cards.first()).toBeVisible();
  return cards.evaluateAll((list) => list.map((card) => card.getAttribute('data-product-slug') ?? ''));
}

/**
 * A different photo of the same product, made in the browser: a 70 % crop off-centre, hue
 * shifted and brightened, drawn larger onto a tinted background, saved as JPEG.
 */
async function recolouredCrop(page: Page, png: Buffer): Promise<Buffer> {
  const dataUrl = await page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = 160;
    canvas.height = 160;
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#f3ead8';
    context.fillRect(0, 0, 160, 160);
    context.filter = 'hue-rotate(25deg) brightness(1.1)';
    const side = image.width * 0.7;
    context.drawImage(image, image.width * 0.2, image.height * 0.1, side, side, 10, 20, 140, 140);
    return canvas.toDataURL('image/jpeg', 0.7);
  }, png.toString('base64'));
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a catalog photo, posted by the plain form, finds its product first', async ({ page }) => {
    await page.goto('/search/photo');
    await page
      .locator('.drop-zone input[name="image"]')
      .setInputFiles({ name: 'abacus.png', mimeType: 'image/png', buffer: catalogImage(ABACUS) });
    await page.getByRole('main').getByRole('button', { name: 'Search' }).click();
    await expect(page).toHaveURL(/\/search\/photo\?q=[0-9a-f-]{36}/);
    const slugs = await resultSlugs(page);
    expect(slugs[0]).toBe('abacus');
    await expect(page.locator('.photo-results .product-score').first()).toHaveText(/^\d+% match$/);
  });

  test('a refused file comes back with a clear message', async ({ page }) => {
    await page.goto('/search/photo');
    await page
      .locator('.drop-zone input[name="image"]')
      .setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a photo') });
    await page.getByRole('main').getByRole('button', { name: 'Search' }).click();
    await expect(page).toHaveURL(/error=unsupported_type/);
    await expect(page.getByRole('alert')).toContainText('not a photo we can read');
  });
});

test('a recoloured, cropped photo of a product still finds it first', async ({ page }) => {
  await page.goto('/search/photo');
  await hydrated(page);
  const photo = await recolouredCrop(page, catalogImage(ABACUS));
  await page
    .locator('.drop-zone input[name="image"]')
    .setInputFiles({ name: 'my-photo.jpg', mimeType: 'image/jpeg', buffer: photo });
  await expect(page.locator('.crop-box')).toBeVisible();
  await page.getByRole('main').getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\?q=/);
  expect((await resultSlugs(page))[0]).toBe('abacus');
});

test('a photo dropped onto the form is searched for', async ({ page }) => {
  await page.goto('/search/photo');
  await hydrated(page);
  const transfer = await page.evaluateHandle((base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
    return data;
  }, catalogImage(ABACUS).toString('base64'));
  const zone = page.locator('.drop-zone');
  await zone.dispatchEvent('dragover', { dataTransfer: transfer });
  await zone.dispatchEvent('drop', { dataTransfer: transfer });
  await expect(page.locator('.crop-box')).toBeVisible();
  await page.getByRole('main').getByRole('button', { name: 'Search' }).click();
  expect((await resultSlugs(page))[0]).toBe('abacus');
});

test('a product page shows a row of similar items', async ({ page }) => {
  const response = await page.goto('/products/abacus');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1, name: 'Abacus' })).toBeVisible();
  const similar = page.locator('section.similar-items');
  await expect(similar.getByRole('heading', { name: 'Similar items' })).toBeVisible();
  const cards = similar.locator('article.product-card');
  await expect(cards).toHaveCount(8);
  await expect(similar.locator('article[data-product-slug="abacus"]')).toHaveCount(0);
  // Each similar item links to its own page.
  await cards.first().locator('.product-name a').click();
  await expect(page).toHaveURL(/\/products\/[a-z0-9-]+$/);
  await expect(page).not.toHaveURL(/\/products\/abacus$/);
  await expect(page.locator('section.similar-items')).toBeVisible();
});
