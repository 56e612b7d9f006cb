import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { Page } from '@playwright/test';

import { catalogImage, expect, hydrated, repoRoot, test } from './support';

// The search page prepares the photo in the browser (WASM): decode, orient, crop, resize to the
// model's 224×224 square, upload that as a PNG. These tests check it against the server's own
// preprocessing of the same file (`vitrine-tools eval parity`), measure what goes over the wire, and
// search by a region of a photo.
const photos = path.join(repoRoot, 'server/tests/fixtures/photos');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(process.env.HOME ?? '/root', '.cache/vitrine/target');
const vitrineTools = process.env.VITRINE_TOOLS_BIN ?? path.join(targetDir, 'debug/vitrine-tools');

const LARGE = 'coffee-large.jpg';

async function openSearchPage(page: Page): Promise<void> {
  await recordUploads(page);
  await page.goto('/search/photo');
  await hydrated(page);
}

/** A request body exactly as the browser sends it, with its content type. */
type Upload = { type: string; body: Buffer };

/**
 * Keeps a copy of every body the page posts to /api/search/queries. The browser's network
 * events leave out bodies made from Blobs (Playwright's postData is then empty), so the copy is
 * taken in the page: a clone of the Request, serialised as it goes on the wire.
 */
async function recordUploads(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const original = window.fetch.bind(window);
    const uploads: { type: string; body: string }[] = [];
    (window as unknown as { uploads: typeof uploads }).uploads = uploads;
    window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      if (input instanceof Request && input.url.endsWith('/api/search/queries')) {
        const bytes = new Uint8Array(await input.clone().arrayBuffer());
        let binary = '';
        for (const byte of bytes) binary += String.fromCharCode(byte);
        uploads.push({ type: input.headers.get('content-type') ?? '', body: btoa(binary) });
      }
      return original(input, init);
    };
  });
}

/** Picks a photo and waits until the browser has decoded it and shows the crop box. */
async function pick(page: Page, name: string, buffer: Buffer, mimeType: string): Promise<void> {
  await page.locator('.drop-zone input[name="image"]').setInputFiles({ name, mimeType, buffer });
  await expect(page.locator('.photo-status')).toHaveText(/^Ready: \d+×\d+ pixels\.$/, { timeout: 60_000 });
  await expect(page.locator('.crop-box')).toBeVisible();
}

/** Clicks Search and returns the upload the page made, once the results have arrived. */
async function searchAndCapture(page: Page): Promise<Upload> {
  const before = page.url();
  await page.getByRole('main').getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\/search\/photo\?q=[0-9a-f-]{36}/);
  await expect(page).not.toHaveURL(before);
  await expect(page.locator('.photo-results article.product-card').first()).toBeVisible();
  const last = await page.evaluate(() => {
    const { uploads } = window as unknown as { uploads: { type: string; body: string }[] };
    return uploads[uploads.length - 1];
  });
  return { type: last.type, body: Buffer.from(last.body, 'base64') };
}

/** One named part of a multipart/form-data body. */
function formPart({ type, body }: Upload, name: string): Buffer | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2); // between the CRLFs
    const headerEnd = part.indexOf('\r\n\r\n');
    if (part.subarray(0, headerEnd).toString().includes(`name="${name}"`)) {
      return part.subarray(headerEnd + 4);
    }
    start = next;
  }
  return undefined;
}

type Parity = { max_abs_diff: number; differing: number; values: number; cosine: number };

/** The server's preprocessing of `photo` compared with the square the browser uploaded. */
function parity(photo: string, prepared: Buffer, region: string): Parity {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'vitrine-parity-')), 'prepared.png');
  writeFileSync(file, prepared);
  const args = ['eval', 'parity', '--photo', photo, '--prepared', file, '--json'];
  if (region) args.push('--region', region);
  const out = execFileSync(vitrineTools, args, { cwd: repoRoot, env: { ...process.env, RUST_LOG: 'warn' } });
  return JSON.parse(out.toString().trim().split('\n').pop()!);
}

const fixtures: { file: string; type: string; adjust: boolean }[] = [
  { file: 'chelsea.png', type: 'image/png', adjust: true },
  { file: 'coffee.png', type: 'image/png', adjust: false },
  { file: 'motorcycle_left.png', type: 'image/png', adjust: false },
  { file: 'rocket.jpg', type: 'image/jpeg', adjust: false },
  { file: 'rocket-exif-rotated.jpg', type: 'image/jpeg', adjust: true },
  { file: LARGE, type: 'image/jpeg', adjust: true },
];

for (const { file, type, adjust } of fixtures) {
  test(`the browser uploads the server's model input for ${file}`, async ({ page }) => {
    test.setTimeout(120_000);
    await openSearchPage(page);
    const photo = path.join(photos, file);
    await pick(page, file, readFileSync(photo), type);
    if (adjust) {
      // With the keyboard: move the box, then shrink it from its bottom-right corner.
      const box = page.locator('.crop-box');
      await box.focus();
      await box.press('ArrowRight');
      await box.press('ArrowDown');
      const corner = page.getByRole('button', { name: 'Resize from the bottom-right corner' });
      await corner.focus();
      for (let i = 0; i < 3; i++) await corner.press('Shift+ArrowLeft');
    }
    const region = (await page.locator('.crop-box').getAttribute('data-region')) ?? '';
    expect(region === '').toBe(!adjust);

    const upload = await searchAndCapture(page);
    const prepared = formPart(upload, 'prepared');
    expect(prepared, 'the upload carries the prepared square').toBeDefined();
    expect(formPart(upload, 'image'), 'and not the original').toBeUndefined();

    const result = parity(photo, prepared!, region);
    test.info().annotations.push({ type: 'parity', description: `${file}: ${JSON.stringify(result)}` });
    expect(result.max_abs_diff).toBeLessThanOrEqual(1);
    expect(result.cosine).toBeGreaterThanOrEqual(0.999);
  });
}

