import { baseURL } from './playwright.config';

// Waits until the server cargo-leptos started answers /readyz (it may still be connecting to
// the database or migrating), for at most two minutes.
export default async function globalSetup(): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseURL}/readyz`);
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the site at ${baseURL} did not become ready: ${last}`);
}
