import { Page } from '@playwright/test';

import { adminEmail, adminPassword, expect, hydrated, signIn, test } from './support';

// The admin area fits the screens it is used on: at 1280 px neither a page nor its section
// scrolls sideways (the orders table used to run off the right edge, its refund field cut), and
// on a phone the menu wraps above the section and a wide table scrolls inside its section,
// never the whole page.

const pages = ['/admin', '/admin/users', '/admin/products', '/admin/products/new', '/admin/categories', '/admin/imports', '/admin/jobs', '/admin/analytics', '/admin/orders', '/admin/inventory', '/admin/models', '/admin/audit'];

// How far the page, or (`inside`) the admin section or a table's scroll box, scrolls sideways.
async function sidewaysOverflow(page: Page, inside: boolean): Promise<number> {
  return page.evaluate((inside) => {
    const boxes = [document.documentElement, ...(inside ? document.querySelectorAll('.admin-section, .table-scroll') : [])];
    return Math.max(...boxes.map((box) => box.scrollWidth - box.clientWidth));
  }, inside);
}

async function firstOrder(page: Page): Promise<string> {
  await page.goto('/admin/orders');
  await hydrated(page);
  const href = await page.locator('table a[href^="/admin/orders/"]').first().getAttribute('href');
  expect(href, 'the simulated shoppers placed orders').toBeTruthy();
  return href!;
}

for (const [name, viewport] of [['a 1280 px screen', { width: 1280, height: 800 }], ['a phone', { width: 390, height: 844 }]] as const) {
  test(`every admin page fits ${name}`, async ({ page }) => {
    test.setTimeout(120_000);
    await page.setViewportSize(viewport);
    await signIn(page, adminEmail, adminPassword);
    await expect(page.getByTestId('account-link')).toHaveText(adminEmail);
    const order = await firstOrder(page);
    for (const path of [...pages, order]) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.locator('h1')).toBeVisible();
      // On a phone a wide table may scroll inside its section; at 1280 px nothing scrolls.
      const overflow = await sidewaysOverflow(page, viewport.width >= 1280);
      expect(overflow, `${path} scrolls sideways at ${viewport.width} px`).toBeLessThanOrEqual(0);
    }
    // The order page's refund form is whole on screen.
    await page.goto(order);
    await hydrated(page);
    const refund = page.getByRole('button', { name: 'Refund' });
    if (await refund.count()) {
      const box = (await refund.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
    }
  });
}
