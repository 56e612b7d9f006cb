import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// Files the tests need from outside end2end/: the repository, and the demo catalog's images as
// `vitrine seed` read them (the catalog the e2e database holds).
export const repoRoot = path.resolve(__dirname, '../..');

const demoData = path.resolve(
  repoRoot,
  process.env.VITRINE_DEMO_DATA ?? '.vitrine/demo/emoji-datasource-google/package',
);

/** A catalog product's image file, by its emoji image name (`1f9ee.png` is the abacus). */
export const catalogImage = (file: string): Buffer =>
  readFileSync(path.join(demoData, 'img/google/64', file));
