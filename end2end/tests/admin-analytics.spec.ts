import { adminEmail, adminPassword, expect, signIn, test } from './support';

// The owner's dashboard on the end-to-end shop, whose simulated shoppers (scripts/test.sh)
// browsed, searched, carted and paid: charts with bars, a funnel, tables with rows; a range
// chosen by a plain form; a table exported as CSV.

test('the analytics page shows charts with data and exports a table', async ({ page }) => {
  await signIn(page, adminEmail, adminPassword);
  await expect(page).toHaveURL(/\/account$/);
  await page.goto('/admin/analytics');

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Analytics');
  const orders = Number(await page.getByTestId('total-orders').locator('strong').textContent());
  expect(orders, 'the simulated shoppers paid orders').toBeGreaterThan(0);
  // Revenue per day: bars drawn on the server, at least one of them taller than nothing.
  const revenue = page.getByTestId('chart').first();
  await expect(revenue.locator('svg rect')).toHaveCount(30);
  const heights = await revenue.locator('svg rect').evaluateAll((bars) =>
    bars.map((bar) => Number(bar.getAttribute('height'))),
  );
  expect(Math.max(...heights)).toBeGreaterThan(0);
  await expect(page.getByTestId('funnel').locator('rect')).toHaveCount(4);
  await expect(page.getByTestId('top-table').first().locator('tbody tr').first()).toBeVisible();
  await expect(page.getByTestId('query-table').first().locator('tbody tr').first()).toBeVisible();

  // A range of one day, by the form (a GET: it works without JavaScript too).
  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel('From', { exact: true }).fill(today);
  await page.getByLabel('To', { exact: true }).fill(today);
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(new RegExp(`from=${today}&to=${today}`));
  await expect(page.getByTestId('chart').first().locator('svg rect')).toHaveCount(1);

  // The top products as CSV.
  const response = await page.request.get(`/api/admin/analytics.csv?table=products&from=${today}&to=${today}`);
  expect(response.status()).toBe(200);
  expect((await response.text()).split('\n')[0]).toBe('name,slug,units,revenue_eur,views');
});
