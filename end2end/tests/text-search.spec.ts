import { expect, hydrated, test } from './support';

// Text search over the demo catalog (857 products). The header's box is a plain GET form to
// /search; once hydrated it suggests as you type.

test('typing with a typo suggests the product, and Enter on it opens its page', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const box = page.getByRole('combobox', { name: 'Search the shop' });
  // "abacus" with two letters swapped.
  await box.pressSequentially('abacsu', { delay: 40 });
  const listbox = page.getByRole('listbox', { name: 'Suggestions' });
  await expect(listbox.getByRole('option').first()).toContainText('Abacus');
  await expect(box).toHaveAttribute('aria-expanded', 'true');
  await box.press('ArrowDown');
  await expect(box).toHaveAttribute('aria-activedescendant', 'site-search-suggestions-0');
  await expect(listbox.getByRole('option').first()).toHaveAttribute('aria-selected', 'true');
  await expect(box).toBeFocused();
  await box.press('Enter');
  await expect(page).toHaveURL(/\/products\/abacus$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Abacus');
});

test('Escape closes the suggestions and Enter then searches', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const box = page.getByRole('combobox', { name: 'Search the shop' });
  await box.pressSequentially('face', { delay: 40 });
  const listbox = page.getByRole('listbox', { name: 'Suggestions' });
  await expect(listbox).toBeVisible();
  await box.press('Escape');
  await expect(listbox).toBeHidden();
  await expect(box).toHaveAttribute('aria-expanded', 'false');
  await box.press('Enter');
  await expect(page).toHaveURL(/\/search\?q=face$/);
  await expect(page.getByTestId('search-count')).toHaveText(/^\d+ results$/);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the header box leads to results with the matched word marked', async ({ page }) => {
    await page.goto('/');
    await page.getByLabel('Search the shop').fill('banjo');
    await page.getByLabel('Search the shop').press('Enter');
    await expect(page).toHaveURL(/\/search\?q=banjo$/);
    const first = page.locator('article.product-card').first();
    await expect(first.locator('.product-name mark')).toHaveText('Banjo');
  });

  test('facets narrow the results', async ({ page }) => {
    await page.goto('/search?q=face');
    const count = async () =>
      Number((await page.getByTestId('search-count').textContent())?.match(/^(\d+)/)?.[1]);
    const all = await count();
    expect(all).toBeGreaterThan(5);
    const category = page.locator('select[name="category"]');
    const choice = await category.locator('option').nth(1).getAttribute('value');
    await category.selectOption(choice!);
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(new RegExp(`category=${choice}`));
    const narrowed = await count();
    expect(narrowed).toBeGreaterThan(0);
    expect(narrowed).toBeLessThan(all);
    const cards = page.locator('article.product-card');
    await expect(cards).toHaveCount(Math.min(narrowed, 24));
  });

  test('a search that finds nothing offers a correction and a way on', async ({ page }) => {
    // Four letters take no typo, so nothing matches; one typo is still worth suggesting.
    await page.goto('/search?q=bnjo');
    await expect(page.getByTestId('no-results')).toBeVisible();
    await expect(page.getByTestId('no-results').getByRole('link', { name: 'search with a photo' })).toBeVisible();
    const correction = page.getByTestId('did-you-mean').getByRole('link');
    await expect(correction).toHaveText('banjo');
    await correction.click();
    await expect(page).toHaveURL(/\/search\?q=banjo$/);
    await expect(page.locator('article.product-card').first()).toContainText('Banjo');
  });
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('the header is one compact bar with the search box and a menu', async ({ page }) => {
    await page.goto('/');
    await hydrated(page);
    const header = page.locator('header.site-header');
    const box = await header.boundingBox();
    expect(box!.height).toBeLessThanOrEqual(64);
    await expect(page.getByRole('combobox', { name: 'Search the shop' })).toBeVisible();
    const orders = header.getByRole('link', { name: 'Orders' });
    await expect(orders).toBeHidden();
    await header.getByText('Menu', { exact: true }).click();
    await expect(orders).toBeVisible();
    await orders.click();
    await expect(page).toHaveURL(/\/orders$/);
  });
});
