// Launches the system Chromium headless through playwright-core with the flags that keep it off the
// network (no component updates, sync or background requests) and a fresh profile directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Returns { context, close() }: a browser context on a fresh profile (playwright passes it as
 * --user-data-dir); close() also deletes the profile directory.
 */
export async function launchChromium(options = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'asc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
    ...options,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
