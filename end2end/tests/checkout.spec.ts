import { Page } from '@playwright/test';

import { adminEmail, adminPassword, emailTo, expect, freshEmail, hydrated, signIn, submitSignUp, test } from './support';

// The buying path in the browser: browse a category, filter, pick a variant, add to the cart,
// sign up (the cart comes along), pay with the sandbox's cards, see the order and its email.

async function fillCheckout(page: Page, card: string): Promise<void> {
  await page.getByLabel('Full name').fill('Ada Lovelace');
  await page.getByLabel('Address', { exact: true }).fill("12 St James's Square");
  await page.getByLabel('City').fill('London');
  await page.getByLabel('Postal code').fill('SW1Y 4JH');
  await page.getByLabel(/^Country/).fill('GB');
  await fillCard(page, card);
}

async function fillCard(page: Page, card: string): Promise<void> {
  await page.getByLabel('Card number').fill(card);
  await page.getByLabel(/^Expiry/).fill('12/30');
  await page.getByLabel('Security code').fill('123');
}

/** As a guest, puts the first product of a category listing in the cart and opens checkout. */
async function buyFirstOf(page: Page, listing: string): Promise<void> {
  await page.goto(listing);
  await hydrated(page);
  await page.locator('.product-card .product-name a').first().click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByTestId('added-to-cart')).toBeVisible();
  await page.goto('/checkout');
  await hydrated(page);
}

test('a guest filters, picks a size, signs up with the cart kept, pays and gets the confirmation', async ({ page }) => {
  await page.goto('/categories/clothing');
  await hydrated(page);
  await page.getByLabel('Size').selectOption('M');
  await page.getByLabel('In stock only').check();
  await page.getByLabel('Sort').selectOption('price_asc');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/opt\.size=M/);
  await expect(page.getByTestId('listing-count')).toHaveText(/^\d+ products?$/);

  await page.locator('.product-card .product-name a').first().click();
  await expect(page).toHaveURL(/\/products\//);
  await hydrated(page);
  const productName = (await page.locator('h1').textContent())!.trim();
  await page.getByLabel(/^Size M —/).check();
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByTestId('added-to-cart')).toContainText('1 items');
  await expect(page.getByTestId('cart-count')).toHaveText('(1)');

  // Signing up keeps what the guest put in the cart.
  const email = freshEmail('buyer');
  await submitSignUp(page, email);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('cart-count')).toHaveText('(1)');
  await page.goto('/cart');
  await expect(page.locator('.cart-table')).toContainText(productName);
  await expect(page.locator('.cart-table')).toContainText('Size M');

  await page.getByRole('link', { name: 'Checkout' }).click();
  await expect(page).toHaveURL(/\/checkout$/);
  await hydrated(page);
  await expect(page.getByLabel('Email for the receipt')).toHaveValue(email);
  await fillCheckout(page, '4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Place order and pay' }).click();

  await expect(page).toHaveURL(/\/orders\/[0-9a-f-]+\?placed=1$/);
  await expect(page.getByTestId('order-confirmation')).toContainText('is paid');
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  await expect(page.getByTestId('cart-count')).toHaveCount(0);
  const heading = (await page.locator('h1').textContent())!; // "Order #1234"
  const number = heading.replace(/\D/g, '');

  await page.goto('/orders');
  await expect(page.locator(`tr[data-order="${number}"]`)).toContainText('Paid');
  await page.goto('/cart');
  await expect(page.getByTestId('empty-cart')).toBeVisible();

  const mail = await emailTo(email, new RegExp(`Subject: Order ${number} confirmed`));
  expect(mail).toContain(productName);
});

test('a declined card is explained and another card can be used', async ({ page }) => {
  await buyFirstOf(page, '/categories/food-drink?in_stock=1&sort=price_desc');
  const email = freshEmail('declined');
  await page.getByLabel('Email for the receipt').fill(email);
  await fillCheckout(page, '4000 0000 0000 0002');
  await page.getByRole('button', { name: 'Place order and pay' }).click();
  await expect(page.getByRole('alert')).toHaveText('Your card was declined (card_declined). Try another card.');
  await expect(page).toHaveURL(/\/checkout$/);

  await fillCard(page, '4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Place order and pay' }).click();
  await expect(page.getByTestId('order-confirmation')).toContainText('is paid');
  await emailTo(email, /Subject: Payment for order \d+ did not go through/);
});

test('a card that asks for confirmation is paid once the shopper confirms', async ({ page }) => {
  await buyFirstOf(page, '/categories/objects?in_stock=1&sort=price_asc');
  await page.getByLabel('Email for the receipt').fill(freshEmail('confirming'));
  await fillCheckout(page, '4000 0027 6000 3184');
  await page.getByRole('button', { name: 'Place order and pay' }).click();
  await expect(page.getByRole('heading', { name: 'Your bank asks you to confirm this payment' })).toBeVisible();
  await page.getByRole('button', { name: 'Confirm payment' }).click();
  await expect(page.getByTestId('order-confirmation')).toContainText('is paid');
});

test('staff pack, ship and partly refund an order; the shopper sees it', async ({ page, browser }) => {
  // A shopper buys something.
  const shopper = await browser.newPage();
  await buyFirstOf(shopper, '/categories/activities?in_stock=1&sort=price_desc');
  const email = freshEmail('refunded');
  await shopper.getByLabel('Email for the receipt').fill(email);
  await fillCheckout(shopper, '4242 4242 4242 4242');
  await shopper.getByRole('button', { name: 'Place order and pay' }).click();
  await expect(shopper.getByTestId('order-confirmation')).toBeVisible();
  const orderUrl = shopper.url().replace(/\?.*$/, '');
  const number = (await shopper.locator('h1').textContent())!.replace(/\D/g, '');

  // Staff move it along and refund part of it.
  await signIn(page, adminEmail, adminPassword);
  await expect(page).toHaveURL(/\/account$/);
  // Found in the list by its number, then moved and refunded on its own page.
  await page.goto(`/admin/orders?q=${number}`);
  await hydrated(page);
  await expect(page.getByTestId('order-count')).toHaveText('1 orders');
  await page.locator(`tr[data-order="${number}"]`).getByRole('link', { name: `#${number}` }).click();
  await expect(page.locator(`h1[data-order="${number}"]`)).toBeVisible();
  await page.waitForLoadState('networkidle');
  const status = page.getByTestId('order-status');
  await page.getByLabel('New status').selectOption('fulfilled');
  await page.getByRole('button', { name: 'Move' }).click();
  await expect(status).toHaveText('Packed');
  await page.getByLabel('New status').selectOption('shipped');
  await page.getByLabel('Note').fill('parcel 42');
  await page.getByRole('button', { name: 'Move' }).click();
  await expect(status).toHaveText('Shipped');
  await expect(page.locator('.order-history')).toContainText('Shipped (parcel 42)');
  await page.getByLabel(/^Amount/).fill('1.00');
  await page.getByLabel('Reason').fill('scratched box');
  await page.getByRole('button', { name: 'Refund' }).click();
  await expect(status).toHaveText('Shipped · partially refunded');

  await shopper.goto(orderUrl);
  await expect(shopper.getByTestId('order-status')).toHaveText('Shipped · partially refunded');
  await expect(shopper.locator('.order-history')).toContainText('Shipped (parcel 42)');
  await emailTo(email, new RegExp(`Subject: Order ${number} is on its way`));
  await emailTo(email, new RegExp(`Subject: Refund for order ${number}`));
});