test('the upload for a 12-megapixel photo is over 20× smaller than the file', async ({ page }) => {
  test.setTimeout(120_000);
  await openSearchPage(page);
  const photo = path.join(photos, LARGE);
  const fileBytes = statSync(photo).size;
  await pick(page, LARGE, readFileSync(photo), 'image/jpeg');
  const requestBodySize = (await searchAndCapture(page)).body.length;
  test.info().annotations.push({
    type: 'upload',
    description: `${LARGE}: file ${fileBytes} B, request body ${requestBodySize} B (${(fileBytes / requestBodySize).toFixed(1)}×)`,
  });
  expect(requestBodySize).toBeGreaterThan(0);
  expect(requestBodySize * 20).toBeLessThanOrEqual(fileBytes);
});

test('preprocessing the 12-megapixel photo in the browser is timed', async ({ page }) => {
  test.setTimeout(180_000);
  await openSearchPage(page);
  const base64 = readFileSync(path.join(photos, LARGE)).toString('base64');
  const millis: number[] = await page.evaluate(async (data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    // The bundle the page already runs; importing it again returns the same, initialised module.
    // (Through Function, so the test runner's transpiler leaves this browser-side import alone.)
    const importModule = new Function('url', 'return import(url)');
    const wasm = await importModule('/pkg/vitrine.js');
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      const square: Uint8Array = wasm.preparePhoto(bytes, undefined);
      runs.push(performance.now() - start);
      if (square.length < 1000) throw new Error('no PNG came back');
    }
    return runs;
  }, base64);
  const sorted = [...millis].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const line = `${LARGE} in the browser: median ${median.toFixed(0)} ms of ${millis.map((m) => m.toFixed(0)).join(', ')}`;
  test.info().annotations.push({ type: 'timing', description: line });
  console.log(line);
  expect(median).toBeGreaterThan(0);
});

/** Two catalog products side by side in one photo, drawn by the browser. */
async function sideBySide(page: Page, left: Buffer, right: Buffer): Promise<Buffer> {
  const dataUrl = await page.evaluate(
    async ([a, b]) => {
      const load = async (base64: string) => {
        const image = new Image();
        image.src = `data:image/png;base64,${base64}`;
        await image.decode();
        return image;
      };
      const canvas = document.createElement('canvas');
      canvas.width = 256;
      canvas.height = 128;
      const context = canvas.getContext('2d')!;
      context.fillStyle = '#ffffff';
      context.fillRect(0, 0, 256, 128);
      context.drawImage(await load(a), 0, 0, 128, 128);
      context.drawImage(await load(b), 128, 0, 128, 128);
      return canvas.toDataURL('image/png');
    },
    [left.toString('base64'), right.toString('base64')],
  );
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

/** Drags the crop box by `dx` CSS pixels with the mouse. */
async function dragBox(page: Page, dx: number): Promise<void> {
  const box = (await page.locator('.crop-box').boundingBox())!;
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y, { steps: 4 });
  await page.mouse.move(x + dx, y, { steps: 4 });
  await page.mouse.up();
}

test('searching by each half of a photo of two products finds each product', async ({ page }) => {
  test.setTimeout(90_000);
  await openSearchPage(page);
  const photo = await sideBySide(page, catalogImage('1f9ee.png'), catalogImage('1f3b8.png'));
  await pick(page, 'two-things.png', photo, 'image/png');
  const best = page.locator('.photo-results article.product-card').first();

  await dragBox(page, -1000); // as far left as it goes: the abacus
  await expect(page.locator('.crop-box')).toHaveAttribute('data-region', '0,0,0.5,1');
  await searchAndCapture(page);
  await expect(best).toHaveAttribute('data-product-slug', 'abacus');

  await dragBox(page, 1000); // as far right: the guitar
  await expect(page.locator('.crop-box')).toHaveAttribute('data-region', '0.5,0,0.5,1');
  await searchAndCapture(page);
  await expect(best).toHaveAttribute('data-product-slug', 'guitar');
});

test('a file the browser cannot read is refused on the page, without a reload', async ({ page }) => {
  await openSearchPage(page);
  await page
    .locator('.drop-zone input[name="image"]')
    .setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a photo') });
  await expect(page.getByRole('alert')).toContainText('not a photo we can read');
  await page.getByRole('main').getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\/search\/photo$/);
  await expect(page.locator('.crop-box')).toHaveCount(0);
});

test('when the WASM cannot load, the plain form still searches', async ({ page }) => {
  await page.route('**/*.wasm', (route) => route.abort());
  await page.goto('/search/photo');
  await page
    .locator('.drop-zone input[name="image"]')
    .setInputFiles({ name: 'abacus.png', mimeType: 'image/png', buffer: catalogImage('1f9ee.png') });
  await page.getByRole('main').getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\/search\/photo\?q=[0-9a-f-]{36}/);
  await expect(page.locator('.photo-results article.product-card').first()).toHaveAttribute(
    'data-product-slug',
    'abacus',
  );
});
